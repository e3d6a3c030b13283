"""The server's SQLite WAL is copied into the database by a background round, outside the
pushes' write lock (issue 10): what a round does, and that a running server does it after a
push that SQLite's own checkpoint would have left in the WAL."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from csdesk.domain.enums import Role
from csdesk.server.config import ServerConfig
from csdesk.server.state import WAL_BACKSTOP_PAGES, ServerState
from csdesk.server.wal_checkpoint import WalCheckpointer
from csdesk.storage.db import checkpoint, make_engine, sqlite_url
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


def test_an_engine_sets_the_autocheckpoint_it_is_given_and_keeps_sqlites_otherwise(
    tmp_path: Path,
) -> None:
    for given, expected in ((None, 1000), (WAL_BACKSTOP_PAGES, WAL_BACKSTOP_PAGES)):
        engine = make_engine(sqlite_url(tmp_path / f"{given}.db"), wal_autocheckpoint=given)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == expected
        finally:
            engine.dispose()


def test_a_checkpoint_copies_the_wal_into_the_database_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    url = sqlite_url(db)
    with _filled(url, 40):
        frames, copied = _wal(db)
        assert frames > 40 and copied == 0
        engine = make_engine(url)
        try:
            done = checkpoint(engine)
            assert done is not None and done.frames == frames and done.copied == frames
            assert _wal(db) == (frames, frames)
        finally:
            engine.dispose()
    # What was copied is in the database file itself: a copy of that file alone has it.
    alone = tmp_path / "alone.db"
    alone.write_bytes(db.read_bytes())
    plain = create_engine(sqlite_url(alone))
    try:
        with plain.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM filler")).scalar() == 40
    finally:
        plain.dispose()


def test_no_checkpoint_on_postgresql() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connects
    try:
        assert checkpoint(engine) is None
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
        try:
            assert WalCheckpointer(state).run_once() == frames
            assert _wal(db) == (frames, frames)
        finally:
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
