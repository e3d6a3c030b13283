"""Reading the change feed into pre-encoded JSON pages.

Payloads are stored as JSON text, so a page is assembled from bytes without decoding and
re-encoding each entity; that is most of a pull's cost otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import compress
from typing import Any, TypeVar

import orjson
from sqlalchemy import BigInteger, Connection, Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from csdesk.domain.macros import SHARERS
from csdesk.storage.wire import REALM_LOSS, team_audience

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    count: int
    cursor: int
    head: int
    #: Whether rows for single readers (``read_personal``) may lie in this page's range;
    #: False only when the page's read found none there.
    personal: bool = True


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
_DIALECT = {
    "sqlite": {"quote": "json_quote(entity_id)", "cast_open": "CAST(", "cast_close": " AS BLOB)"},
    "postgresql": {"quote": "to_json(entity_id)::text", "cast_open": "", "cast_close": ""},
}
# The head and the page's seqs in one statement, so one snapshot (and on PostgreSQL one round
# trip): every seq up to the head is committed (seqs follow commits), so a cursor set to it
# never skips a write still in flight. The seqs come as one value: one row to step through,
# not 500 (sqlite3 takes the GIL back for every row, and with the event loop busy each of
# those waits its turn); PostgreSQL's as an ordered array, SQLite's as a JSON array: both are
# read in C (psycopg, orjson). No counter row (an empty feed): no row at all.
_SQLITE_SEQS = """SELECT c.value, (SELECT json_group_array(seq) FROM (
    SELECT seq FROM sync_changes
    WHERE seq > :after AND seq <= c.value AND (realm IS NULL OR realm = :realm OR realm = :also)
    ORDER BY seq LIMIT :limit) AS page)
FROM sync_counter AS c WHERE c.id = 1"""
# Whether any reader's own rows (``read_personal``: rows with an audience, revocations) lie in
# a page's range: when none do, no pull of that page needs the per-user read (a statement, and
# on PostgreSQL a round trip, of its own). Two index probes (the partial index
# ``ix_sync_changes_personal``, the revocations' seq index).
_PERSONAL_IN = """EXISTS (SELECT 1 FROM sync_changes AS s
        WHERE s.audience IS NOT NULL AND s.seq > :after AND s.seq <= {upto})
    OR EXISTS (SELECT 1 FROM sync_revocations AS r WHERE r.seq > :after AND r.seq <= {upto})"""
# SQLite asks it by the driver once the page's cursor is known (in the head's statement it
# doubled that statement's cost); PostgreSQL in the head's statement (one round trip), up to
# the page's last seq read (one past its cursor when it is full) or the head.
_SQLITE_PERSONAL_IN = "SELECT " + _PERSONAL_IN.format(upto=":upto")
_PG_HEAD_SEQS = """WITH c AS (SELECT value FROM sync_counter WHERE id = 1),
page AS (
    SELECT seq FROM sync_changes
    WHERE seq > :after AND seq <= (SELECT value FROM c)
        AND (realm IS NULL OR realm = :realm OR realm = :also)
    ORDER BY seq LIMIT :limit),
upto AS (SELECT CASE WHEN count(*) = :limit THEN max(seq) ELSE (SELECT value FROM c) END AS seq
    FROM page)
SELECT c.value, (SELECT array_agg(seq ORDER BY seq) FROM page),
    (SELECT {personal} FROM upto AS u)
