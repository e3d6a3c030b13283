"""Messages per second through the real push API, next to raw Core inserts of the same rows.

Several client threads, each signed in as a demo agent, push ``message.send`` mutations to
conversations of a seeded demo store on a live server, one mutation per request and
``--batch`` per request. The server applies a request in one transaction (message rows,
conversation updates, audit entries, applied-id records, change-feed rows), so the gap to the
raw line is the price of that bookkeeping and of HTTP. The raw line (the baseline) inserts the
same message rows into the same table with batched SQLAlchemy Core executemany, one commit per
``--batch`` rows, in this process. The three run interleaved ``--reps`` times; the table shows
medians, the ratio to the baseline and the issue's goal (>= 40 %).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

from _common import (
    NOW,
    Backend,
    backends,
    fresh_database,
    http_session,
    live_server,
    login,
    machine,
    median,
    parser,
    seed,
    table,
)

AGENTS = ("demo", "alex", "priya", "mateo")


def _conversations(db_url: str) -> list[tuple[str, str]]:
    """(id, channel) of every production conversation."""
    from sqlalchemy import create_engine, select

    from csdesk.storage import models as m

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(m.Conversation.id, m.Conversation.channel).where(
                    m.Conversation.realm == "production"
                )
            ).all()
        return [(r.id, r.channel) for r in rows]
    finally:
        engine.dispose()


def _body(rng: random.Random) -> str:
    return rng.choice(
        (
            "Thanks for your patience – your parcel is with the carrier and should arrive "
            "tomorrow.",
            "I've issued the refund; it can take 3–5 business days to show on your statement.",
            "Could you send us a photo of the damage? Then we can send a replacement straight "
            "away.",
        )
    )


def push_path(
    bases: Sequence[str], convs: Sequence[tuple[str, str]], total: int, clients: int, batch: int
) -> tuple[int, float]:
    """Push ``total`` messages from ``clients`` threads, client ``i`` to server
    ``i % len(bases)``; returns (applied, seconds)."""
    tokens = [login(bases[i % len(bases)], AGENTS[i % len(AGENTS)]) for i in range(clients)]
    per_client = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    applied = [0] * clients
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        rng = random.Random(i)
        s = http_session(tokens[i])
        base = bases[i % len(bases)]
        try:
            start.wait()
            left = per_client[i]
            while left > 0:
                n = min(batch, left)
                muts = [
                    {
                        "id": str(uuid.uuid4()),
                        "type": "message.send",
                        "args": {
                            "conversation_id": rng.choice(convs)[0],
                            "message_id": str(uuid.uuid4()),
                            "body_text": _body(rng),
                        },
                    }
                    for _ in range(n)
                ]
                r = s.post(f"{base}/api/v1/push", json={"mutations": muts}, timeout=120)
                r.raise_for_status()
                applied[i] += sum(1 for res in r.json()["results"] if res["status"] == "applied")
                left -= n
        except BaseException as exc:  # reported after the run
            errors.append(exc)
            raise

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed; first: {errors[0]!r}")
    return sum(applied), seconds


def core_path(db_url: str, convs: Sequence[tuple[str, str]], total: int, batch: int) -> float:
    """Insert ``total`` message rows as ``message.send`` would write them; returns seconds."""
    from csdesk.protocol import Entity
    from csdesk.storage.db import make_engine
    from csdesk.storage.wire import table_of

    rng = random.Random(99)
    rows: list[dict[str, Any]] = []
    for i in range(total):
        cid, channel = rng.choice(convs)
        at = NOW + timedelta(milliseconds=i)
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "realm": "production",
                "created_at": at,
                "updated_at": at,
                "conversation_id": cid,
                "channel": channel,
                "direction": "out",
                "is_note": False,
                "author_user_id": None,
                "author_name": "Demo Agent",
                "subject": "",
                "body_text": _body(rng),
                "body_html": None,
                "attachments": [],
                "delivery_status": "queued",
                "failure_reason": None,
                "provider_message_id": None,
                "sent_at": None,
            }
        )
    engine = make_engine(db_url)
    table = table_of(Entity.MESSAGE)
    try:
        t0 = time.perf_counter()
        for start in range(0, total, batch):
            with engine.begin() as conn:
                conn.execute(table.insert(), rows[start : start + batch])
        return time.perf_counter() - t0
    finally:
        engine.dispose()


GOAL = 0.40  # issue 10: push ingest at >= 40 % of the same-run Core executemany line


def run(
    backend: Backend,
    total: int,
    single_total: int,
    clients: int,
    batch: int,
    reps: int,
    customers: int,
    servers: int = 1,
) -> list[list[object]]:
    """Both push modes (1 and ``batch`` mutations per request) and the Core baseline,
    interleaved ``reps`` times on one seeded store and ``servers`` live server processes
    (more than one: PostgreSQL only); medians compared."""
    modes = [(1, single_total), (batch, total)]
    push_rates: dict[int, list[float]] = {b: [] for b, _ in modes}
    core_rates: list[float] = []
    with fresh_database(backend) as url, ExitStack() as running:
        seed(url, customers)
        convs = _conversations(url)
        bases = [running.enter_context(live_server(url)).url for _ in range(servers)]
        for _ in range(reps):
            for per_request, count in modes:
                applied, seconds = push_path(bases, convs, count, clients, per_request)
                push_rates[per_request].append(applied / seconds)
            core_rates.append(total / core_path(url, convs, total, batch))
    baseline = median(core_rates)
    rows: list[list[object]] = []
    for per_request, count in modes:
        rate = median(push_rates[per_request])
        ratio = rate / baseline
        rows.append(
            [
                backend.name,
                f"push API, {clients} clients × {per_request}/request"
                + (f", {servers} server processes" if servers > 1 else ""),
                count,
                rate,
                f"{min(push_rates[per_request]):,.0f}–{max(push_rates[per_request]):,.0f}",
                baseline,
                f"{ratio:.1%}",
                f"≥ {GOAL:.0%}",
                "yes" if ratio >= GOAL else "no",
            ]
        )
    rows.append(
        [
            backend.name,
            f"baseline: Core executemany, {batch} rows/commit",
            total,
            baseline,
            f"{min(core_rates):,.0f}–{max(core_rates):,.0f}",
            baseline,
            "100.0%",
            "",
            "",
        ]
    )
    return rows


def main() -> None:
    p = parser(__doc__)
    p.add_argument(
        "--messages", type=int, default=3_000, help="messages per rep, batched path and Core"
    )
    p.add_argument(
        "--single-messages", type=int, default=600, help="messages per rep, 1 per request"
    )
    p.add_argument("--clients", type=int, default=4, help="pushing client threads")
    p.add_argument("--batch", type=int, default=100, help="mutations per push / rows per commit")
    p.add_argument("--reps", type=int, default=3, help="interleaved repetitions (medians)")
    p.add_argument("--customers", type=int, default=200, help="size of the seeded demo store")
    p.add_argument(
        "--servers",
        type=int,
        default=1,
        help="server processes on one database, the clients spread over them (PostgreSQL "
        "only: with more than one, only --postgres runs)",
    )
    args = p.parse_args()
    if args.servers > 1 and not args.postgres:
        p.error("--servers > 1 needs --postgres (several processes share PostgreSQL only)")
    load_before = _load()
    rows = [
        row
        for b in backends(args)
        if args.servers == 1 or b.admin_url is not None
        for row in run(
            b,
            args.messages,
            args.single_messages,
            args.clients,
            args.batch,
            args.reps,
            args.customers,
            args.servers,
        )
    ]
    print(
        f"ingest ({machine()}; load average {' '.join(load_before)} before, "
        f"{' '.join(_load())} after)"
    )
    print(
        table(
            [
                "backend",
                "path",
                "msgs/rep",
                "msg/s (median)",
                "range",
                "same-run baseline msg/s",
                "ratio",
                "goal",
                "met",
            ],
            rows,
        )
    )


def _load() -> list[str]:
    import os

    return [f"{x:.2f}" for x in os.getloadavg()]


if __name__ == "__main__":
    main()
