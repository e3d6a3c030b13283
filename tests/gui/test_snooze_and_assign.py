"""The desk's side of issue 9 items 16 and 27: the assign list offers only teammates who can
read the conversation, and a snooze the server wakes comes back into "Mine" announced as
"Snooze over"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import Sort, View
from csdesk.domain.enums import ConversationStatus
from csdesk.ui import conversation_actions
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.server import ServerProcess


@pytest.fixture(scope="module")
def waking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The demo store on a server that checks for snoozes that ran out five times a second."""
    d = tmp_path_factory.mktemp("demo")
    url = seed_demo_db(d / "demo.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_SNOOZE_WAKE_SECONDS", "0.2")
        server = ServerProcess(url, log_path=d / "server.log").start()
    yield server
    server.stop()


def test_the_assign_list_offers_only_who_can_read_it(
    qtbot: QtBot,
    waking_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = desk_factory(waking_server, "demo")
    w = desk.window
    everyone = dict(desk.ws.users())
    assert "Robin Trainee" in everyone.values()  # the demo team has a trainee
    cid = desk.ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST)[0]
    w.open_conversation(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)
    offered: list[str] = []

    def choose_item(*args: Any, **_kw: Any) -> int | None:
        offered.extend(str(label).split(" — ")[0] for label in args[3])  # without the status
        return None  # the agent cancels

    monkeypatch.setattr(conversation_actions, "choose_item", choose_item)
    w.assign_other()
    qtbot.waitUntil(lambda: bool(offered), timeout=10_000)
    assert "Robin Trainee" not in offered
    assert "Demo Agent" in offered
    readers = [name for uid, name in desk.ws.assignees(cid)]
    assert readers and "Robin Trainee" not in readers
    # Those who can read it and work conversations: not the trainee, nor the admin.
    assert set(readers) == set(everyone.values()) - {"Robin Trainee", "Store Admin"}


def test_a_woken_snooze_comes_back_and_is_announced(
    qtbot: QtBot, waking_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(waking_server, "demo")
    w = desk.window
    qtbot.waitUntil(lambda: w.caught_up and w._known_mine is not None, timeout=30_000)
    cid = desk.ws.ordered_ids(View.MINE, Sort.NEWEST)[0]
    customer = desk.ws.rows([cid])[cid].customer_name
    heard: list[str] = []
    w.announced.connect(heard.append)
    until = datetime.now(UTC) + timedelta(seconds=3)
    desk.ws.set_status(cid, ConversationStatus.SNOOZED, until)
    # It leaves "Mine" at once (the desk applies it locally) ...
    qtbot.waitUntil(lambda: w._known_mine is not None and cid not in w._known_mine, timeout=10_000)
    assert cid in desk.ws.ordered_ids(View.SNOOZED, Sort.NEWEST)
    # ... and the server brings it back when its time comes; the desk says so.
    with qtbot.waitSignal(w.new_for_me, timeout=30_000, check_params_cb=lambda c: c == cid):
        pass
    qtbot.waitUntil(lambda: any(t.startswith("Snooze over") for t in heard), timeout=5_000)
    said = next(t for t in heard if t.startswith("Snooze over"))
    assert customer in said
    assert not any(t.startswith("New conversation for you") for t in heard)
    assert datetime.now(UTC) >= until
    assert cid in desk.ws.ordered_ids(View.MINE, Sort.NEWEST)
    assert cid not in desk.ws.ordered_ids(View.SNOOZED, Sort.NEWEST)