FROM c""".format(personal=_PERSONAL_IN.format(upto="u.seq"))
_SEQS = {
    "sqlite": text(_SQLITE_SEQS),
    "postgresql": text(_PG_HEAD_SEQS),
}
# The rows themselves; PostgreSQL takes the seqs as one array parameter (not 500 of them).
_ROWS = {
    "sqlite": text(
        f"SELECT seq, {_JSON.format(**_DIALECT['sqlite'])} FROM sync_changes"
        " WHERE seq IN :seqs AND (realm IS NULL OR realm = :realm OR realm = :also)"
    ).bindparams(bindparam("seqs", expanding=True)),
    "postgresql": text(
        f"SELECT seq, {_JSON.format(**_DIALECT['postgresql'])} FROM sync_changes"
        " WHERE seq = ANY(:seqs) AND (realm IS NULL OR realm = :realm OR realm = :also)"
    ).bindparams(bindparam("seqs", type_=ARRAY(BigInteger))),
}


# One user's rows (a personal canned response or macro, docs/macros.md): written under a realm
# no reader pulls (``wire.PERSONAL_FEED``) with the owner as ``audience``; read per user, never
# cached or shared between readers. A team's rows likewise, with ``team:<realm>:<team id>`` as
# their audience: the team's members and the realm's supervisors and administrators read them.
_PERSONAL = {
    dialect: text(
        f"SELECT seq, {_JSON.format(**_DIALECT[dialect])} FROM sync_changes"
        " WHERE audience IN :mine AND seq > :after AND seq <= :upto ORDER BY seq"
    ).bindparams(bindparam("mine", expanding=True))
    for dialect in _DIALECT
}
# Rows this reader held and may no longer see (``feed.audience``): a revocation naming one of
# its audiences whose entity's current row it cannot see becomes a tombstone. Its audiences, its
# own rows and its tombstones in one statement (one round trip per pull, as before teams): the
# user's team and role are read in it, so a team change counts at once (no token cache).
_MINE = """WITH who AS (SELECT team_id, role FROM users WHERE id = :me),
mine AS (
    SELECT CAST(:me AS VARCHAR(64)) AS a
    UNION ALL SELECT :team || who.team_id FROM who
        WHERE who.team_id IS NOT NULL AND who.role NOT IN :leads
    UNION ALL SELECT :team || t.id FROM teams AS t, who WHERE who.role IN :leads)"""
# (A backslash before a colon: a colon in the text, not a bind parameter.)
_TOMBSTONE = """{cast_open}'{{"seq":' || MAX(r.seq) || ',"entity":"' || r.entity || '","id":'
       || {quote} || ',"deleted"\\:true,"data"\\:null}}'{cast_close}"""
_TEAM_READ = """{mine}
SELECT seq, {json} FROM sync_changes
WHERE audience IN (SELECT a FROM mine) AND seq > :after AND seq <= :upto
UNION ALL
SELECT MAX(r.seq), {tombstone} FROM sync_revocations AS r
JOIN sync_changes AS c ON c.entity = r.entity AND c.entity_id = r.entity_id
WHERE (r.lost IN (SELECT a FROM mine) OR r.lost = :realm_lost OR r.lost = :also_lost)
    AND r.seq > :after AND r.seq <= :upto
    AND NOT (c.realm IS NULL OR c.realm = :realm OR c.realm = :also
             OR (c.audience IS NOT NULL AND c.audience IN (SELECT a FROM mine)))
