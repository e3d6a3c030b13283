"""Messages per second through the real push API, next to raw Core inserts of the same rows.

Several client threads, each signed in as a demo agent, push ``message.send`` mutations in
batches to conversations of a seeded demo store on a live server. The server applies each
mutation in its own transaction (message row, conversation update, audit entry, applied-id
record, change-feed rows), so the gap to the raw line is the price of that bookkeeping and of
HTTP. The raw line inserts the same message rows into the same table with batched SQLAlchemy
Core executemany, one commit per batch, in this process.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Sequence
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
    base: str, convs: Sequence[tuple[str, str]], total: int, clients: int, batch: int
) -> tuple[int, float]:
    """Push ``total`` messages from ``clients`` threads; returns (applied, seconds)."""
    tokens = [login(base, AGENTS[i % len(AGENTS)]) for i in range(clients)]
    per_client = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    applied = [0] * clients
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        rng = random.Random(i)
        s = http_session(tokens[i])
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


def run(
    backend: Backend, total: int, clients: int, batch: int, customers: int
) -> list[list[object]]:
    with fresh_database(backend) as url:
        seed(url, customers)
        convs = _conversations(url)
        with live_server(url) as server:
            applied, push_s = push_path(server.url, convs, total, clients, batch)
        core_s = core_path(url, convs, total, batch)
    return [
        [
            backend.name,
            f"push API, {clients} clients × {batch}/request",
            applied,
            push_s,
            applied / push_s,
        ],
        [backend.name, f"Core executemany, {batch}/commit", total, core_s, total / core_s],
    ]


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--messages", type=int, default=5_000, help="messages per path")
    p.add_argument("--clients", type=int, default=4, help="pushing client threads")
    p.add_argument("--batch", type=int, default=100, help="mutations per push / rows per commit")
    p.add_argument("--customers", type=int, default=200, help="size of the seeded demo store")
    args = p.parse_args()
    rows = [
        row
        for b in backends(args)
        for row in run(b, args.messages, args.clients, args.batch, args.customers)
    ]
    print(f"ingest ({machine()})")
    print(table(["backend", "path", "messages", "seconds", "msg/s"], rows))


if __name__ == "__main__":
    main()
