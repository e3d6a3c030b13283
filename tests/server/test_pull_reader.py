"""The page reader: the head and the page's seqs come from one statement on a connection each
reading thread keeps, on SQLite and PostgreSQL. The page and its head must agree, the last page
must say it is caught up, and a kept connection must not outlive the database's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import QueuePool, text

from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.server.sync.pull import CursorAhead, Page, PageReader
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade


@pytest.fixture
def state(db_url: str, tmp_path: Path) -> Iterator[ServerState]:
    built = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False, data_dir=tmp_path))
    upgrade(built.engine)
    try:
        yield built
    finally:
        built.engine.dispose()


def _write_feed(state: ServerState, count: int) -> list[tuple[int, str | None]]:
    """``count`` changes (every third global, the others split between the realms) with gaps
    in the seqs, as superseded changes leave them; returns (seq, realm) of each."""
    written = []
    with state.writes() as s:
        ensure_counter(s)
        for n in range(1, count + 1):
            seq = 3 * n  # gaps
            realm = None if n % 3 == 0 else ("training" if n % 3 == 1 else "production")
            payload = orjson.dumps({"n": n}).decode()
            s.add(
                m.SyncChange(
                    seq=seq,
                    entity="customer",
                    entity_id=f"c{n}",
                    realm=realm,
                    deleted=False,
                    payload=payload,
                )
            )
            written.append((seq, realm))
        s.get_one(m.SyncCounter, 1).value = 3 * count + 2  # the head past the last row
        s.commit()
    return written


def _kept(state: ServerState) -> int:
    """Connections taken from the engine's pool and not given back."""
    pool = state.engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


def _read(reader: PageReader, after: int, limit: int, realm: str) -> Page:
    return asyncio.run(reader.read(after, limit, realm))


@pytest.mark.parametrize("row_cache_bytes", [0, 1 << 20])
def test_pages_walk_the_feed_to_its_head_and_the_last_is_caught_up(
    state: ServerState, row_cache_bytes: int
) -> None:
    written = _write_feed(state, 40)
    head = 3 * 40 + 2
    reader = PageReader(state.engine, row_cache_bytes)
    try:
        for realm in ("production", "training"):
            for _ in range(2):  # the second walk from the row cache, when there is one
                visible = [seq for seq, r in written if r in (None, realm)]
                seen: list[int] = []
                after = 0
                while True:
                    page = _read(reader, after, 7, realm)
                    doc = orjson.loads(page.body)
                    seqs = [c["seq"] for c in doc["changes"]]
                    assert doc["head"] == page.head == head
                    assert all(after < seq <= head for seq in seqs)
                    assert seqs == sorted(seqs) and page.count == len(seqs)
                    seen += seqs
                    if not doc["more"]:
                        # The last page: the cursor is the head, so nothing is read twice
                        # and nothing committed below the head is skipped.
                        assert doc["cursor"] == page.cursor == head
                        break
                    assert len(seqs) == 7 and doc["cursor"] == seqs[-1] == page.cursor
                    after = page.cursor
                assert seen == visible
                caught_up = _read(reader, head, 7, realm)
                assert orjson.loads(caught_up.body) == {
                    "changes": [],
                    "cursor": head,
                    "head": head,
                    "more": False,
                }
            with pytest.raises(CursorAhead):
                _read(reader, head + 1, 7, realm)
    finally:
        reader.close()


def test_an_empty_feed_is_caught_up_at_zero(state: ServerState) -> None:
    """No counter row yet (nothing ever written): head 0, no changes, nothing more."""
    reader = PageReader(state.engine)
    try:
        page = _read(reader, 0, 500, "production")
        assert orjson.loads(page.body) == {"changes": [], "cursor": 0, "head": 0, "more": False}
        with pytest.raises(CursorAhead):
            _read(reader, 1, 500, "production")
    finally:
        reader.close()


def test_a_page_read_after_new_writes_sees_them(state: ServerState) -> None:
    """The kept connection holds no snapshot between reads: a write committed after one read
    is in the next."""
    _write_feed(state, 3)
    reader = PageReader(state.engine)
    try:
        first = _read(reader, 0, 500, "production")
        with state.writes() as s:
            s.add(
                m.SyncChange(
                    seq=100,
                    entity="customer",
                    entity_id="late",
                    realm=None,
                    deleted=False,
                    payload="{}",
                )
            )
            s.get_one(m.SyncCounter, 1).value = 100
            s.commit()
        second = _read(reader, first.cursor, 500, "production")
        assert second.head == 100
        assert [c["id"] for c in orjson.loads(second.body)["changes"]] == ["late"]
    finally:
        reader.close()


def test_kept_connections_are_replaced_after_dispose_and_given_back_on_close(
    state: ServerState,
) -> None:
    _write_feed(state, 3)
    reader = PageReader(state.engine)
    _read(reader, 0, 500, "production")
    assert _kept(state) == 1  # kept by the reading thread
    state.engine.dispose()
    _read(reader, 0, 500, "production")
    assert _kept(state) == 1  # a new one from the new pool
    reader.close()
    assert _kept(state) == 0


def test_a_kept_connection_the_server_closed_is_replaced(pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL restarted (or an administrator ended the session) while the connection sat
    idle: the next read reconnects instead of answering 503, as the pool's pre-ping did."""
    config = ServerConfig(db_url=pg_url, listen_notify=False, data_dir=tmp_path)
    state = ServerState.build(config)
    upgrade(state.engine)
    _write_feed(state, 3)
    reader = PageReader(state.engine)
    try:
        before = _read(reader, 0, 500, "production")
        with state.engine.connect() as admin:
            ended = admin.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        assert ended is not None and ended >= 1
        after = _read(reader, 0, 500, "production")
        assert after.body == before.body
    finally:
        reader.close()
        state.engine.dispose()
