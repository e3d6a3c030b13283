"""The desk's search index: a first sync into the local cache, and searching as the inbox does.

    python bench/desk_search.py [--messages 100000] [--indexed 1260000] [--reps 3]

1. First sync: the pages of ``--messages`` messages (with their conversations, customers and
   orders, as the feed brings them, 500 changes a page) applied with ``LocalCache.apply_page``
   and the search index attached (it builds once, at the end). Baseline, same run,
   interleaved: a raw Core insert of the same rows, page by page, plus one SQL FTS build.
2. Search: a cache of about ``--indexed`` index rows (messages, customers, orders; filled
   directly, then one bulk index build), searched the way the inbox runs it —
   ``Workstation.ordered_ids`` with a query, in the "everywhere" scope and in "All open" —
   for each class of query. Baseline, same run, interleaved: the FTS statement alone.

No server: the cache alone. Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import machine, median, pct, table

from csdesk.app import search
from csdesk.app.inbox import Sort, View
from csdesk.app.search import SearchIndex, match_expression
from csdesk.app.workstation import Me, Workstation
from csdesk.protocol import Change, Entity, PullPage
from csdesk.storage.wire import from_wire, row_to_wire
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from csdesk.sync.tables import CACHE_TABLES

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
PAGE = 500
FIRST = ["anna", "ben", "carla", "dario", "eva", "farid", "greta", "hugo", "ines", "jonas"]
LAST = ["kowalski", "meyer", "rossi", "dubois", "novak", "silva", "jansen", "berg", "costa"]
RARE = "zanzibarite"


def words(rng: random.Random) -> list[str]:
    """A vocabulary: ~8,000 made-up words, used with a skewed frequency."""
    syll = ["ka", "lo", "mi", "ne", "ro", "ta", "vu", "se", "pi", "do", "re", "ga", "bu", "fe"]
    out = {"".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) for _ in range(12_000)}
    return sorted(out)[:8_000]


class Store:
    """Deterministic synthetic rows: ``n`` messages, n/4 conversations, n/8 customers and
    n/8 orders (about the shape of the issue's 100 k sync: 125 k index rows)."""

    def __init__(self, n: int, seed: int = 7) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.vocab = words(self.rng)
        self.cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(self.vocab))))
        self.customers = max(1, n // 8)
        self.conversations = max(1, n // 4)
        self.ids = [str(uuid.UUID(int=self.rng.getrandbits(128))) for _ in range(n * 2)]

    def customer(self, i: int) -> dict[str, Any]:
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        at = NOW - timedelta(minutes=i)
        return {
            "id": f"cust-{i}", "realm": "production", "created_at": at, "updated_at": at,
            "name": f"{first.title()} {last.title()}{i}", "email": f"{first}.{last}{i}@example.com",
            "phone": f"+4915{i:08d}", "language": "en", "timezone": "UTC", "tags": [],
            "loyalty_tier": "none", "loyalty_points": 0, "notes": "", "merged_into_id": None,
        }  # fmt: skip

    def order(self, i: int) -> dict[str, Any]:
        at = NOW - timedelta(minutes=i)
        return {
            "id": f"ord-{i}", "realm": "production", "created_at": at, "updated_at": at,
            "customer_id": f"cust-{i}", "number": f"ORD-{i:07d}", "status": "placed",
            "total_cents": 1000 + i, "currency": "EUR", "placed_at": at,
        }  # fmt: skip

    def conversation(self, i: int) -> dict[str, Any]:
        at = NOW - timedelta(seconds=i)
        return {
            "id": f"conv-{i}", "realm": "production", "created_at": at, "updated_at": at,
            "customer_id": f"cust-{i % self.customers}", "channel": "email",
            "subject": f"Question {i}", "preview": "Where is my order?",
            "status": ("open", "pending", "resolved", "open", "snoozed")[i % 5],
            "priority": "normal", "assignee_id": None, "team_id": None, "tags": [],
            "language": "en", "snoozed_until": None, "first_response_due_at": at,
            "resolution_due_at": None, "first_response_at": None, "resolved_at": None,
            "last_message_at": at, "last_inbound_at": at, "waiting_since": at,
            "message_count": 4, "deleted_at": None,
        }  # fmt: skip

    def message(self, i: int) -> dict[str, Any]:
        body = " ".join(self.rng.choices(self.vocab, cum_weights=self.cum, k=12))
        if i % 2 == 0:
            body = "my order " + body
        if i % 97 == 0:
            body += " the blender arrived broken"
        if i in (self.n // 3, self.n // 2):
            body += f" {RARE}"
        at = NOW - timedelta(seconds=i)
        return {
            "id": f"msg-{i}", "realm": "production", "created_at": at, "updated_at": at,
            "conversation_id": f"conv-{i % self.conversations}", "channel": "email",
            "direction": "in", "is_note": False, "author_user_id": None, "author_name": "",
            "subject": "", "body_text": body, "body_html": None, "attachments": [],
            "delivery_status": "delivered", "failure_reason": None, "provider_message_id": None,
            "sent_at": at, "delivered_at": None, "read_at": None, "template": None,
            "is_auto": False,
        }  # fmt: skip

    def rows(self) -> Iterator[tuple[Entity, dict[str, Any]]]:
        """In feed order: each customer with its order, conversations, then messages."""
        for i in range(self.customers):
            yield Entity.CUSTOMER, self.customer(i)
            yield Entity.ORDER, self.order(i)
        for i in range(self.conversations):
            yield Entity.CONVERSATION, self.conversation(i)
        for i in range(self.n):
            yield Entity.MESSAGE, self.message(i)


def known(entity: Entity, row: dict[str, Any]) -> dict[str, Any]:
    cols = set(CACHE_TABLES[entity].c.keys())
    return {k: v for k, v in row.items() if k in cols}


def pages(store: Store) -> list[PullPage]:
    changes: list[Change] = []
    for seq, (entity, row) in enumerate(store.rows(), 1):
        data = row_to_wire(entity, known(entity, row))
        changes.append(
            {"seq": seq, "entity": entity.value, "id": row["id"], "deleted": False, "data": data}
        )
    out: list[PullPage] = []
    for start in range(0, len(changes), PAGE):
        chunk = changes[start : start + PAGE]
        out.append(
            {"changes": chunk, "cursor": chunk[-1]["seq"], "head": len(changes), "more": True}
        )
    out[-1]["more"] = False
    return out


# --- 1. first sync ---------------------------------------------------------------------------


def first_sync(workdir: Path, sync_pages: list[PullPage]) -> float:
    cache = LocalCache(workdir / f"sync-{uuid.uuid4().hex}.sqlite")
    SearchIndex(cache)
    start = time.perf_counter()
    for page in sync_pages:
        cache.apply_page(page)
    elapsed = time.perf_counter() - start
    cache.close()
    return elapsed


def raw_insert(workdir: Path, sync_pages: list[PullPage]) -> float:
    """The same rows inserted page by page with Core executemany, plus one FTS build."""
    from sqlalchemy import insert, text

    cache = LocalCache(workdir / f"raw-{uuid.uuid4().hex}.sqlite")
    with cache.write() as s:
        s.execute(
            text("CREATE VIRTUAL TABLE raw_fts USING fts5(body, conversation_id, customer_id)")
        )
    prepared = [
        [
            (
                Entity(c["entity"]),
                {**from_wire(Entity(c["entity"]), c["data"] or {}), "id": c["id"]},
            )
            for c in p["changes"]
        ]
        for p in sync_pages
    ]
    start = time.perf_counter()
    for rows in prepared:
        by: dict[Entity, list[dict[str, Any]]] = {}
        for entity, row in rows:
            by.setdefault(entity, []).append(row)
        with cache.write(durable=False) as s:
            for entity, batch in by.items():
                s.execute(insert(CACHE_TABLES[entity]), batch)
    with cache.write() as s:
        s.execute(
            text(
                "INSERT INTO raw_fts (body, conversation_id, customer_id) "
                "SELECT subject || char(10) || body_text, conversation_id, NULL FROM messages"
            )
        )
        s.execute(
            text(
                "INSERT INTO raw_fts SELECT name || ' ' || coalesce(email, '') || ' ' || "
                "coalesce(phone, ''), NULL, id FROM customers"
            )
        )
        s.execute(text("INSERT INTO raw_fts SELECT number, NULL, customer_id FROM orders"))
    elapsed = time.perf_counter() - start
    cache.close()
    return elapsed


# --- 2. search ---------------------------------------------------------------------------------


def fill(path: Path, store: Store) -> Workstation:
    from sqlalchemy import insert

    cache = LocalCache(path)
    batch: dict[Entity, list[dict[str, Any]]] = {}

    def flush() -> None:
        with cache.write(durable=False) as s:
            for entity, rows in batch.items():
                s.execute(insert(CACHE_TABLES[entity]), rows)
        batch.clear()

    for k, (entity, row) in enumerate(store.rows(), 1):
        batch.setdefault(entity, []).append(known(entity, row))
        if k % 20_000 == 0:
            flush()
    flush()
    with cache.write() as s:
        from csdesk.sync.tables import set_state

        set_state(s, "cursor", 1)
        set_state(s, "user", {"id": "u-me", "display_name": "Me", "username": "me"})
    engine = SyncEngine(cache, SyncApi("http://127.0.0.1:9"))  # never started
    ws = Workstation(engine, Me("u-me", "me", "Me", "agent"))
    ws.search_index.rebuild()
    return ws


def queries(store: Store) -> list[tuple[str, str]]:
    i = store.customers // 2
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    mid_word = store.vocab[40]
    return [
        ("rare word", RARE),
        ("name", f"{last.title()}{i}"),
        ("email", f"{first}.{last}{i}@example.com"),
        ("phone", f"+4915{i:08d}"),
        ("order number", f"ORD-{i:07d}"),
        ("common word", "order"),
        ("two words", "blender broken"),
        ("prefix (2 letters)", mid_word[:2]),
        ("prefix (3 letters)", mid_word[:3]),
        ("word as typed", mid_word[:5]),
    ]


def fts_alone(ws: Workstation, query: str) -> Callable[[], object]:
    from sqlalchemy import text

    expr = match_expression(query)

    def run() -> object:
        with ws.cache.session() as s:
            return s.execute(
                text("SELECT rowid FROM search_fts WHERE search_fts MATCH :q LIMIT :n"),
                {"q": expr, "n": search.MAX_HITS},
            ).all()

    return run


def timings(fn: Callable[[], object], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=100_000, help="first sync size")
    p.add_argument("--indexed", type=int, default=1_260_000, help="index rows for searches")
    p.add_argument("--reps", type=int, default=3, help="first-sync repetitions (interleaved)")
    p.add_argument("--searches", type=int, default=40, help="timed searches per class")
    p.add_argument(
        "--max-hits", type=int, default=search.MAX_HITS, help="search.MAX_HITS for this run"
    )
    p.add_argument("--skip-sync", action="store_true")
    p.add_argument("--skip-search", action="store_true")
    p.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="keep the search cache in this file, and reuse it when it exists (a run of the "
        "same --indexed)",
    )
    args = p.parse_args()
    search.MAX_HITS = args.max_hits
    workdir = Path(tempfile.mkdtemp(prefix="csdesk-search-"))
    print(machine(), "| load average at start:", os.getloadavg())

    if not args.skip_sync:
        store = Store(args.messages)
        sync_pages = pages(store)
        measured, base = [], []
        for _ in range(args.reps):
            base.append(raw_insert(workdir, sync_pages))
            measured.append(first_sync(workdir, sync_pages))
            for f in workdir.glob("*.sqlite*"):
                f.unlink()
        ratio = median(measured) / median(base)
        print(f"\nFirst sync of {args.messages:,} messages ({len(sync_pages):,} pages), "
              f"{args.reps} reps interleaved, seconds")  # fmt: skip
        print(
            table(
                ["path", "measured (median, runs)", "raw insert + one FTS build", "ratio", "goal"],
                [
                    [
                        "first sync into the cache, index built once",
                        f"{median(measured):.2f} ({', '.join(f'{x:.2f}' for x in measured)})",
                        f"{median(base):.2f} ({', '.join(f'{x:.2f}' for x in base)})",
                        f"{ratio:.2f}×",
                        f"≤ 2× ({'met' if ratio <= 2 else 'NOT met'})",
                    ]
                ],
            )
        )
        print("load average:", os.getloadavg())

    if not args.skip_search:
        store = Store(max(8, int(args.indexed / 1.25)))
        t = time.perf_counter()
        if args.cache is not None and args.cache.exists():
            engine = SyncEngine(LocalCache(args.cache), SyncApi("http://127.0.0.1:9"))
            ws = Workstation(engine, Me("u-me", "me", "Me", "agent"))
        else:
            ws = fill(args.cache or workdir / "search.sqlite", store)
        with ws.cache.session() as s:
            from sqlalchemy import text

            indexed = int(s.scalar(text("SELECT count(*) FROM search_refs")) or 0)
        print(f"\nSearch: {indexed:,} index rows (setup {time.perf_counter() - t:.0f} s), "
              f"{args.searches} searches per class, interleaved; ms")  # fmt: skip
        rows = []
        for label, q in queries(store):
            every: list[float] = []
            open_: list[float] = []
            fts: list[float] = []
            n_hits = len(ws.ordered_ids(View.EVERYWHERE, Sort.NEWEST, q))  # warm
            for _ in range(args.searches):
                fts += timings(fts_alone(ws, q), 1)
                every += timings(lambda q=q: ws.ordered_ids(View.EVERYWHERE, Sort.NEWEST, q), 1)
                open_ += timings(lambda q=q: ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST, q), 1)
            worst = max(pct(every, 95), pct(open_, 95))
            rows.append(
                [
                    f"{label}: {q!r}",
                    n_hits,
                    f"{median(every):.1f} / {pct(every, 95):.1f}",
                    f"{median(open_):.1f} / {pct(open_, 95):.1f}",
                    f"{median(fts):.1f} / {pct(fts, 95):.1f}",
                    f"{worst / max(pct(fts, 95), 0.01):.1f}×",
                    f"≤ 20 ({'met' if worst <= 20 else 'NOT met'})",
                ]
            )
        print(
            table(
                [
                    "class: query",
                    "hits",
                    "ordered_ids everywhere p50/p95",
                    "ordered_ids All open p50/p95",
                    "FTS alone p50/p95",
                    "p95 ratio",
                    "goal p95",
                ],
                rows,
            )
        )
        print("load average:", os.getloadavg())
        ws.cache.close()
    for f in workdir.glob("*"):
        f.unlink()
    workdir.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
