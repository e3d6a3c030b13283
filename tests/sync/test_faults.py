"""Crashes: the server killed mid-burst, and a desk killed with a full outbox."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync import SyncState
from tests.helpers.server import ServerProcess, TestUser
from tests.sync.conftest import (
    Client,
    ClientFactory,
    Seeded,
    dump_cache,
    fresh_sync,
    server_messages,
    wait_for,
)

pytestmark = pytest.mark.slow


def caught_up(client: Client) -> bool:
    status = client.engine.status
    return status.state == SyncState.ONLINE and status.pending == 0


def count(session_factory: Any, stmt: Any) -> int:
    with session_factory() as s:
        return int(s.scalar(stmt) or 0)


def test_server_killed_during_a_burst_from_two_desks(
    server: ServerProcess,
    seeded: Seeded,
    make_client: ClientFactory,
    server_session: Any,
    users: dict[str, TestUser],
    tmp_path: Path,
) -> None:
    desks = {"ann": make_client("ann", start=True), "bob": make_client("bob", start=True)}
    wait_for(lambda: all(caught_up(d) for d in desks.values()), "both desks online")
    conv = seeded.conversations[0]
    n = 60
    expected = {name: [f"{name} burst {i}" for i in range(n)] for name in desks}
    paced = threading.Event()

    def burst(name: str) -> None:
        for body in expected[name]:
            desks[name].engine.enqueue(
                MutationType.MESSAGE_SEND, {"conversation_id": conv, "body_text": body}
            )
            paced.wait(0.01)  # pacing, so the kill lands mid-burst; never set

    threads = [threading.Thread(target=burst, args=(name,)) for name in desks]
    for t in threads:
        t.start()
    on_server = select(func.count()).select_from(m.Message).where(m.Message.conversation_id == conv)
    wait_for(lambda: count(server_session, on_server) >= 10, "the first replies to land")
    server.kill()
    delivered_before_restart = count(server_session, on_server)
    for t in threads:
        t.join()
    assert delivered_before_restart < 2 * n, "the kill did not land mid-burst"
    assert sum(d.engine.status.pending for d in desks.values()) > 0
    server.start()
    wait_for(lambda: all(caught_up(d) for d in desks.values()), "the queues to drain", 90)

    bodies = [msg.body_text for msg in server_messages(server_session, conv)]
    assert Counter(bodies) == Counter(b for name in desks for b in expected[name])
    for name in desks:  # each desk's replies in the order it wrote them
        assert [b for b in bodies if b.startswith(name)] == expected[name]
    applied = select(func.count()).select_from(m.AppliedMutation)
    assert count(server_session, applied) == 2 * n
    conv_row = select(m.Conversation.message_count).where(m.Conversation.id == conv)
    assert count(server_session, conv_row) == 2 * n

    reference = fresh_sync(server.url, users["ann"], tmp_path / "reference.sqlite")
    truth = dump_cache(reference)
    assert len([x for x in truth[Entity.MESSAGE].values() if x["conversation_id"] == conv]) == 2 * n
    for d in desks.values():
        wait_for(lambda d=d: dump_cache(d.cache) == truth, f"{d.user.username} to converge")
    reference.close()


CHILD = """
import os, sys, time
from csdesk.protocol import MutationType
from csdesk.sync import LocalCache, Outbox

path, conv, n, how = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
outbox = Outbox(LocalCache(path))
for i in range(n):
    mid = outbox.enqueue(
        MutationType.MESSAGE_SEND, {"conversation_id": conv, "body_text": f"crash reply {i}"}
    )
    print(mid, flush=True)
    if how == "kill":
        time.sleep(0.005)
if how == "exit":
    os._exit(1)
time.sleep(60)
"""


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_desk_that_dies_with_a_full_outbox_delivers_it_after_restart(
    how: str,
    server: ServerProcess,
    seeded: Seeded,
    make_client: ClientFactory,
    server_session: Any,
    tmp_path: Path,
) -> None:
    path = tmp_path / "desk.sqlite"
    make_client("ann", path=path).cache.close()  # signed in once: the cache knows its agent
    conv = seeded.conversations[1]
    n = 50
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), conv, str(n), how],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    written: list[str] = []
    if how == "exit":
        written = child.stdout.read().split()
        assert child.wait(30) == 1
        assert len(written) == n
    else:
        while len(written) < n // 2:  # killed in the middle of writing
            written.append(child.stdout.readline().strip())
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        written += child.stdout.read().split()
    assert written and all(written)

    desk = make_client("ann", path=path, start=True)
    queued = desk.engine.outbox.counts().pending
    assert len(written) <= queued <= len(written) + 1  # the kill may follow a commit
    wait_for(lambda: caught_up(desk), "the outbox to drain", 60)
    bodies = [msg.body_text for msg in server_messages(server_session, conv)]
    assert bodies == [f"crash reply {i}" for i in range(queued)]

    def pulled() -> bool:
        # "Online, nothing pending" comes with the push; the conversation's row with the
        # count comes with the next pull (it was not in this cache before the restart).
        with desk.cache.session() as s:
            row = s.get(m.Conversation, conv)
            return row is not None and row.message_count == queued

    wait_for(pulled, "the conversation with its count in the cache", 60)
