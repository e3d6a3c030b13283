"""Offline work in the window, the shortcuts sheet, and names for every focusable widget."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import ALL_VIEWS, View
from csdesk.domain.enums import Role
from csdesk.sync.events import SyncState
from csdesk.ui.actions import specs
from csdesk.ui.panels.shortcuts import ShortcutsDialog
from tests.gui.conftest import Desk, seed_demo_db
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own, to kill and restart."""
    url = seed_demo_db(tmp_path / "small.db", customers=12)
    server = ServerProcess(url, log_path=tmp_path / "small.log").start()
    yield server
    server.stop()


def test_replies_written_offline_are_sent_once_in_order(
    qtbot: QtBot, small_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(small_server, "demo")
    w = desk.window
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(
        lambda: w.shown_view == View.ALL_OPEN and w.model.rowCount() > 0, timeout=10_000
    )
    w.inbox.step(1)
    # The conversation J opened, shown: another may be on screen already (the view's first),
    # and the replies below go to the open one (a wait for any shown conversation took that
    # other's id a third of the time, and the replies were then looked for in the wrong one).
    qtbot.waitUntil(
        lambda: (
            w.open_id is not None
            and w.conversation.current is not None
            and w.conversation.current.id == w.open_id
        ),
        timeout=10_000,
    )
    assert w.conversation.current is not None
    cid = w.conversation.current.id

    small_server.kill()
    qtbot.waitUntil(lambda: desk.engine.status.state == SyncState.OFFLINE, timeout=30_000)
    qtbot.waitUntil(lambda: w.sync_label.text().startswith("Offline"), timeout=5_000)
    composer = w.conversation.composer
    texts = ["First, while offline.", "Second, still offline.", "Third."]
    for text in texts:
        composer.start(note=False)
        qtbot.keyClicks(composer.text, text)
        qtbot.keyClick(composer.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: composer.text.toPlainText() == "", timeout=5_000)
    # The outbox writes on the cache's serial writer: allow for a loaded machine.
    qtbot.waitUntil(lambda: desk.engine.status.pending == 3, timeout=20_000)
    assert "3 actions waiting to be sent" in w.sync_label.text()

    def shown() -> list[str]:
        model = w.conversation.model
        return [
            model.message(n).body_text
            for n in range(max(0, model.rowCount() - 3), model.rowCount())  # type: ignore[union-attr]
        ]

    # Seen before the server has them, marked waiting (the cache writer is serial: allow for a
    # loaded machine).
    qtbot.waitUntil(lambda: shown() == texts, timeout=20_000)
    assert all(
        "offline" in w.conversation.model.index(n).data(Qt.ItemDataRole.AccessibleTextRole)
        for n in range(w.conversation.model.rowCount() - 3, w.conversation.model.rowCount())
    )

    small_server.start()
    qtbot.waitUntil(
        lambda: desk.engine.status.state == SyncState.ONLINE and desk.engine.status.pending == 0,
        timeout=60_000,
    )
    assert desk.engine.outbox.rejected() == []  # all three taken, none refused
    api = Raw.signed_in(small_server, TestUser("alex", "demo-password", Role.AGENT))

    def on_server() -> list[str]:
        changes, _ = api.pull_all()
        replies = sorted(
            (c["data"]["created_at"], c["data"]["body_text"])
            for c in changes
            if c["entity"] == "message"
            and c["data"]
            and c["data"]["conversation_id"] == cid
            and c["data"]["body_text"] in texts
        )
        return [body for _at, body in replies]

    # Committed before the push answered; a loaded machine may publish the feed a moment later.
    qtbot.waitUntil(lambda: on_server() != [], timeout=20_000)
    assert on_server() == texts  # each once, in the order written


def test_shortcuts_sheet_lists_every_action(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    seen: dict[str, object] = {}

    def inspect() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ShortcutsDialog)
        table = dialog.table
        seen["rows"] = [table.item(r, 1).text() for r in range(table.rowCount())]
        seen["keys"] = [table.item(r, 2).text() for r in range(table.rowCount())]
        seen["name"] = dialog.accessibleName()
        dialog.reject()

    QTimer.singleShot(300, inspect)
    qtbot.keyClick(desk.window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: "rows" in seen, timeout=5_000)
    assert seen["rows"] == [s.text for s in specs()]
    assert "F1, ?" in seen["keys"]  # type: ignore[operator]
    assert seen["name"] == "Keyboard shortcuts"


def test_keyboard_moves_and_views(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    # The shortcut reaches the window through its focus widget: this window active, the list
    # focused (another test's window on this worker may still be the active one).
    w.activateWindow()
    w.inbox.list.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.inbox.list, timeout=5_000)
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)  # third view
    qtbot.waitUntil(lambda: w.shown_view == ALL_VIEWS[2] and w.model.rowCount() > 2, timeout=10_000)
    w.inbox.list.setFocus()
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_J)
    # The first J lands on the first row, or on the next one if the list already had a row
    # (a focus-in on a loaded machine may arrive first): from there, J and K move by one.
    start = w.inbox.list.currentIndex().row()
    assert start in (0, 1, 2)  # under load a reload may also have moved it on once
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_J)
    assert w.inbox.list.currentIndex().row() == start + 1
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_K)
    assert w.inbox.list.currentIndex().row() == start
    qtbot.waitUntil(
        lambda: (
            w.conversation.current is not None and w.conversation.current.id == w.model.id_at(start)
        ),
        timeout=10_000,
    )
    # Typing "j" in the composer is text, not a shortcut.
    w.conversation.composer.start(note=False)
    qtbot.keyClicks(w.conversation.composer.text, "jk")
    assert w.conversation.composer.text.toPlainText() == "jk"
    assert w.inbox.list.currentIndex().row() == start
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert w.conversation.messages.hasFocus()


def test_every_focusable_widget_has_an_accessible_name(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    w.views.choose(list(ALL_VIEWS).index(View.ALL_OPEN))
    qtbot.waitUntil(
        lambda: w.shown_view == View.ALL_OPEN and w.model.rowCount() > 0, timeout=10_000
    )
    w.inbox.step(1)
    qtbot.waitUntil(lambda: w.conversation.current is not None, timeout=10_000)
    # The thread loads on a worker after the conversation is chosen.
    qtbot.waitUntil(lambda: w.conversation.model.rowCount() > 0, timeout=10_000)
    assert unnamed_focusables(w) == []
    # Rows speak a whole sentence, messages too.
    assert "from" in w.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
    first_msg = w.conversation.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "wrote" in first_msg or "replied" in first_msg or "note" in first_msg.lower()
