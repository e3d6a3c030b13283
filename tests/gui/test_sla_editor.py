"""The SLA policy on the desk against a real server (issue 12, docs/sla.md): a supervisor opens
the editor with Ctrl+Alt+P, changes a target, a team's hours and an escalation option, saves
through the outbox and the server stores it; an agent is refused; and a breach found by the
server's escalation scan reaches the assignee's desk as a tray notice and an announcement."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.domain.enums import Priority, Realm
from csdesk.server.config import ServerConfig
from csdesk.server.sla import store
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
SUBJECT = "Escalate me: parcel lost twice"


@dataclass
class Shop:
    server: ServerProcess
    db_url: str
    conversation_id: str  # open, assigned to the demo agent


def _state(db_url: str) -> ServerState:
    return ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    d = tmp_path_factory.mktemp("sla")
    url = seed_demo_db(d / "demo.db", customers=20)
    state = _state(url)
    try:
        with state.writes() as s:
            demo = s.scalars(select(m.User.id).where(m.User.username == "demo")).one()
            conv = s.scalars(
                select(m.Conversation)
                .where(m.Conversation.realm == Realm.PRODUCTION.value)
                .order_by(m.Conversation.id)
                .limit(1)
            ).one()
            now = utcnow()
            conv.assignee_id = demo
            conv.status = "open"
            conv.subject = SUBJECT
            conv.first_response_at = None
            conv.created_at = now - timedelta(hours=1)
            conv.first_response_due_at = now + timedelta(days=1)  # not due yet
            conv.resolution_due_at = now + timedelta(days=2)
            s.commit()
            conv_id = conv.id
    finally:
        state.engine.dispose()
    saved = os.environ.get("CSDESK_SLA_SCAN_SECONDS")
    os.environ["CSDESK_SLA_SCAN_SECONDS"] = "0.5"
    try:
        server = ServerProcess(url, log_path=d / "server.log").start()
    finally:
        if saved is None:
            os.environ.pop("CSDESK_SLA_SCAN_SECONDS", None)
        else:
            os.environ["CSDESK_SLA_SCAN_SECONDS"] = saved
    try:
        yield Shop(server, url, conv_id)
    finally:
        server.stop()


def _focus(qtbot: QtBot, widget: QWidget) -> None:
    widget.setFocus()  # no window manager offscreen: a dialog is not activated by itself
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


def test_a_supervisor_edits_the_policy_by_keyboard(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.sla_editor import SlaEditor

    sam = desk_factory(shop.server, "sam")
    w = sam.window
    w.activateWindow()
    _focus(qtbot, w.inbox.list)
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_P, CTRL_ALT)
    qtbot.waitUntil(
        lambda: (d := w.findChild(SlaEditor, "sla_editor")) is not None and d.isVisible(),
        timeout=30_000,
    )
    dialog = w.findChild(SlaEditor, "sla_editor")
    assert dialog is not None
    box = dialog.first[("email", Priority.URGENT)]
    assert box.accessibleName() == "First response, Email, Urgent"
    assert box.value() == 60  # the stored default: one hour
    _focus(qtbot, box)
    box.selectAll()
    qtbot.keyClicks(box, "45")
    assert box.value() == 45
    # The business hours tab by its mnemonic, then the Returns team's hours.
    qtbot.keyClick(box, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.tabs.currentIndex() == 1, timeout=5_000)
    dialog.team.setCurrentIndex(dialog.team.findText("Returns"))
    assert dialog.hours.text() == "Mon-Fri 09:00-17:30"
    _focus(qtbot, dialog.hours)
    dialog.hours.selectAll()
    qtbot.keyClicks(dialog.hours, "Mon-Fri 08:00-16:00")
    # A wrong holiday is caught before anything is queued, and said.
    _focus(qtbot, dialog.holidays)
    dialog.holidays.setPlainText("2026-12-25\nnot a day")
    dialog.save_button.click()
    assert dialog.isVisible() and "not a date" in dialog.error.text()
    dialog.holidays.setPlainText("2026-12-25")
    _focus(qtbot, dialog.hours)
    qtbot.keyClick(dialog.hours, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.tabs.currentIndex() == 2, timeout=5_000)
    dialog.move_queue.setFocus()
    qtbot.keyClick(dialog.move_queue, Qt.Key.Key_Space)
    assert dialog.move_queue.isChecked()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)

    def stored() -> bool:
        state = _state(shop.db_url)
        try:
            with state.reads() as s:
                pol = store.load_policy(s)
                team = s.scalar(select(m.Team.id).where(m.Team.name == "Returns"))
                hours = s.get(m.TeamHours, team)
                return (
                    pol.first_response["email"][Priority.URGENT] == timedelta(minutes=45)
                    and pol.escalation.move_to_queue
                    and hours is not None
                    and hours.hours == "Mon-Fri 08:00-16:00"
                    and hours.holidays == ["2026-12-25"]
                )
        finally:
            state.engine.dispose()

    qtbot.waitUntil(stored, timeout=40_000)
    qtbot.waitUntil(sam.synced, timeout=30_000)


def test_an_agent_cannot_open_the_editor(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    from csdesk.ui.panels.sla_editor import SlaEditor

    bob = desk_factory(shop.server, "demo")
    w = bob.window
    said: list[str] = []
    w.say = lambda text, **_kw: said.append(text)  # type: ignore[method-assign]
    w.activateWindow()
    _focus(qtbot, w.inbox.list)
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_P, CTRL_ALT)
    qtbot.waitUntil(lambda: bool(said), timeout=10_000)
    assert "supervisors" in said[-1]
    assert w.findChild(SlaEditor, "sla_editor") is None


def test_a_breach_reaches_the_assignee_desk(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    agent = desk_factory(shop.server, "demo")
    shown: list[str] = []
    agent.window.floor_desk.note_shown.connect(shown.append)
    state = _state(shop.db_url)
    try:
        with state.writes() as s:
            conv = s.get(m.Conversation, shop.conversation_id)
            assert conv is not None
            conv.first_response_due_at = utcnow() - timedelta(seconds=1)
            s.commit()
    finally:
        state.engine.dispose()
    qtbot.waitUntil(lambda: any(SUBJECT in t for t in shown), timeout=40_000)
    text = next(t for t in shown if SUBJECT in t)
    assert "SLA breached" in text and "first response" in text
    assert SUBJECT in agent.window.notice_label.text() or any(SUBJECT in t for t in shown)


def test_the_floor_opens_the_editor_by_key_and_by_its_button(
    qtbot: QtBot,
    shop: Shop,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """The supervisor's floor has its own way in (it was only on the agent screen): Ctrl+Alt+P
    from the board, and a named button beside the tabs on the Tab path; no key clashes."""
    from PySide6.QtWidgets import QPushButton

    from csdesk.theme import get_theme
    from csdesk.ui.floor_tabs import add_supervisor_tabs
    from csdesk.ui.floor_window import FloorWindow
    from csdesk.ui.panels.sla_editor import SlaEditor
    from tests.gui.test_shortcut_clashes import clashes

    sam = desk_factory(shop.server, "sam")
    floor = FloorWindow(sam.ws, sam.window.bridge, get_theme("light"), sam.window.show)
    qtbot.addWidget(floor)
    add_supervisor_tabs(floor, sam.window)
    floor.show()
    floor.activateWindow()
    try:
        button = floor.findChild(QPushButton, "floor_sla_policy")
        assert button is not None and button.isVisible()
        assert button.accessibleName() == "SLA policy"
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
        assert clashes("floor", floor) == []

        def editor() -> SlaEditor | None:
            shown = [d for d in floor.findChildren(SlaEditor, "sla_editor") if d.isVisible()]
            return shown[0] if shown else None

        _focus(qtbot, floor.board.queues)
        qtbot.keyClick(floor.board.queues, Qt.Key.Key_P, CTRL_ALT)
        qtbot.waitUntil(lambda: editor() is not None, timeout=30_000)
        dialog = editor()
        assert dialog is not None and dialog.parent() is floor
        dialog.reject()
        qtbot.waitUntil(lambda: editor() is None, timeout=5_000)
        floor.activateWindow()  # no window manager: the closed dialog left none active
        qtbot.waitUntil(floor.isActiveWindow, timeout=5_000)
        _focus(qtbot, button)
        qtbot.keyClick(button, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: editor() is not None, timeout=30_000)
        dialog = editor()
        assert dialog is not None
        dialog.reject()
    finally:
        floor.stop()
        floor.tasks.shutdown()
