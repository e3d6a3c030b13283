"""The server's SQLite WAL is copied into the database by a background round, outside the
pushes' write lock (issue 10): what a round does, and that a running server does it after a
push that SQLite's own checkpoint would have left in the WAL."""

from __future__ import annotations

import asyncio
import struct
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from csdesk.domain.enums import Role
from csdesk.server.config import ServerConfig
from csdesk.server.state import WAL_BACKSTOP_PAGES, WAL_KEEP_BYTES, ServerState
from csdesk.server.wal_checkpoint import WalCheckpointer
from csdesk.storage.db import (
    Checkpoint,
    checkpoint,
    checkpoint_connection,
    make_engine,
    sqlite_file,
    sqlite_url,
)
from tests.helpers.data import make_conversations, new_id
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import wait_until


def _wal(db: Path) -> tuple[int, int]:
    """(frames in the WAL, frames of it already copied into the database), read from the
    WAL index (``-shm``: the header's mxFrame at byte 16, the checkpoint info's nBackfill at
    byte 96, native byte order; sqlite.org/walformat.html) without checkpointing anything."""
    head = (db.parent / f"{db.name}-shm").read_bytes()[:136]
    return struct.unpack_from("=I", head, 16)[0], struct.unpack_from("=I", head, 96)[0]


@contextmanager
def _filled(url: str, rows: int) -> Iterator[None]:
    """``rows`` rows of 3 KB written to the WAL and not copied, kept so while inside (the
    last connection to close would copy the WAL and remove it)."""
    engine = make_engine(url, wal_autocheckpoint=0)  # 0: no commit copies anything
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS filler (body TEXT)"))
            for _ in range(rows):
                conn.execute(text("INSERT INTO filler VALUES (:b)"), {"b": "x" * 3000})
        with engine.connect():
            yield
    finally:
        engine.dispose()


def test_the_servers_engine_checkpoints_less_often_and_keeps_a_bounded_wal_file(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "s.db")
    state = ServerState.build(ServerConfig(db_url=url, listen_notify=False))
    plain = make_engine(sqlite_url(tmp_path / "p.db"))
    try:
        with state.engine.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == WAL_BACKSTOP_PAGES
            assert conn.execute(text("PRAGMA journal_size_limit")).scalar() == WAL_KEEP_BYTES
        with plain.connect() as conn:  # the desk's cache keeps SQLite's own
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
            assert conn.execute(text("PRAGMA journal_size_limit")).scalar() == -1
    finally:
        state.engine.dispose()
        plain.dispose()


def test_the_backstop_starts_the_wal_over(tmp_path: Path) -> None:
    """With no round running, the commit past the backstop copies and the WAL starts over."""
    db = tmp_path / "b.db"
    engine = make_engine(sqlite_url(db), wal_autocheckpoint=200)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE filler (body TEXT)"))
        highest, restarted = 0, False
        for _ in range(150):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO filler VALUES (:b)"), {"b": "x" * 12_000})
            frames = _wal(db)[0]
            restarted = restarted or frames < highest
            highest = max(highest, frames)
        assert restarted and 200 <= highest < 400
    finally:
        engine.dispose()


def _rows_in_the_file_alone(db: Path) -> int | None:
    """The filler rows a copy of the database file without its WAL holds (None: no table)."""
    alone = db.parent / "alone.db"
    alone.write_bytes(db.read_bytes())
    plain = create_engine(sqlite_url(alone))
    try:
        with plain.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM filler")).scalar()
    except DatabaseError:
        return None
    finally:
        plain.dispose()


def test_a_checkpoint_copies_the_wal_into_the_database_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with _filled(sqlite_url(db), 40):
        frames, copied = _wal(db)
        assert frames > 40 and copied == 0
        assert _rows_in_the_file_alone(db) is None  # all of it only in the WAL
        conn = checkpoint_connection(str(db))
        try:
            done = checkpoint(conn)
        finally:
            conn.close()
        assert done == Checkpoint(frames, frames)
        assert _wal(db) == (frames, frames)
        assert _rows_in_the_file_alone(db) == 40  # in the database file itself now


