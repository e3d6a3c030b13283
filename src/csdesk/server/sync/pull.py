"""Reading the change feed into pre-encoded JSON pages.

Payloads are stored as JSON text, so a page is assembled from bytes without decoding and
re-encoding each entity; that is most of a pull's cost otherwise.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, text
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
_JSON = """{cast_open}'{{"seq":' || seq || ',"entity":"' || entity || '","id":' || {quote}
       || ',"deleted":' || CASE WHEN deleted THEN 'true' ELSE 'false' END
       || ',"data":' || COALESCE(payload, 'null') || '}}'{cast_close}"""
_RANGE = """FROM sync_changes
WHERE seq > :after AND seq <= :top AND (realm IS NULL OR realm = :realm)
ORDER BY seq
LIMIT :limit"""
_DIALECT = {
    "sqlite": {"quote": "json_quote(entity_id)", "cast_open": "CAST(", "cast_close": " AS BLOB)"},
    "postgresql": {"quote": "to_json(entity_id)::text", "cast_open": "", "cast_close": ""},
}
_PAGE = {d: text(f"SELECT seq, {_JSON.format(**v)} {_RANGE}") for d, v in _DIALECT.items()}
# The page's seqs as one string: one row to step through, not 500 (sqlite3 takes the GIL
# back for every row, and with the event loop busy each of those waits its turn). Their
# order is restored in Python.
_SEQS = {
    "sqlite": text(f"SELECT group_concat(seq) FROM (SELECT seq {_RANGE})"),
    "postgresql": text(f"SELECT string_agg(seq::text, ',') FROM (SELECT seq {_RANGE}) AS page"),
}
_ROWS = {
    d: text(
        f"SELECT seq, {_JSON.format(**v)} FROM sync_changes"
        " WHERE seq IN :seqs AND (realm IS NULL OR realm = :realm)"
    ).bindparams(bindparam("seqs", expanding=True))
    for d, v in _DIALECT.items()
}
_HEAD = text("SELECT value FROM sync_counter WHERE id = 1")


class RowCache:
    """Each change's encoded JSON by (reading realm, seq), least recently used dropped past
    ``max_bytes``.

    Sound because a seq names one content for good: the feed (``feed.log.append``) gives a
    changed entity a new, larger seq and never rewrites a committed row under its old one.
    Desks that catch up read the same recent changes again and again; with this a page read
    is one query for the seqs (realm filter, order, limit) plus one for the rows not seen.
    Shared by the reading threads. The reading realm is part of the key: should a seq ever
    name other content (a database restored or re-created under a running server takes the
    counter back), a row cached for one realm is still never handed to another.
    """

    def __init__(self, max_bytes: int = 32 << 20) -> None:
        self._rows: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[Hashable]) -> dict[Hashable, bytes]:
        with self._lock:
            rows = self._rows
            found = {key: rows[key] for key in keys if key in rows}
            for key in found:
                rows.move_to_end(key)
            return found

    def put_many(self, found: Mapping[Hashable, bytes]) -> None:
        with self._lock:
            for seq, body in found.items():
                if seq not in self._rows:
                    self._rows[seq] = body
                    self._bytes += len(body)
            while self._bytes > self._max and self._rows:
                self._bytes -= len(self._rows.popitem(last=False)[1])


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def read_page(
    db: Session | Connection, after: int, limit: int, realm: str, rows: RowCache | None = None
) -> Page:
    """The page of changes after ``after`` visible in ``realm``, encoded."""
    conn = db.connection() if isinstance(db, Session) else db
    # Read the head first: every seq up to it is committed (seqs follow commits), so a cursor
    # set to it never skips a write that is still in flight.
    top = int(conn.execute(_HEAD).scalar() or 0)
    if after > top:
        raise CursorAhead(after, top)
    where = {"after": after, "top": top, "realm": realm, "limit": limit + 1}
    if rows is None:
        found = conn.execute(_PAGE[conn.dialect.name], where).all()
        seqs = [r[0] for r in found]
        encoded = {r[0]: _as_bytes(r[1]) for r in found}
    else:
        listed = conn.execute(_SEQS[conn.dialect.name], where).scalar()
        seqs = sorted(int(seq) for seq in listed.split(",")) if listed else []
        cached = rows.get_many([(realm, seq) for seq in seqs[:limit]])
        encoded = {seq: cached[(realm, seq)] for seq in seqs[:limit] if (realm, seq) in cached}
        missing = [seq for seq in seqs[:limit] if seq not in encoded]
        if missing:
            fresh = {
                r[0]: _as_bytes(r[1])
                for r in conn.execute(_ROWS[conn.dialect.name], {"seqs": missing, "realm": realm})
            }
            rows.put_many({(realm, seq): body for seq, body in fresh.items()})
            encoded.update(fresh)
    more = len(seqs) > limit
    seqs = seqs[:limit]
    cursor = seqs[-1] if more else top
    # A seq read above but gone now (PostgreSQL reads each statement at its own snapshot) was
    # superseded by a later change of its entity, which a later page brings: leave it out.
    changes = [encoded[seq] for seq in seqs if seq in encoded]
    body = b'{"changes":[%s],"cursor":%d,"head":%d,"more":%s}' % (
        b",".join(changes),
        cursor,
        top,
        b"true" if more else b"false",
    )
    return Page(body, len(changes), cursor, top)


class PageReader:
    """Reads pages on a few threads of its own.

    Not the shared thread pool: there a burst of pulls at random cursors would run 40 reads
    at once, each slower for the others (the GIL; on SQLite one file), and other requests
    would queue behind them. A small pool bounds that (8 threads on PostgreSQL, 4 on SQLite:
    with 2, pages of 500 at random cursors reached 1.9x the old rate, with 4 3.1x, with 8 no
    more, on the shared 2-core box).
    """

    def __init__(self, engine: Engine, row_cache_bytes: int = 32 << 20) -> None:
        # A Core connection, no ORM session: readonly takes no write lock on SQLite (db.py).
        self._engine = engine.execution_options(readonly=True)
        workers = 8 if engine.dialect.name == "postgresql" else 4
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="csdesk-pull")
        self.rows = RowCache(row_cache_bytes) if row_cache_bytes > 0 else None

    def _read(self, after: int, limit: int, realm: str) -> Page:
        with self._engine.connect() as conn:
            return read_page(conn, after, limit, realm, self.rows)

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