GROUP BY r.entity, r.entity_id
ORDER BY 1"""
_TEAM_READS = {
    dialect: text(
        _TEAM_READ.format(
            mine=_MINE,
            json=_JSON.format(**_DIALECT[dialect]),
            tombstone=_TOMBSTONE.format(
                quote=_DIALECT[dialect]["quote"].replace("entity_id", "r.entity_id"),
                cast_open=_DIALECT[dialect]["cast_open"],
                cast_close=_DIALECT[dialect]["cast_close"],
            ),
        )
    ).bindparams(bindparam("leads", expanding=True))
    for dialect in _DIALECT
}
_MEMBER = text("SELECT team_id, role FROM users WHERE id = :me")
_TEAMS = text("SELECT id FROM teams")


@dataclass(frozen=True, slots=True)
class Reader:
    """Who pulls: the user, the realm they read and the narrower audience they also pull."""

    me: str
    realm: str | None = None
    also: str | None = None


def audiences_of(conn: Connection, who: Reader) -> list[str]:
    """The feed audiences ``who`` reads besides their realm: themselves, their team's rows
    and, for supervisors and administrators (who manage every team's, docs/macros.md), every
    team's; read now (a team change counts at once, not when a token cache forgets). What
    ``read_personal``'s statement computes in the database (``_MINE``)."""
    mine = [who.me]
    if who.realm is None:
        return mine
    member = conn.execute(_MEMBER, {"me": who.me}).first()
    if member is None:
        return mine
    team_id, role = member
    if role in SHARERS:
        mine += [team_audience(who.realm, str(t)) for (t,) in conn.execute(_TEAMS)]
    elif team_id is not None:
        mine.append(team_audience(who.realm, str(team_id)))
    return mine


def read_personal(db: Session | Connection, after: int, upto: int, me: str | Reader) -> list[bytes]:
    """``me``'s own changes in ``(after, upto]`` (with a ``Reader``: its team's rows and the
    tombstones of rows it lost too), encoded like a page's."""
    if upto <= after:
        return []
    conn = db.connection() if isinstance(db, Session) else db
    if not isinstance(me, Reader) or me.realm is None:
        ident = me.me if isinstance(me, Reader) else me
        where = {"mine": [ident], "after": after, "upto": upto}
        return [_as_bytes(r[1]) for r in conn.execute(_PERSONAL[conn.dialect.name], where)]
    also = me.also or me.realm
    params = {
        "me": me.me,
        "team": team_audience(me.realm, ""),
        "leads": sorted(SHARERS),
        "after": after,
        "upto": upto,
        "realm": me.realm,
        "also": also,
        "realm_lost": REALM_LOSS + me.realm,  # revocations from every reader of the realm
        "also_lost": REALM_LOSS + also,
    }
    return [_as_bytes(r[1]) for r in conn.execute(_TEAM_READS[conn.dialect.name], params)]


def with_personal(page: Page, rows: Sequence[bytes]) -> Page:
    """``page`` with ``rows`` (one user's, from ``read_personal`` up to its cursor) spliced in
    ahead of the realm's changes: they are independent entities, so order between them does
    not matter; the cursor and head stay the page's."""
    if not rows:
        return page
    opening = b'{"changes":['
    assert page.body.startswith(opening)
    rest = page.body[len(opening) :]
    joined = b",".join(rows)
    body = opening + joined + (rest if page.count == 0 else b"," + rest)
    return Page(body, page.count + len(rows), page.cursor, page.head, page.personal)


class RowCache:
    """Each change's encoded JSON by reading realm and seq, least recently used dropped past
    ``max_bytes``.

    Sound because a seq names one content for good: the feed (``feed.log.append``) gives a
    changed entity a new, larger seq and never rewrites a committed row under its old one.
    Desks that catch up read the same recent changes again and again; with this a page read
    is one query for the head and the seqs (realm filter, order, limit) plus one for the rows
    not seen. Shared by the reading threads. The reading realm is part of the key (one dict
    per realm): should a seq ever name other content (a database restored or re-created under
    a running server takes the counter back), a row cached for one realm is still never handed
    to another. Lookups are ``map`` over a dict, not a Python loop: a page is 500 of them.
    """

    def __init__(self, max_bytes: int = 32 << 20) -> None:
        self._realms: dict[str, OrderedDict[int, bytes]] = {}
        self._sizes: dict[str, int] = {}
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, realm: str, seqs: Sequence[int]) -> list[bytes | None]:
        """Each seq's row (None: not kept); the ones found count as just used."""
        with self._lock:
            rows = self._realms.get(realm)
            if not rows:
                return [None] * len(seqs)
            found = list(map(rows.get, seqs))
            deque(map(rows.move_to_end, compress(seqs, found)), maxlen=0)  # used: kept longer
            return found

    def put(self, realm: str, found: Mapping[int, bytes]) -> None:
        with self._lock:
            rows = self._realms.setdefault(realm, OrderedDict())
            added = 0
            for seq, body in found.items():
                if seq not in rows:
                    rows[seq] = body
                    added += len(body)
            self._sizes[realm] = self._sizes.get(realm, 0) + added
            self._bytes += added
            while self._bytes > self._max:
                # The oldest row of the realm holding the most.
                biggest = max(self._sizes, key=self._sizes.__getitem__)
                pool = self._realms[biggest]
                if not pool:
                    break
                size = len(pool.popitem(last=False)[1])
                self._sizes[biggest] -= size
                self._bytes -= size


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def read_page(
    db: Session | Connection,
    after: int,
    limit: int,
    realm: str,
    rows: RowCache | None = None,
    also: str | None = None,
) -> Page:
    """The page of changes after ``after`` visible in ``realm`` (and in the narrower feed
    audience ``also``, e.g. quality reviews for supervisors: ``wire.FEED_AUDIENCES``),
    encoded."""
    conn = db.connection() if isinstance(db, Session) else db
    dialect = conn.dialect.name
    where = {"after": after, "realm": realm, "limit": limit + 1, "also": also or realm}
    # The row cache keeps one pool per way of reading: an audience's rows never reach a
    # reader without it.
    reader = f"{realm}+{also}" if also else realm
    if dialect == "sqlite":
        # By the driver, outside SQLAlchemy: one statement is its own snapshot (a transaction
        # begun later, for rows the row cache lacks, is another: see "gone now" below). The
        # BEGIN and SQLAlchemy's execution were 0.2 ms of a page read's 0.47 ms of CPU.
        dbapi: Any = conn.connection.dbapi_connection
        head = dbapi.execute(_SQLITE_SEQS, where).fetchone()
    else:
        head = conn.execute(_SEQS[dialect], where).first()
    top, listed = (0, None) if head is None else (int(head[0] or 0), head[1])
    if after > top:
        raise CursorAhead(after, top)
    if not listed:
        seqs: list[int] = []
    elif isinstance(listed, str):
        seqs = sorted(orjson.loads(listed))  # SQLite: "[...]", most likely in order already
    else:
        seqs = listed  # PostgreSQL: a list, in order
    more = len(seqs) > limit
    del seqs[limit:]
    cursor = seqs[-1] if more else top
    if cursor <= after:
        personal = False
    elif dialect == "sqlite":
        flag = dbapi.execute(_SQLITE_PERSONAL_IN, {"after": after, "upto": cursor}).fetchone()
        personal = bool(flag[0])
    else:
        personal = bool(head[2])
    got: list[bytes | None] = [None] * len(seqs) if rows is None else rows.get(reader, seqs)
    if None in got:
        missing = [seq for seq, body in zip(seqs, got, strict=True) if body is None]
        fresh = {
            r[0]: _as_bytes(r[1])
            for r in conn.execute(
                _ROWS[dialect], {"seqs": missing, "realm": realm, "also": where["also"]}
            )
        }
        if rows is not None:
            rows.put(reader, fresh)
        got = [
            body if body is not None else fresh.get(seq)
            for seq, body in zip(seqs, got, strict=True)
        ]
    # A seq listed above but gone now (PostgreSQL reads each statement at its own snapshot) was
    # superseded by a later change of its entity, which a later page brings: leave it out.
    changes = [body for body in got if body is not None]
    # One copy of the ~400 KB: the opening and the tail are glued to the first and last rows
    # (small copies) and one join makes the page; ``%`` over the whole cost more than a join.
    tail = b'],"cursor":%d,"head":%d,"more":%s}' % (cursor, top, b"true" if more else b"false")
    count = len(changes)
    if changes:
        changes[0] = b'{"changes":[' + changes[0]
        changes[-1] += tail
        body = b",".join(changes)
    else:
        body = b'{"changes":[' + tail
    return Page(body, count, cursor, top, personal)


