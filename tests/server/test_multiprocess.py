"""Several server processes on one PostgreSQL wake each other's long-polls, and concurrent
writers never let a reader's cursor pass a write that commits later."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from csdesk.domain.enums import Role
from csdesk.server.app import _psycopg_dsn
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.feed.notifier import Notifier, listen_postgres
from csdesk.server.state import ServerState
from csdesk.server.sync.pull import read_page
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users, sqlite_database


def _long_poll(waiter: Raw) -> tuple[threading.Thread, dict[str, Any]]:
    """A long-poll (25 s) from the head, parked in a thread; ``got["page"]`` is its answer."""
    head = waiter.head()
    got: dict[str, Any] = {}

    def wait() -> None:
        got["page"] = waiter.get("/api/v1/changes", params={"after": head, "wait": 25}).json()

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.5)
    assert t.is_alive(), "the long-poll returned before anything was written"
    return t, got


def test_two_processes_wake_each_others_long_polls(pg_url: str, tmp_path: Path) -> None:
    ann = TestUser("ann", "ann-password", Role.AGENT)
    bob = TestUser("bob", "bob-password", Role.AGENT)
    add_users(pg_url, [ann, bob])
    (made,) = make_conversations(pg_url, 1)
    one = ServerProcess(pg_url, log_path=tmp_path / "one.log").start()
    two = ServerProcess(pg_url, log_path=tmp_path / "two.log").start()
    try:
        waiter = Raw.signed_in(one, ann)
        writer = Raw.signed_in(two, bob)
        t, got = _long_poll(waiter)
        writer.push(
            (
                "conversation.set_priority",
                {"conversation_id": made.conversation_id, "priority": "high"},
            )
        )
        t.join(20)
        assert not t.is_alive(), "process one never heard of process two's commit"
        assert any(
            c["id"] == made.conversation_id and c["data"]["priority"] == "high"
            for c in got["page"]["changes"]
        )
    finally:
        one.stop()
        two.stop()


def test_another_process_commit_wakes_a_sqlite_servers_long_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has no NOTIFY: a command of the admin's (another process) writing the server's
    file still reaches a waiting desk at the next read of the head, not at the end of its
    long-poll (``server.feed.head_watch``). The floor's sweep, whose commit would wake the
    desk too, is an hour away: on a quiet floor nothing else commits."""
    monkeypatch.setenv("CSDESK_FLOOR_SWEEP_SECONDS", "3600")
    url = sqlite_database(tmp_path / "server.db")
    ann = TestUser("ann", "ann-password", Role.AGENT)
    add_users(url, [ann])
    server = ServerProcess(url, log_path=tmp_path / "server.log").start()
    other = ServerState.build(ServerConfig(db_url=url, listen_notify=False))
    try:
        t, got = _long_poll(Raw.signed_in(server, ann))
        cid = str(uuid.uuid4())
        with other.writes() as s:
            s.add(m.Customer(id=cid, name="from a command"))
            s.commit()
        t.join(30)
        assert not t.is_alive()
        # Without the watch the long-poll runs out its 25 s and answers with no change.
        assert [c["id"] for c in got["page"]["changes"] if c["entity"] == "customer"] == [cid]
    finally:
        other.engine.dispose()
        server.stop()


def test_another_process_commit_wakes_a_waiter_by_its_notify_alone(pg_url: str) -> None:
    """The listener wakes waiters on the NOTIFY itself: with the backstop poll an hour away,
    the head is read once (on connecting) and the waiter still wakes."""
    other = ServerState.build(ServerConfig(db_url=pg_url, listen_notify=False))
    upgrade(other.engine)
    with other.writes() as s:
        ensure_counter(s)
        s.commit()
    reads: list[int] = []

    def read_head() -> int:
        reads.append(other.read_head())
        return reads[-1]

    async def run() -> bool:
        notifier = Notifier()
        notifier.bind(asyncio.get_running_loop(), 0)
        listener = asyncio.create_task(
            listen_postgres(_psycopg_dsn(pg_url), notifier, read_head, backstop=3600)
        )
        try:
            while not reads:  # LISTEN is issued before the first read of the head
                await asyncio.sleep(0.01)
            waiter = asyncio.ensure_future(notifier.wait_past(reads[0], 3600))

            def commit() -> None:
                with other.writes() as s:
                    s.add(m.Customer(id=str(uuid.uuid4()), name="from another process"))
                    s.commit()

            await asyncio.to_thread(commit)
            return await waiter
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)

    try:
        assert asyncio.run(run()) is True
        assert len(reads) == 1  # woken by the notification, not by a poll of the head
    finally:
        other.engine.dispose()


def _drain(state: ServerState, cursor: int, seen: set[str]) -> int:
    with state.reads() as s:
        page = read_page(s, cursor, 1000, "production")
    for c in orjson.loads(page.body)["changes"]:
        if c["entity"] == "customer":
            seen.add(c["id"])
    return page.cursor


def test_concurrent_writers_never_let_a_cursor_skip(db_url: str) -> None:
    """Writers hold their transactions open for uneven times while a reader pulls all along.
    Each write is a new entity, so a cursor that ever passed an in-flight write would miss it
    for good: the reader must end with every committed id."""
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    upgrade(state.engine)
    with state.writes() as s:
        ensure_counter(s)
        s.commit()
    stop = threading.Event()
    committed: set[str] = set()
    lock = threading.Lock()

    def writer(n: int) -> None:
        while not stop.is_set():
            cid = str(uuid.uuid4())
            with state.writes() as s:
                s.add(m.Customer(id=cid, name=f"writer {n}"))
                s.flush()
                time.sleep(0.001 * (n % 4))  # uneven transaction lengths
                s.commit()
            with lock:
                committed.add(cid)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    seen: set[str] = set()
    cursor = 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        cursor = _drain(state, cursor, seen)
        time.sleep(0.005)  # poll like a client; a tight loop starves the writers of the GIL
    stop.set()
    for t in threads:
        t.join()
    cursor = _drain(state, cursor, seen)
    state.engine.dispose()
    assert len(committed) > 50
    assert committed == seen, f"{len(committed - seen)} writes skipped by the cursor"
