"""The live floor on real desks against a real server: the status chooser by keyboard syncs
to another desk, the supervisor's board follows arrivals and assignments, listen-in is
read-only, reassigning and messaging an agent reach the other desk, and signing in as a
supervisor opens the floor (an agent gets only the agent screen)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog, QListView, QWidget
from pytestqt.qtbot import QtBot

from csdesk.app import floor
from csdesk.domain.agent_status import AgentStatus
from csdesk.theme import get_theme
from csdesk.ui import floor_window as floor_window_module
from csdesk.ui.app import Controller
from csdesk.ui.floor_window import FloorWindow
from csdesk.ui.panels.dashboard import DashboardPanel
from csdesk.ui.panels.training_review import TrainingReviewPanel
from tests.gui.conftest import Desk
from tests.gui.test_signin import _sign_in, _start
from tests.helpers.server import ServerProcess
from tests.server.test_chat_api import Visitor

CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _answer(qtbot: QtBot, action: Callable[[], None], respond: Callable[[QDialog], None]) -> None:
    """Run ``action``, which opens a modal dialog, and ``respond`` to it once it shows."""
    done: list[bool] = []
    watch = QTimer()
    watch.setInterval(20)

    def check() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.isVisible():
            watch.stop()
            respond(dialog)
            done.append(True)

    watch.timeout.connect(check)
    watch.start()
    try:
        action()
        qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    finally:
        watch.stop()


def _status_of(desk: Desk, username: str) -> AgentStatus | None:
    board = floor.board(desk.ws)
    return next((a.row.status for a in board.agents if a.row.name.startswith(username)), None)


@pytest.fixture
def floors(qtbot: QtBot) -> Iterator[list[FloorWindow]]:
    made: list[FloorWindow] = []
    yield made
    for f in made:
        f.close()
        f.tasks.shutdown()
        f.deleteLater()


def _floor_for(qtbot: QtBot, desk: Desk, made: list[FloorWindow]) -> FloorWindow:
    f = FloorWindow(desk.ws, desk.window.bridge, get_theme("light"), desk.window.show)
    qtbot.addWidget(f)
    made.append(f)
    f.show()
    qtbot.waitUntil(lambda: f.board.board is not None, timeout=10_000)
    return f


def test_status_chosen_by_keyboard_syncs_to_another_desk(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    mateo = desk_factory(demo_server, "mateo")
    sam = desk_factory(demo_server, "sam", show=False)
    w = mateo.window
    heard: list[str] = []
    w.announced.connect(heard.append)
    button = w.floor_desk.button
    assert button.accessibleName() == "My status"
    qtbot.waitUntil(lambda: "Away" in button.text(), timeout=10_000)  # the demo's mateo

    def by_keys(dialog: QDialog) -> None:
        assert isinstance(dialog, QInputDialog) and dialog.objectName() == "status_dialog"
        assert dialog.comboBoxItems() == ["Available", "Away", "On break", "In training"]
        view = next(v for v in dialog.findChildren(QListView) if v.isVisible())
        view.setFocus()
        qtbot.keyClick(view, Qt.Key.Key_End)  # In training
        qtbot.keyClick(view, Qt.Key.Key_Up)  # On break
        qtbot.keyClick(view, Qt.Key.Key_Return)

    # The shortcut goes to the active window: this desk's (the other one is not shown).
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5_000)
    w.inbox.list.setFocus()
    _answer(qtbot, lambda: qtbot.keyClick(w, Qt.Key.Key_S, CTRL_ALT), by_keys)
    qtbot.waitUntil(lambda: "On break" in button.text(), timeout=10_000)
    qtbot.waitUntil(lambda: "Your status: On break" in heard, timeout=10_000)
    # The other desk hears it through the change feed.
    qtbot.waitUntil(lambda: _status_of(sam, "Mateo") == AgentStatus.ON_BREAK, timeout=20_000)


def test_board_follows_arrivals_and_assignments_and_listen_in_is_read_only(
    qtbot: QtBot,
    demo_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    floors: list[FloorWindow],
) -> None:
    sam = desk_factory(demo_server, "sam")
    priya = desk_factory(demo_server, "priya", show=False)
    f = _floor_for(qtbot, sam, floors)
    assert f.tabs.tabText(0) == "Live board" and f.tabs.tabText(1) == "Refunds to approve"
    board = f.board
    assert board.queues.accessibleName() == "Queues" and board.agents.accessibleName() == "Agents"

    def unassigned_waiting() -> int:
        b = board.board
        return b.queues[0].figures.waiting if b else -1

    before = unassigned_waiting()
    visitor = Visitor.start(demo_server.url)
    cid = visitor.say("Hello, my parcel never came")["conversation_id"]
    qtbot.waitUntil(lambda: unassigned_waiting() == before + 1, timeout=20_000)
    # The rows are sentences for a screen reader.
    top = board.queue_model.index(0, 2)
    sentence = board.queue_model.data(top, Qt.ItemDataRole.AccessibleTextRole)
    assert isinstance(sentence, str) and sentence.startswith("Unassigned: ")
    assert "waiting" in sentence and "at risk" in sentence

    def priya_open() -> int:
        b = board.board
        row = next((a for a in b.agents if a.row.name == "Priya Shah"), None) if b else None
        return row.row.open if row else -1

    open_before = priya_open()
    priya.ws.claim(cid)
    qtbot.waitUntil(lambda: priya_open() == open_before + 1, timeout=20_000)
    qtbot.waitUntil(lambda: unassigned_waiting() == before, timeout=20_000)
    agent_row = board.agent_model.row_of(priya.ws.me.id)
    assert agent_row is not None
    said = board.agent_model.data(
        board.agent_model.index(agent_row, 0), Qt.ItemDataRole.AccessibleTextRole
    )
    assert isinstance(said, str) and said.startswith("Priya Shah: ")

    # Listen in: the conversation, live, with nothing to write or act with.
    dialog = f.open_read_only(cid)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.panel.current is not None, timeout=10_000)
    assert dialog.panel.buttons == []
    assert not dialog.panel.composer.isVisibleTo(dialog)
    assert not dialog.panel.composer.isEnabled()
    count = len(dialog.panel.current.messages) if dialog.panel.current else 0
    visitor.say("Are you still there?")
    qtbot.waitUntil(
        lambda: dialog.panel.current is not None and len(dialog.panel.current.messages) > count,
        timeout=20_000,
    )
    dialog.close()


def test_reassign_and_message_an_agent_reach_their_desk(
    qtbot: QtBot,
    demo_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    floors: list[FloorWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sam = desk_factory(demo_server, "sam")
    alex = desk_factory(demo_server, "alex")
    f = _floor_for(qtbot, sam, floors)
    cid = Visitor.start(demo_server.url).say("Can someone help with a return?")["conversation_id"]
    qtbot.waitUntil(lambda: sam.ws.conversation(cid) is not None, timeout=20_000)

    offered: list[str] = []

    def choose_item(
        _parent: object, title: str, _label: str, items: list[str], *_a: object, **_k: object
    ) -> int:
        offered.extend(items)
        return next(i for i, item in enumerate(items) if item.startswith("Alex Morgan"))

    monkeypatch.setattr(floor_window_module, "choose_item", choose_item)
    heard: list[str] = []
    f.announced.connect(heard.append)
    f.reassign_conversation(cid)
    qtbot.waitUntil(lambda: "Reassigned to Alex Morgan" in heard, timeout=10_000)
    assert all(" — " in item for item in offered)  # each with their status
    ranks = [item.split(" — ")[1] for item in offered]
    available = [r == "Available" for r in ranks]
    assert any(available) and available == sorted(available, reverse=True)  # available first
    qtbot.waitUntil(
        lambda: (c := alex.ws.conversation(cid)) is not None and c.assignee_id == alex.ws.me.id,
        timeout=20_000,
    )

    # Message Alex from the board: shown and announced on Alex's desk.
    row = f.board.agent_model.row_of(alex.ws.me.id)
    assert row is not None
    f.board.agents.setFocus()
    f.board.agents.setCurrentIndex(f.board.agent_model.index(row, 0))
    monkeypatch.setattr(
        floor_window_module, "ask_text", lambda *_a, **_k: "<b>Please</b> take the returns queue"
    )
    told: list[str] = []
    alex.window.announced.connect(told.append)
    with qtbot.waitSignal(alex.window.floor_desk.note_shown, timeout=20_000) as shown:
        f.actions_["floor_message"].trigger()
    assert shown.args == ["Message from Sam Okafor: <b>Please</b> take the returns queue"]
    assert alex.window.notice_label.text() == shown.args[0]
    assert alex.window.notice_label.textFormat() == Qt.TextFormat.PlainText  # never rich text
    assert shown.args[0] in told


@pytest.fixture
def controllers() -> Iterator[list[Controller]]:
    made: list[Controller] = []
    yield made
    for c in made:
        if c.floor is not None:
            c.floor.close()
            c.floor.deleteLater()
        if c.session is not None:
            c.session.window.close()
        if c.dialog is not None:
            c.dialog.close()
        c.shutdown()


def test_a_supervisor_signing_in_gets_the_floor(
    qtbot: QtBot, demo_server: ServerProcess, controllers: list[Controller]
) -> None:
    boss = _start(controllers, demo_server.url)
    _sign_in(qtbot, boss, "sam", "demo-password")
    qtbot.waitUntil(lambda: boss.floor is not None and boss.floor.isVisible(), timeout=20_000)
    assert boss.session is not None and boss.session.window.isVisible()
    floor_window = boss.floor
    assert floor_window is not None
    assert floor_window.tabs.currentWidget() is floor_window.board
    # The supervisor's other panels are tabs of the floor: the KPI dashboard (the team's
    # figures, loaded) and the training review.
    titles = [floor_window.tabs.tabText(i) for i in range(floor_window.tabs.count())]
    assert titles == ["Live board", "Refunds to approve", "KPIs", "Training"]
    dashboard = floor_window.findChild(DashboardPanel, "floor_dashboard")
    assert dashboard is not None and floor_window.tabs.indexOf(dashboard) == 2
    qtbot.waitUntil(lambda: dashboard.report is not None, timeout=30_000)
    assert dashboard.report is not None and dashboard.report.rows  # the team's figures
    review = floor_window.findChild(TrainingReviewPanel, "floor_training_review")
    assert review is not None and floor_window.tabs.indexOf(review) == 3
    extra = QListView()
    at = floor_window.add_tab(extra, "More")
    assert floor_window.tabs.widget(at) is extra and floor_window.tabs.tabText(at) == "More"
    # The agent screen stays one key away, and the floor another.
    heard: list[str] = []
    floor_window.announced.connect(heard.append)
    floor_window.actions_["agent_screen"].trigger()
    assert boss.session.window.isVisible()
    boss.session.window.actions_["show_floor"].trigger()
    assert heard and heard[-1] == floor_window.board.summary.text()
    # Signing out closes the floor with the agent screen.
    boss.session.window.actions_["sign_out"].trigger()
    qtbot.waitUntil(lambda: not floor_window.isVisible(), timeout=10_000)


#: ``app.exec()`` returned because the test saw what it waited for (Qt quitting gives 0).
SEEN, TIMED_OUT = 99, 98


def _gone(widget: QWidget) -> bool:
    return not shiboken6.isValid(widget) or not widget.isVisible()


def _press_in_the_event_loop(
    qtbot: QtBot, c: Controller, target: QWidget, press: Callable[[], None]
) -> int:
    """``press`` with the application's own event loop running, as for a user: only under
    ``app.exec()`` does Qt quit when the last visible window closes (quitOnLastWindowClosed),
    which a test's ``qtbot.wait`` never shows. SEEN once the sign-in dialog is up, 0 if Qt
    quit first."""
    app = QApplication.instance()
    assert isinstance(app, QApplication) and app.quitOnLastWindowClosed()
    session = c.session
    assert session is not None
    ours = {session.window, c.floor}
    others = [w for w in app.topLevelWidgets() if w.isVisible() and w not in ours]
    assert not others  # another window would keep the app alive and hide the fault
    target.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is target, timeout=5_000)
    watch = QTimer()
    watch.setInterval(20)
    watch.timeout.connect(
        lambda: app.exit(SEEN) if c.dialog is not None and c.dialog.isVisible() else None
    )
    watch.start()
    QTimer.singleShot(0, press)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: app.exit(TIMED_OUT))
    guard.start(30_000)
    try:
        return app.exec()
    finally:
        watch.stop()
        guard.stop()


def test_a_supervisor_signing_out_from_either_screen_is_asked_who_signs_in(
    qtbot: QtBot, demo_server: ServerProcess, controllers: list[Controller]
) -> None:
    """The outside review: Sam, floor in front, Ctrl+Alt+W then Ctrl+Shift+Q, and the app
    exited with code 0 (the agent screen was hidden, the floor closed last). And Ctrl+Shift+Q
    did nothing on the floor, the supervisor's main screen."""
    boss = _start(controllers, demo_server.url)
    _sign_in(qtbot, boss, "sam", "demo-password")
    qtbot.waitUntil(lambda: boss.floor is not None and boss.floor.isVisible(), timeout=20_000)
    assert boss.session is not None
    window, floor_window = boss.session.window, boss.floor
    assert floor_window is not None
    floor_window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is floor_window, timeout=5_000)
    qtbot.keyClick(floor_window, Qt.Key.Key_W, CTRL_ALT)  # to the agent screen
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)

    def sign_out_here() -> None:
        qtbot.keyClick(window, Qt.Key.Key_Q, CTRL_SHIFT)

    assert _press_in_the_event_loop(qtbot, boss, window, sign_out_here) == SEEN
    assert boss.session is None and boss.floor is None
    assert _gone(floor_window) and _gone(window)

    # Signed in again, out from the floor by the same key, named as on the agent screen.
    _sign_in(qtbot, boss, "sam", "demo-password")
    qtbot.waitUntil(lambda: boss.floor is not None and boss.floor.isVisible(), timeout=20_000)
    floor_window = boss.floor
    assert floor_window is not None
    action = floor_window.actions_["sign_out"]
    assert action.text() == "Sign out"
    assert [k.toString() for k in action.shortcuts()] == ["Ctrl+Shift+Q"]

    def sign_out_on_the_floor() -> None:
        qtbot.keyClick(floor_window, Qt.Key.Key_Q, CTRL_SHIFT)

    assert _press_in_the_event_loop(qtbot, boss, floor_window, sign_out_on_the_floor) == SEEN
    assert boss.session is None and boss.floor is None and _gone(floor_window)


