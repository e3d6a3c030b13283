"""Engines and session factories for SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def sqlite_url(path: Path | str) -> str:
    return f"sqlite+pysqlite:///{Path(path)}"


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 20,
    foreign_keys: bool = True,
    wal_autocheckpoint: int | None = None,
    journal_size_limit: int | None = None,
) -> Engine:
    """Create an engine tuned for csdesk's access pattern on either backend.

    SQLite: WAL (readers never block the writer), ``synchronous=NORMAL`` in WAL is still
    crash-safe for the database (a power cut may lose the last commits, never corrupt), a busy
    timeout instead of instant "database is locked", foreign keys on (off for the client's
    cache, which receives rows in feed order, children possibly before parents), and
    ``BEGIN IMMEDIATE`` for write transactions so two writers queue instead of deadlocking on
    lock upgrade. ``wal_autocheckpoint``: the WAL size in pages at which a commit copies into
    the database what the WAL still holds and lets the next writer start the WAL over
    (SQLite's default 1,000), for a caller that also checkpoints in the background
    (``checkpoint``); ``journal_size_limit``: the bytes of WAL file kept when it starts over.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _tune_sqlite(engine, foreign_keys, wal_autocheckpoint, journal_size_limit)
        return engine
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


_SYNCHRONOUS = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})


def _tune_sqlite(
    engine: Engine,
    foreign_keys: bool,
    wal_autocheckpoint: int | None,
    journal_size_limit: int | None,
) -> None:
    # Writers of this process queue on a lock instead of in SQLite's busy handler, which
    # sleeps up to 100 ms between retries: with four busy writer threads that handler let
    # through ~12 commits/s; handing the lock over directly gives thousands.
    write_lock = threading.Lock()
    holder: list[int] = []  # id() of the DBAPI connection inside a write transaction

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.execute("PRAGMA busy_timeout=30000")
        if wal_autocheckpoint is not None:
            cur.execute(f"PRAGMA wal_autocheckpoint={int(wal_autocheckpoint)}")
        if journal_size_limit is not None:
            cur.execute(f"PRAGMA journal_size_limit={int(journal_size_limit)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers (engine.execution_options(readonly=True)) take no write lock; with WAL they
        # read a snapshot while the writer works.
        if conn.get_execution_options().get("readonly", False):
            conn.exec_driver_sql("BEGIN")
            return
        # A timeout rather than forever: should a holder vanish without commit or rollback
        # (an invalidated connection), SQLite's own busy timeout still guards the data.
        acquired = write_lock.acquire(timeout=30)
        if acquired:
            holder[:] = [id(conn.connection.dbapi_connection)]
        try:
            # ``engine.execution_options(synchronous="FULL")``: this transaction's commit
            # durability (SQLite refuses to change it inside a transaction, so here).
            level = conn.get_execution_options().get("synchronous")
            if level is not None:
                if level not in _SYNCHRONOUS:
                    raise ValueError(f"unknown synchronous level {level!r}")
                conn.exec_driver_sql(f"PRAGMA synchronous={level}")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn.connection.dbapi_connection)
            raise

    def _release(conn: Any) -> None:
        # The dialect is handed the pool's proxy; ``begin`` saw the raw connection.
        if holder and holder[0] == id(getattr(conn, "dbapi_connection", conn)):
            holder.clear()
            write_lock.release()

    dialect = engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def _commit(dbapi_conn: Any) -> None:
        try:
            do_commit(dbapi_conn)
        finally:
            _release(dbapi_conn)

    def _rollback(dbapi_conn: Any) -> None:
        try:
            do_rollback(dbapi_conn)
        finally:
            _release(dbapi_conn)

    dialect.do_commit = _commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = _rollback  # type: ignore[method-assign,assignment]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What one ``PRAGMA wal_checkpoint(PASSIVE)`` did: the WAL's frames, and how many of
    them are now in the database file (all of them unless a reader's snapshot still needs
    the older ones, or a writer appended meanwhile)."""

    frames: int
    copied: int


def sqlite_file(engine: Engine) -> str | None:
    """The file of a SQLite engine's database; None: another database, or one in memory."""
    url = engine.url
    if engine.dialect.name != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("mode") == "memory":
        return None
    return url.database


def checkpoint_connection(path: str) -> sqlite3.Connection:
    """A connection of its own for ``checkpoint``: outside the engine's pool (a burst of
    pushes waiting for the write lock holds pooled connections) and its write lock."""
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None)


def checkpoint(conn: sqlite3.Connection) -> Checkpoint:
    """Copy what the WAL holds into the database file without waiting for anyone (PASSIVE:
    readers and the writer go on): the copy and its fsyncs then happen on this connection,
    not inside some writer's commit."""
    row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    _busy, frames, copied = row
    return Checkpoint(max(0, int(frames)), max(0, int(copied)))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reads only: on SQLite they do not queue behind writers."""
    return sessionmaker(engine.execution_options(readonly=True), expire_on_commit=False)
