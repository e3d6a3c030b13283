"""Reading the change feed into pre-encoded JSON pages.

Payloads are stored as JSON text, so a page is assembled from bytes without decoding and
re-encoding each entity; that is most of a pull's cost otherwise.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    count: int
    cursor: int
    head: int


Key = tuple[int, int, str, int]


class CursorAhead(Exception):
    def __init__(self, cursor: int, head: int) -> None:
        super().__init__(f"cursor {cursor} is ahead of the server's feed ({head})")
        self.cursor = cursor
        self.head = head


# Each change's JSON is assembled by the database from its columns (payloads are stored as
# JSON text): Python then joins 500 strings instead of formatting 500 rows. ``{quote}`` is the
# dialect's JSON string quoting; SQLite hands the text over as bytes (no decode, no encode).
_PAGE_SQL = """
SELECT seq,
       {cast_open}'{{"seq":' || seq || ',"entity":"' || entity || '","id":' || {quote}
       || ',"deleted":' || CASE WHEN deleted THEN 'true' ELSE 'false' END
       || ',"data":' || COALESCE(payload, 'null') || '}}'{cast_close}
FROM sync_changes
WHERE seq > :after AND seq <= :top AND (realm IS NULL OR realm = :realm)
ORDER BY seq
LIMIT :limit
"""
_PAGE = {
    "sqlite": text(
        _PAGE_SQL.format(quote="json_quote(entity_id)", cast_open="CAST(", cast_close=" AS BLOB)")
    ),
    "postgresql": text(
        _PAGE_SQL.format(quote="to_json(entity_id)::text", cast_open="", cast_close="")
    ),
}
_HEAD = text("SELECT value FROM sync_counter WHERE id = 1")


def read_page(db: Session | Connection, after: int, limit: int, realm: str) -> Page:
    """The page of changes after ``after`` visible in ``realm``, encoded."""
    conn = db.connection() if isinstance(db, Session) else db
    # Read the head first: every seq up to it is committed (seqs follow commits), so a cursor
    # set to it never skips a write that is still in flight.
    top = int(conn.execute(_HEAD).scalar() or 0)
    if after > top:
        raise CursorAhead(after, top)
    rows = conn.execute(
        _PAGE[conn.dialect.name],
        {"after": after, "top": top, "realm": realm, "limit": limit + 1},
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1][0] if more else top
    changes = [r[1] for r in rows]
    joined = (
        b",".join(changes)
        if changes and isinstance(changes[0], bytes)
        else ",".join(changes).encode()
    )
    body = b'{"changes":[%s],"cursor":%d,"head":%d,"more":%s}' % (
        joined,
        cursor,
        top,
        b"true" if more else b"false",
    )
    return Page(body, len(rows), cursor, top)


class PageReader:
    """Reads pages on a few threads of its own.

    Not the shared thread pool: there a burst of pulls at random cursors would run 40 reads
    at once, each slower for the others (the GIL; on SQLite one file), and other requests
    would queue behind them. A small pool bounds that (8 threads on PostgreSQL, 2 on SQLite).
    """

    def __init__(self, engine: Engine) -> None:
        # A Core connection, no ORM session: readonly takes no write lock on SQLite (db.py).
        self._engine = engine.execution_options(readonly=True)
        workers = 8 if engine.dialect.name == "postgresql" else 2
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="csdesk-pull")

    def _read(self, after: int, limit: int, realm: str) -> Page:
        with self._engine.connect() as conn:
            return read_page(conn, after, limit, realm)

    async def read(self, after: int, limit: int, realm: str) -> Page:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._read, after, limit, realm)


class PageCache:
    """Encoded pages by (cursor, limit, realm, known head), shared by concurrent pulls.

    After a wake-up hundreds of agents ask for the same page at the same moment: the first
    request reads and encodes it and the others await that same read (single flight), so one
    database read answers them all with the same bytes. Entries live ``ttl`` seconds: the
    in-process head can lag writes made by another process, and a short life bounds how long
    a page can be stale. At most ``size`` pages and ``max_bytes`` bytes are kept (LRU).
    """

    def __init__(self, size: int = 256, ttl: float = 1.0, max_bytes: int = 32 << 20) -> None:
        self._pages: OrderedDict[Key, tuple[float, Page]] = OrderedDict()
        self._flights: dict[Key, asyncio.Future[Page]] = {}
        self._size = size
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._bytes = 0

    async def get(self, key: Key, fetch: Callable[[], Awaitable[Page]]) -> Page:
        loop = asyncio.get_running_loop()
        hit = self._pages.get(key)
        if hit is not None and loop.time() - hit[0] < self._ttl:
            return hit[1]
        flight = self._flights.get(key)
        if flight is not None:
            return await asyncio.shield(flight)
        flight = self._flights[key] = loop.create_future()
        try:
            page = await fetch()
        except BaseException as exc:
            flight.set_exception(exc)
            flight.exception()  # retrieved here: waiters re-raise it, nobody logs it unseen
            raise
        finally:
            self._flights.pop(key, None)
        flight.set_result(page)
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1].body)
        self._pages[key] = (loop.time(), page)
        self._bytes += len(page.body)
        while self._pages and (len(self._pages) > self._size or self._bytes > self._max_bytes):
            self._bytes -= len(self._pages.popitem(last=False)[1][1].body)
        return page