def test_quitting_on_a_supervisors_agent_screen_closes_the_floor_too(
    qtbot: QtBot, demo_server: ServerProcess, controllers: list[Controller]
) -> None:
    """Ctrl+Q on the agent screen closed only it: the floor stayed up, and Ctrl+Alt+W then
    showed an agent screen whose workers had stopped (re-review)."""
    boss = _start(controllers, demo_server.url)
    _sign_in(qtbot, boss, "sam", "demo-password")
    qtbot.waitUntil(lambda: boss.floor is not None and boss.floor.isVisible(), timeout=20_000)
    assert boss.session is not None
    window, floor_window = boss.session.window, boss.floor
    assert floor_window is not None
    window.actions_["quit"].trigger()
    qtbot.waitUntil(lambda: _gone(window) and _gone(floor_window), timeout=10_000)


def test_an_agent_signing_in_gets_only_the_agent_screen(
    qtbot: QtBot, demo_server: ServerProcess, controllers: list[Controller]
) -> None:
    agent = _start(controllers, demo_server.url)
    _sign_in(qtbot, agent, "priya", "demo-password")
    qtbot.waitUntil(lambda: agent.session is not None, timeout=20_000)
    assert agent.floor is None
    heard: list[str] = []
    assert agent.session is not None
    agent.session.window.announced.connect(heard.append)
    agent.session.window.actions_["show_floor"].trigger()
    assert heard == ["The floor is for supervisors and admins."]


