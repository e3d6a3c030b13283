"""Issue 4: a whole shift by keyboard alone, from the sign-in dialog to search.

Every step sends key events to whatever has the focus in the window the agent is looking at,
as a keyboard would, and asserts what the agent would then perceive (focus, text, the
announcement a screen reader receives). Modal dialogs (canned responses) are driven the same
way from a timer, because ``exec()`` runs its own event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.settings import Settings
from csdesk.ui.app import Controller
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.canned import CannedDialog
from tests.a11y.conftest import FakeEngine
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(180)
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
NONE = Qt.KeyboardModifier.NoModifier


def focus_in(window: QWidget) -> QWidget:
    """Where a key pressed now would go (offscreen there is no window manager, so ask the
    window rather than the application)."""
    return window.focusWidget() or window


def press(qtbot: QtBot, window: QWidget, key: Qt.Key, mods: Qt.KeyboardModifier = NONE) -> None:
    qtbot.keyClick(focus_in(window), key, mods)


def type_text(qtbot: QtBot, window: QWidget, text: str) -> None:
    qtbot.keyClicks(focus_in(window), text)


@pytest.fixture
def controller(qtbot: QtBot, tmp_path: Path) -> Iterator[list[Controller]]:
    made: list[Controller] = []
    yield made
    for c in made:
        if c.session is not None:
            c.session.window.close()
            c.session.window.deleteLater()
        if c.dialog is not None:
            c.dialog.close()
        c.shutdown()


def test_a_shift_by_keyboard_alone(
    qtbot: QtBot, demo_server: ServerProcess, controller: list[Controller], tmp_path: Path
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    sheet, font = app.styleSheet(), app.font()
    settings = Settings(tmp_path / "settings.json", {"theme": "light"})
    c = Controller(app, settings, None, demo_server.url, speech_engine=FakeEngine)
    controller.append(c)
    c.start()

    # Sign in: user name, Tab, password, Enter.
    qtbot.waitUntil(lambda: c.dialog is not None and c.dialog.isVisible(), timeout=10_000)
    dialog = c.dialog
    assert dialog is not None
    dialog.username.setFocus()  # where the dialog starts the agent (no URL prompt: it is set)
    assert dialog.username.text() == ""
    type_text(qtbot, dialog, "demo")
    press(qtbot, dialog, Qt.Key.Key_Tab)
    assert focus_in(dialog) is dialog.password
    type_text(qtbot, dialog, "demo-password")
    press(qtbot, dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: c.session is not None and c.session.window.isVisible(), timeout=30_000)
    assert c.session is not None
    w: MainWindow = c.session.window
    heard: list[str] = []
    w.announced.connect(heard.append)
    assert focus_in(w) is w.inbox.list  # ready to move through the inbox at once
    engine = c.session.engine
    qtbot.waitUntil(lambda: engine.cache.cursor() >= engine.cache.head() > 0, timeout=30_000)

    # The inbox: Alt+3 is "All open"; J and K move; the selection opens the conversation.
    press(qtbot, w, Qt.Key.Key_3, ALT)
    qtbot.waitUntil(
        lambda: w.shown_view == ALL_VIEWS[2] == View.ALL_OPEN and w.model.rowCount() > 3,
        timeout=10_000,
    )
    press(qtbot, w, Qt.Key.Key_J)
    press(qtbot, w, Qt.Key.Key_J)
    press(qtbot, w, Qt.Key.Key_K)
    assert w.inbox.list.currentIndex().row() == 0
    cid = w.model.id_at(0)
    qtbot.waitUntil(
        lambda: w.conversation.current is not None and w.conversation.current.id == cid,
        timeout=10_000,
    )
    assert any(text.startswith("Opened:") for text in heard)

    # Read it: Ctrl+2 to the messages, Up/Down message by message, Ctrl+Shift+R aloud.
    press(qtbot, w, Qt.Key.Key_2, CTRL)
    assert focus_in(w) is w.conversation.messages
    last = w.conversation.model.rowCount() - 1
    assert w.conversation.messages.currentIndex().row() == last
    if last > 0:
        press(qtbot, w, Qt.Key.Key_Up)
        assert w.conversation.messages.currentIndex().row() == last - 1
        press(qtbot, w, Qt.Key.Key_Down)
    queued: list[str] = []
    c.speaker.queued.connect(queued.append)
    press(qtbot, w, Qt.Key.Key_R, CTRL | SHIFT)
    sentence = w.conversation.messages.currentIndex().data(Qt.ItemDataRole.AccessibleTextRole)
    assert queued == [" ".join(sentence.split())]

    # Reply with a canned response: R opens the composer, Ctrl+Shift+C the chooser, Enter
    # inserts the first match, then a line of our own and Ctrl+Enter sends.
    press(qtbot, w, Qt.Key.Key_R)
    composer = w.conversation.composer
    assert focus_in(w) is composer.text
    chosen: dict[str, str] = {}

    tries = [0]

    def pick() -> None:
        # The chooser opens as a modal (its own event loop): this runs inside that loop once
        # it is up, however long a loaded machine takes to build it.
        modal = QApplication.activeModalWidget()
        if not isinstance(modal, CannedDialog) or modal.list.currentItem() is None:
            tries[0] += 1
            assert tries[0] < 300, "the canned-response chooser never opened"
            QTimer.singleShot(100, pick)
            return
        assert focus_in(modal) is modal.filter
        chosen["title"] = modal.list.currentItem().text()
        qtbot.keyClick(focus_in(modal), Qt.Key.Key_Return)

    QTimer.singleShot(100, pick)
    press(qtbot, w, Qt.Key.Key_C, CTRL | SHIFT)
    qtbot.waitUntil(lambda: "title" in chosen and composer.text.toPlainText() != "", timeout=10_000)
    assert "{" not in composer.text.toPlainText()  # placeholders were filled (or announced)
    assert focus_in(w) is composer.text
    w.activateWindow()  # a window manager re-activates the parent when a modal closes
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2_000)
    press(qtbot, w, Qt.Key.Key_End, CTRL)
    type_text(qtbot, w, " Sent by keyboard.")
    press(qtbot, w, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: composer.text.toPlainText() == "", timeout=10_000)
    assert "Reply queued for sending" in heard

    # Assign to me (Ctrl+Shift+I), then resolve (Ctrl+Shift+E).
    press(qtbot, w, Qt.Key.Key_I, CTRL | SHIFT)
    qtbot.waitUntil(lambda: "Assigned to you" in heard, timeout=10_000)
    press(qtbot, w, Qt.Key.Key_E, CTRL | SHIFT)
    qtbot.waitUntil(lambda: "Resolved" in heard, timeout=10_000)
    qtbot.waitUntil(
        lambda: (conv := w.ws.conversation(cid)) is not None and conv.status == "resolved",
        timeout=10_000,
    )

    # The customer pane (Ctrl+3), then search (Ctrl+F): type, results, Escape back.
    press(qtbot, w, Qt.Key.Key_3, CTRL)
    assert w.customer.isVisible()
    assert w.customer.isAncestorOf(focus_in(w)) or focus_in(w) is w.customer
    press(qtbot, w, Qt.Key.Key_F, CTRL)
    assert focus_in(w) is w.inbox.search
    type_text(qtbot, w, "FH-10000")
    qtbot.waitUntil(lambda: w.query == "FH-10000" and w.model.rowCount() > 0, timeout=10_000)
    press(qtbot, w, Qt.Key.Key_Escape)
    assert focus_in(w) is w.inbox.list
    assert w.inbox.search.text() == ""

    app.setStyleSheet(sheet)
    app.setFont(font)
