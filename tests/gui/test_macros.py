"""Macros and canned responses in the window against a real demo server (docs/macros.md): the
demo agent creates a personal canned response by keyboard (Ctrl+Alt+C, Alt+N, Alt+V) and
the server stores it as theirs; Ctrl+Alt+A previews "Close as spam" in sentences and applies
it, every effect shows at once; offline, Ctrl+Alt+Z takes a pending macro back whole."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app.inbox import Sort, View
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.ui.panels.canned_editor import CannedEditor, CannedManager
from csdesk.ui.panels.macro_dialog import MacroDialog
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


def _server_canned(server: ServerProcess, title: str) -> m.CannedResponse | None:
    state = ServerState.build(ServerConfig(db_url=server.db_url, listen_notify=False))
    try:
        with state.reads() as s:
            return s.scalars(
                select(m.CannedResponse).where(m.CannedResponse.title == title)
            ).first()
    finally:
        state.engine.dispose()


def test_canned_response_created_and_a_macro_applied_and_undone(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    qtbot.waitUntil(desk.synced, timeout=60_000)
    ui = w.macro_desk

    # A personal canned response, by keyboard (the shortcut reaches the window through its
    # focus widget: wait until the list has it).
    w.activateWindow()
    w.inbox.list.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.inbox.list, timeout=5_000)
    with qtbot.waitSignal(ui.canned_loaded, timeout=20_000) as listed:
        qtbot.keyClick(w.inbox.list, Qt.Key.Key_C, CTRL_ALT)
    assert listed.args[0] > 10
    manager = ui.manager
    assert isinstance(manager, CannedManager) and audit(manager) == []
    texts = [manager.list.item(n).text() for n in range(manager.list.count())]
    assert any(t.startswith("My sign-off /me (en) · Only me · used 3 times") for t in texts)
    manager.new.click()
    qtbot.waitUntil(lambda: isinstance(ui.editor, CannedEditor), timeout=5_000)
    editor = ui.editor
    assert editor is not None and audit(editor) == []
    editor.title.setFocus()
    qtbot.keyClicks(editor.title, "Parcel <b>found</b>")
    editor.body.setFocus()
    qtbot.keyClicks(editor.body, "Good news ")
    editor.placeholders.setCurrentRow(0)  # {first_name}
    editor.insert.click()
    assert editor.body.toPlainText() == "Good news {first_name}"
    assert editor.scope.count() == 1  # an agent keeps their own only
    with qtbot.waitSignal(ui.canned_saved, timeout=20_000):
        save = editor.findChild(QPushButton, "canned_save")
        assert save is not None and save.text() == "Sa&ve"  # Alt+V
        save.click()
    qtbot.waitUntil(
        lambda: _server_canned(demo_server, "Parcel <b>found</b>") is not None, timeout=40_000
    )
    row = _server_canned(demo_server, "Parcel <b>found</b>")
    assert row is not None and row.scope == "personal" and row.owner_id == desk.ws.me.id
    manager.reject()
    qtbot.waitUntil(lambda: ui.manager is None, timeout=5_000)

    # "Close as spam" on an open conversation: previewed, applied, every effect shown.
    cid = desk.ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST)[0]
    # The inbox may open its own current row as the focus comes back from the closed manager:
    # ask again until this one is open.
    qtbot.waitUntil(
        lambda: (
            w.open_conversation(cid) is None and w.open_conv is not None and w.open_conv.id == cid
        ),
        timeout=30_000,
    )
    w.inbox.list.setFocus()
    with qtbot.waitSignal(ui.previewed, timeout=20_000):
        w.actions_["macro_apply"].trigger()  # the registry's Ctrl+Alt+A
    dialog = ui.dialog
    assert isinstance(dialog, MacroDialog) and audit(dialog) == []
    titles = [dialog.list.item(n).text() for n in range(dialog.list.count())]
    spam = next(n for n, t in enumerate(titles) if t.startswith("Close as spam"))
    dialog.list.setCurrentRow(spam)
    assert dialog.preview.toPlainText().splitlines() == [
        "• Add the tag spam",
        "• Set the priority to low",
        "• Add this internal note: Closed as spam: no reply sent.",
        "• Resolve the conversation",
    ]
    with qtbot.waitSignal(ui.applied, timeout=20_000) as applied:
        dialog.list.setFocus()
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    assert len(applied.args[0]) == 5
    conv = desk.ws.conversation(cid)
    assert conv is not None
    assert "spam" in conv.tags and conv.status == "resolved" and conv.priority == "low"
    assert any(msg.is_note and "Closed as spam" in msg.body_text for msg in conv.messages)

    # Offline, a second macro waits in the outbox; Ctrl+Alt+Z takes all of it back.
    qtbot.waitUntil(desk.synced, timeout=40_000)
    assert desk.engine.stop()
    other = desk.ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST)[0]
    w.open_conversation(other)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == other, timeout=10_000)
    before = desk.ws.conversation(other)
    assert before is not None
    w.inbox.list.setFocus()
    with qtbot.waitSignal(ui.previewed, timeout=20_000):
        w.actions_["macro_apply"].trigger()  # the registry's Ctrl+Alt+A
    dialog = ui.dialog
    assert dialog is not None
    spam = next(
        n for n in range(dialog.list.count()) if dialog.list.item(n).text().startswith("Close")
    )
    dialog.list.setCurrentRow(spam)
    with qtbot.waitSignal(ui.applied, timeout=20_000):
        dialog.apply.click()
    assert desk.ws.conversation(other).status == "resolved"  # type: ignore[union-attr]
    with qtbot.waitSignal(ui.undone, timeout=20_000) as undone:
        w.actions_["macro_undo"].trigger()  # the registry's Ctrl+Alt+Z
    assert undone.args == [True]
    after = desk.ws.conversation(other)
    assert after is not None
    assert (after.status, after.priority, after.tags) == (
        before.status,
        before.priority,
        before.tags,
    )
    assert len(after.messages) == len(before.messages)
    assert desk.engine.status.pending == 0