def test_a_message_whose_words_cannot_be_fetched_is_said_once_and_shown_later(
    qtbot: QtBot,
    demo_server: ServerProcess,
    desk_factory: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The feed carries a supervisor's message without its words; when the desk cannot fetch
    them (the connection dropped between the batch and the fetch), it says so once and shows
    the message with the next sync batch (before: an error notice, and the message lost)."""
    sam = desk_factory(demo_server, "sam")
    alex = desk_factory(demo_server, "alex")
    qtbot.waitUntil(alex.synced, timeout=30_000)
    # Messages of earlier tests on this server (recent, so news to a new desk) are fetched
    # with the first sync: let those fetches finish before the connection "drops".
    qtbot.waitUntil(lambda: alex.window.tasks.in_flight == 0, timeout=30_000)
    api = alex.ws.engine.api
    real = api.floor_messages
    down, calls = [True], [0]

    def flaky(ids: list[str]) -> list[dict[str, object]]:
        calls[0] += 1
        if down[0]:
            raise ConnectionError("connection refused")
        return real(ids)

    monkeypatch.setattr(api, "floor_messages", flaky)
    said: list[str] = []
    alex.window.announced.connect(said.append)
    shown: list[str] = []
    alex.window.floor_desk.note_shown.connect(shown.append)
    words_sent = "Please take the returns queue, 9F3A"  # unique on this module's server
    floor.message_agent(sam.ws, alex.ws.me.id, words_sent)
    qtbot.waitUntil(lambda: any("could not be fetched" in s for s in said), timeout=30_000)
    assert words_sent not in alex.window.notice_label.text()
    assert not any(words_sent in t for t in shown)
    # Another batch while the words still cannot be fetched: asked again, not said again.
    before = calls[0]
    floor.set_my_status(sam.ws, AgentStatus.ON_BREAK)
    qtbot.waitUntil(lambda: calls[0] > before, timeout=30_000)
    # The next batch (here: sam's status change) brings the words.
    down[0] = False
    floor.set_my_status(sam.ws, AgentStatus.AWAY)
    words = f"Message from Sam Okafor: {words_sent}"
    qtbot.waitUntil(lambda: words in shown, timeout=30_000)
    assert words in said
    assert sum("could not be fetched" in s for s in said) == 1
