"""How long ``csdesk-server seed-demo`` takes as the store grows.

Each scale seeds a fresh database and reports the rows written (every synced row plus its
change-feed entry) per second of wall time, the CPU spent here and in the generator process
(large stores prepare rows in a second process), and the database size.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from _common import Backend, backends, fresh_database, machine, parser, seed, table

DEFAULT_SCALES = [(1_000, None), (10_000, 100_000)]
LARGE_SCALES = [(100_000, 1_000_000)]


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _measure(db_url: str) -> tuple[int, int, int, float]:
    """Conversations, messages, feed rows and database size (MB) of a seeded database."""
    from sqlalchemy import create_engine, func, select, text

    from csdesk.storage import models as m

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            convs, msgs, feed = (
                conn.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (m.Conversation, m.Message, m.SyncChange)
            )
            if engine.dialect.name == "postgresql":
                size = conn.execute(
                    text("SELECT pg_database_size(current_database())")
                ).scalar_one()
            else:
                path = Path(db_url.split("///", 1)[1])
                size = sum(f.stat().st_size for f in (path, Path(f"{path}-wal")) if f.exists())
        return int(convs), int(msgs), int(feed), float(size) / 1e6
    finally:
        engine.dispose()


def run(backend: Backend, customers: int, messages: int | None) -> list[object]:
    with fresh_database(backend) as url:
        cpu0 = _cpu()
        start = time.perf_counter()
        seed(url, customers, messages=messages)
        seconds = time.perf_counter() - start
        cpu1 = _cpu()
        convs, msgs, feed, size = _measure(url)
        return [
            backend.name,
            customers,
            convs,
            msgs,
            feed,
            seconds,
            feed / seconds,
            cpu1[0] - cpu0[0],
            cpu1[1] - cpu0[1],
            size,
        ]


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--large", action="store_true", help="also 100k customers / 1M messages")
    args = p.parse_args()
    scales = DEFAULT_SCALES + (LARGE_SCALES if args.large else [])
    rows = [run(b, c, msg) for b in backends(args) for c, msg in scales]
    print(f"seed-demo ({machine()})")
    print(
        table(
            [
                "backend",
                "customers",
                "conversations",
                "messages",
                "synced rows",
                "seconds",
                "rows/s",
                "cpu s (main)",
                "cpu s (worker)",
                "db MB",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