class PageReader:
    """Reads pages on a few threads of its own, each keeping one connection.

    Not the shared thread pool: there a burst of pulls at random cursors would run 40 reads
    at once, each slower for the others (the GIL; on SQLite one file), and other requests
    would queue behind them. A small pool bounds that (8 threads on PostgreSQL, 4 on SQLite:
    with 2, pages of 500 at random cursors reached 1.9x the old rate, with 4 3.1x, with 8 no
    more, on the shared 2-core box).

    Each thread keeps its connection between reads instead of taking one from the engine's
    pool per read: on PostgreSQL that checkout cost a ping, and the transaction a BEGIN and a
    ROLLBACK, three round trips around a one-statement read. PostgreSQL connections run in
    autocommit (the head and the seqs are one statement, one snapshot); SQLite's are the
    engine's read-only ones (a deferred BEGIN, no write lock). A connection that fails is
    dropped, and so is every kept one after ``engine.dispose()``; one found disconnected (the
    database restarted while it sat idle) is replaced and the read tried once more, as the
    pool's pre-ping did before.
    """

    def __init__(self, engine: Engine, row_cache_bytes: int = 32 << 20) -> None:
        # A Core connection, no ORM session: readonly takes no write lock on SQLite (db.py).
        postgres = engine.dialect.name == "postgresql"
        self._engine = engine.execution_options(
            readonly=True, **({"isolation_level": "AUTOCOMMIT"} if postgres else {})
        )
        workers = 8 if postgres else 4
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="csdesk-pull")
        self.rows = RowCache(row_cache_bytes) if row_cache_bytes > 0 else None
        self._local = threading.local()
        self._held: set[Connection] = set()
        self._lock = threading.Lock()
        self._closed = False

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pool is not self._engine.pool:
            # engine.dispose() since: every connection is to be replaced, kept ones too.
            self._drop(conn)
            conn = None
        if conn is None:
            self._local.pool = self._engine.pool
            conn = self._engine.connect()
            with self._lock:
                if self._closed:
                    conn.close()
                    raise RuntimeError("the page reader is closed")
                self._held.add(conn)
            self._local.conn = conn
        return conn

    def _drop(self, conn: Connection) -> None:
        self._local.conn = None
        with self._lock:
            self._held.discard(conn)
        with contextlib.suppress(Exception):
            conn.close()

    def _reading(self, read: Callable[[Connection], T]) -> T:
        """``read(conn)`` on this thread's kept connection, its read transaction ended; a
        connection found disconnected (the database restarted while it sat idle) is replaced
        and the read tried once more."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                result = read(conn)
                conn.rollback()  # ends SQLite's read transaction; no round trip on PostgreSQL
                return result
            except CursorAhead:
                conn.rollback()
                raise
            except DBAPIError as exc:
                self._drop(conn)
                if attempt == 2 or not exc.connection_invalidated:
                    raise
            except BaseException:
                self._drop(conn)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, after: int, limit: int, realm: str, also: str | None = None) -> Page:
        return self._reading(lambda conn: read_page(conn, after, limit, realm, self.rows, also))

    def _personal(self, after: int, upto: int, me: str | Reader) -> list[bytes]:
        # The same retry as a page's: after a database restart, a desk's first pull with its
        # own rows (mentions, reminders, personal macros) answered 503 on a stale connection.
        return self._reading(lambda conn: read_personal(conn, after, upto, me))

    async def personal(self, after: int, upto: int, me: str | Reader) -> list[bytes]:
        """``read_personal`` on the reading threads."""
        if upto <= after:
            return []
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._personal, after, upto, me)

    async def read(self, after: int, limit: int, realm: str, also: str | None = None) -> Page:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._read, after, limit, realm, also)

    def close(self) -> None:
        """Give back the connections the threads keep (at server shutdown)."""
        with self._lock:
            self._closed = True
            held, self._held = self._held, set()
        self._pool.shutdown(wait=False)
        for conn in held:
            with contextlib.suppress(Exception):
                conn.close()


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
