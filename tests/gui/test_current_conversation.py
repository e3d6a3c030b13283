"""Issue 9 item 26: one current conversation. Resolve, snooze, pending and assigning away all
set the open conversation aside and open the next one, so what is highlighted is what is open,
and the next action acts on it (after a snooze the highlight used to move on while the old
conversation stayed open, and "resolve" then resolved the snoozed one)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product

import pytest
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import View
from csdesk.domain.enums import ConversationStatus
from csdesk.ui import conversation_actions
from csdesk.ui.main_window import MainWindow
from tests.gui.conftest import seed_demo_db
from tests.helpers.server import ServerProcess

ACTIONS = ("resolve", "snooze", "pending", "assign_away")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A bigger demo store than the shared one: every test sets three of Mine aside."""
    d = tmp_path_factory.mktemp("current")
    server = ServerProcess(
        seed_demo_db(d / "demo.db", customers=150, conversations=500), log_path=d / "log"
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def desk(
    demo_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MainWindow]:
    """One signed-in window for the module (each test goes on with the next three of Mine):
    a fresh desk per combination spent most of the time on the first sync."""
    from csdesk.app.workstation import Me, Workstation
    from csdesk.sync import LocalCache, SyncApi, SyncEngine
    from csdesk.theme.themes import get_theme
    from csdesk.ui.bridge import SyncBridge

    cache = LocalCache(tmp_path_factory.mktemp("cache") / "demo.sqlite")
    engine = SyncEngine(cache, SyncApi(demo_server.url), backoff_base=0.1, backoff_max=1.0)
    user = engine.login("demo", "demo-password").user
    ws = Workstation(engine, Me(str(user["id"]), "demo", str(user["display_name"]), "agent"))
    bridge = SyncBridge()
    engine.add_listener(bridge.on_sync_event)
    engine.start()
    window = MainWindow(ws, bridge, get_theme("light"))
    window.resize(1600, 1000)
    window.show()
    yield window
    window.close()
    window.deleteLater()
    engine.stop(5)
    cache.close()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The snooze and assign dialogs answer "1 hour" and "Alex Morgan" (what was asked is
    recorded, and a dialog that is not expected fails the test)."""
    asked: list[str] = []

    def choose_item(
        _parent: object, title: str, _label: str, items: list[str], *_a: object, **_k: object
    ) -> int:
        asked.append(title)
        wanted = {"Snooze": "1 hour", "Assign to": "Alex Morgan"}[title]
        return next(i for i, item in enumerate(items) if item.startswith(wanted))

    monkeypatch.setattr(conversation_actions, "choose_item", choose_item)
    yield asked


def _state(w: MainWindow, cid: str) -> tuple[str, str | None]:
    conv = w.ws.conversation(cid)
    assert conv is not None
    return conv.status, conv.assignee_id


def _alex(qtbot: QtBot, w: MainWindow) -> str:
    """Alex's id, once the team has reached this desk's cache (under load the first test of a
    worker could look before it had: StopIteration)."""
    qtbot.waitUntil(lambda: "Alex Morgan" in dict(w.ws.users()).values(), timeout=20_000)
    return next(uid for uid, name in w.ws.users() if name == "Alex Morgan")


def _done(w: MainWindow, action: str, cid: str, alex: str) -> bool:
    status, assignee = _state(w, cid)
    return {
        "resolve": status == ConversationStatus.RESOLVED,
        "snooze": status == ConversationStatus.SNOOZED,
        "pending": status == ConversationStatus.PENDING,
        "assign_away": assignee == alex,
    }[action]


def _one_current(w: MainWindow, cid: str) -> bool:
    current = w.conversation.current
    return (
        w.inbox.current_id() == cid
        and w.open_id == cid
        and current is not None
        and current.id == cid
    )


def _wait_current(qtbot: QtBot, w: MainWindow, cid: str, timeout: int = 20_000) -> None:
    """Wait for ``cid`` to be the one current conversation; on a timeout, say what the desk
    held instead (a flake seen once in CI left no trace of which of the three differed)."""
    try:
        qtbot.waitUntil(lambda: _one_current(w, cid), timeout=timeout)
    except qtbot.TimeoutError:
        current = w.conversation.current
        shown = w.model.ids()[:5]
        raise AssertionError(
            f"{cid} is not the one current conversation: highlighted {w.inbox.current_id()},"
            f" open {w.open_id}, shown {current.id if current else None}, list {shown},"
            f" query running {w._reorder_pending}, notice {w.notice_label.text()!r}"
        ) from None


@pytest.mark.parametrize(("first", "second"), list(product(ACTIONS, ACTIONS)))
def test_each_action_moves_on_and_the_next_acts_on_what_is_shown(
    qtbot: QtBot, desk: MainWindow, answers: list[str], first: str, second: str
) -> None:
    w = desk
    alex = _alex(qtbot, w)
    qtbot.waitUntil(lambda: w.shown_view == View.MINE and w.model.rowCount() > 3, timeout=20_000)
    a, b, c = w.model.ids()[:3]
    for cid in (a, b, c):  # a known start: open and mine
        w.ws.set_status(cid, ConversationStatus.OPEN)
    w.reload_list()
    qtbot.waitUntil(lambda: w.model.ids()[:3] == [a, b, c], timeout=20_000)
    assert w.inbox.select_id(a)
    _wait_current(qtbot, w, a, 20_000)

    trigger = {"assign_away": "assign_other"}
    w.actions_[trigger.get(first, first)].trigger()
    _wait_current(qtbot, w, b, 20_000)
    qtbot.waitUntil(lambda: _done(w, first, a, alex), timeout=20_000)
    # The list catches up (a leaves Mine unless it is only pending): still one current.
    qtbot.waitUntil(lambda: not w._reorder_pending, timeout=20_000)
    w.reload_list()
    qtbot.waitUntil(lambda: not w._reorder_pending, timeout=20_000)
    assert _one_current(w, b)
    before_a = _state(w, a)

    w.actions_[trigger.get(second, second)].trigger()
    qtbot.waitUntil(lambda: _done(w, second, b, alex), timeout=20_000)
    _wait_current(qtbot, w, c, 20_000)
    assert _state(w, a) == before_a  # the second action did not touch the first conversation
    assert answers == [
        {"snooze": "Snooze", "assign_away": "Assign to"}[x]
        for x in (first, second)
        if x in ("snooze", "assign_away")
    ]


def test_a_conversation_taken_elsewhere_stays_open_with_nothing_else_highlighted(
    qtbot: QtBot, desk: MainWindow
) -> None:
    """Someone else's change (not the agent's own action) never opens another conversation,
    and never leaves another one highlighted either; J goes on from its place."""
    w = desk
    alex = _alex(qtbot, w)
    qtbot.waitUntil(lambda: w.shown_view == View.MINE and w.model.rowCount() > 3, timeout=20_000)
    a, b = w.model.ids()[:2]
    assert w.inbox.select_id(a)
    _wait_current(qtbot, w, a, 10_000)
    w.ws.assign(a, alex, None)  # as a sync from elsewhere would: no action of this window
    w.reload_list()
    qtbot.waitUntil(lambda: a not in w.model.ids() and not w._reorder_pending, timeout=10_000)
    assert w.open_id == a and w.inbox.current_id() is None
    w.inbox.list.setFocus()
    w.actions_["next_conversation"].trigger()
    _wait_current(qtbot, w, b, 10_000)


def test_focusing_the_list_never_opens_another_conversation(qtbot: QtBot, desk: MainWindow) -> None:
    """A conversation opened another way (the customer's history, a drill-down) that is not in
    the list, and a reload (someone took another one) left no row current: Qt makes the first
    row current when the list gets the focus, and that used to open it. Now the open
    conversation stays, nothing is highlighted, and J goes to the first row."""
    from PySide6.QtCore import QModelIndex

    w = desk
    alex = _alex(qtbot, w)
    qtbot.waitUntil(lambda: w.shown_view == View.MINE and w.model.rowCount() > 3, timeout=20_000)
    elsewhere, taken = w.model.ids()[:2]
    w.ws.assign(elsewhere, alex, None)  # not in Mine any more: opened from its customer
    w.conversation.setFocus()
    w.inbox.list.setCurrentIndex(QModelIndex())
    w.open_conversation(elsewhere)
    qtbot.waitUntil(
        lambda: w.conversation.current is not None and w.conversation.current.id == elsewhere,
        timeout=10_000,
    )
    w.ws.assign(taken, alex, None)  # as a sync from elsewhere: the list reloads without it
    w.reload_list()
    qtbot.waitUntil(lambda: taken not in w.model.ids() and not w._reorder_pending, timeout=10_000)
    assert w.inbox.current_id() is None
    w.inbox.list.setFocus()
    qtbot.waitUntil(w.inbox.list.hasFocus, timeout=5_000)
    qtbot.wait(50)  # a row Qt made current on focus would have opened its conversation
    assert w.open_id == elsewhere, "focusing the list opened another conversation"
    assert w.inbox.current_id() is None
    w.actions_["next_conversation"].trigger()
    _wait_current(qtbot, w, w.model.ids()[0], 10_000)