def test_a_checkpoint_waits_for_no_writer(tmp_path: Path) -> None:
    """A writer mid-transaction (holding the process's write lock) does not hold up the
    round, and commits as usual after it."""
    db = tmp_path / "w.db"
    engine = make_engine(sqlite_url(db))
    inside, go_on = threading.Event(), threading.Event()

    def writer() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO filler VALUES ('held')"))
            inside.set()
            go_on.wait(30)

    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE filler (body TEXT)"))
        held = threading.Thread(target=writer)
        held.start()
        assert inside.wait(30)
        own = checkpoint_connection(str(db))
        try:
            done = checkpoint(own)  # returns while the writer is still inside
        finally:
            own.close()
        assert held.is_alive() and done.frames == done.copied > 0
        go_on.set()
        held.join(30)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT body FROM filler")).scalars().all() == ["held"]
    finally:
        go_on.set()
        engine.dispose()


def test_only_a_sqlite_file_has_a_wal_to_checkpoint(tmp_path: Path) -> None:
    for url, expected in (
        (sqlite_url(tmp_path / "f.db"), str(tmp_path / "f.db")),
        ("sqlite+pysqlite:///:memory:", None),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", None),  # never connects
    ):
        engine = create_engine(url)
        try:
            assert sqlite_file(engine) == expected
        finally:
            engine.dispose()


def test_the_round_checkpoints_the_servers_database(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    url = sqlite_url(db)
    make_conversations(url, 1)
    with _filled(url, 10):
        frames, copied = _wal(db)
        assert frames > copied
        state = ServerState.build(ServerConfig(db_url=url, listen_notify=False))
        worker = WalCheckpointer(state)
        try:
            assert worker.run_once() == frames
            assert _wal(db) == (frames, frames)
            assert worker.run_once() == frames  # nothing new: the same pages, none waiting
        finally:
            asyncio.run(worker.stop())
            state.engine.dispose()


def _in_the_file_alone(db: Path, message_id: str) -> bool | None:
    """Whether a copy of the database file without its WAL holds ``message_id`` (None: not
    yet, or the copy was torn by a checkpoint under way; asked again)."""
    alone = db.parent / "alone.db"
    alone.write_bytes(db.read_bytes())
    plain = create_engine(sqlite_url(alone))
    try:
        with plain.connect() as conn:
            found = conn.execute(
                text("SELECT count(*) FROM messages WHERE id = :id"), {"id": message_id}
            ).scalar()
    except DatabaseError:
        return None
    finally:
        plain.dispose()
    return True if found else None


def test_a_running_server_copies_a_pushs_commit_soon_after_it(tmp_path: Path) -> None:
    """A one-reply push, far below SQLite's 1,000 pages (its own checkpoint would have left
    it in the WAL until more came), reaches the database file itself within moments."""
    db = tmp_path / "live.db"
    url = sqlite_url(db)
    ann = TestUser("ann", "ann-password", Role.AGENT)
    add_users(url, [ann])
    (made,) = make_conversations(url, 1)
    server = ServerProcess(url, log_path=tmp_path / "server.log").start()
    try:
        client = Raw.signed_in(server, ann)
        message_id = new_id()
        result = client.push(
            {
                "id": str(uuid.uuid4()),
                "type": "message.send",
                "args": {
                    "conversation_id": made.conversation_id,
                    "message_id": message_id,
                    "body_text": "Your parcel left our warehouse today.",
                },
            }
        )[0]
        assert result["status"] == "applied"
        wait_until(lambda: _in_the_file_alone(db, message_id), 30, "the reply in the database file")
        assert _wal(db)[0] < 1000  # SQLite alone would not have copied it yet
    finally:
        server.stop()
