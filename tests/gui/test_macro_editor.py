"""The macro editor against a real demo server (docs/macros.md, "The macro editor"): a
supervisor makes a shared macro by keyboard (a reply with a placeholder, a tag, a status, a
favourite key), it reaches another desk and is applied there; an agent edits their personal
macro (an action added and moved up); an agent's attempt to share with everyone is refused by
the server and the refusal shown; the editor's checks name their fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QComboBox, QMenu, QMessageBox, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app import macro_desk
from csdesk.app import macro_editing as editing
from csdesk.app.inbox import Sort, View
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.ui.macro_editing import MacroEditingUi
from csdesk.ui.panels.macro_dialog import MacroDialog
from csdesk.ui.panels.macro_editor import MacroEditor
from csdesk.ui.panels.macro_manager import MacroManager
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(300)
ALT = Qt.KeyboardModifier.AltModifier
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | ALT
CTRL_ALT_SHIFT = CTRL_ALT | Qt.KeyboardModifier.ShiftModifier


def _server_macro(server: ServerProcess, title: str) -> m.Macro | None:
    state = ServerState.build(ServerConfig(db_url=server.db_url, listen_notify=False))
    try:
        with state.reads() as s:
            return s.scalars(select(m.Macro).where(m.Macro.title == title)).first()
    finally:
        state.engine.dispose()


def _open_manager(qtbot: QtBot, desk: Desk) -> tuple[MacroEditingUi, MacroManager]:
    w = desk.window
    ui = w.macro_editing
    w.inbox.list.setFocus()
    with qtbot.waitSignal(ui.listed, timeout=20_000):
        qtbot.keyClick(w.inbox.list, Qt.Key.Key_A, CTRL_ALT_SHIFT)  # Manage macros
    manager = ui.manager
    assert isinstance(manager, MacroManager) and audit(manager) == []
    return ui, manager


def _editor(qtbot: QtBot, ui: MacroEditingUi, press: Callable[[], None]) -> MacroEditor:
    with qtbot.waitSignal(ui.editor_opened, timeout=20_000):
        press()
    editor = ui.editor
    assert isinstance(editor, MacroEditor)
    return editor


def _add_by_menu(qtbot: QtBot, editor: MacroEditor, label: str) -> None:
    """Alt+D opens the Add action menu; Down to ``label``, Enter."""

    def pick() -> None:
        menu = editor.findChild(QMenu, "macro_add_menu")
        assert menu is not None and menu.isVisible()
        labels = [a.text() for a in menu.actions()]
        for _n in range(labels.index(label) + 1):
            qtbot.keyClick(menu, Qt.Key.Key_Down)
        assert menu.activeAction() is not None and menu.activeAction().text() == label
        qtbot.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(0, pick)
    editor.add.setFocus()
    qtbot.keyClick(editor.add, Qt.Key.Key_Space)  # the focused "Add action…" button
    qtbot.waitUntil(lambda: not editor.menu.isVisible(), timeout=5_000)


def _menu_labels(editor: MacroEditor) -> list[QAction]:
    editor._fill_menu()  # what the menu offers when it opens
    return editor.menu.actions()


def _choose(qtbot: QtBot, combo: QWidget | None, text: str) -> None:
    """Down through a combo box until it shows ``text`` (the keyboard path)."""
    assert isinstance(combo, QComboBox)
    combo.setFocus()
    for _n in range(combo.count()):
        if combo.currentText() == text:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == text


def test_supervisor_makes_a_macro_it_syncs_and_is_applied_elsewhere(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    sam = desk_factory(demo_server, "sam")
    ui, manager = _open_manager(qtbot, sam)
    editor = _editor(qtbot, ui, lambda: qtbot.keyClick(manager.new, Qt.Key.Key_Space))
    assert audit(editor) == []
    scopes = [editor.scope.itemText(n) for n in range(editor.scope.count())]
    assert scopes[0] == "Only me" and scopes[-1] == "Everyone"  # a supervisor shares
    assert len(scopes) > 3 and all(s.startswith("Team ") for s in scopes[1:-1])
    editor.title.setFocus()
    qtbot.keyClicks(editor.title, "Thanks & <b>tag</b>")
    _choose(qtbot, editor.scope, "Everyone")
    _choose(qtbot, editor.key, "Ctrl+Alt+1")

    _add_by_menu(qtbot, editor, "Send a reply")
    _choose(qtbot, editor.findChild(QWidget, "macro_reply_source"), "My own text")
    text = editor.findChild(QWidget, "macro_reply_text")
    assert isinstance(text, QPlainTextEdit) and text.isVisibleTo(editor)
    text.setFocus()
    qtbot.keyClicks(text, "Thank you ")
    placeholders = editor.findChild(QWidget, "macro_reply_placeholders")
    assert placeholders is not None
    placeholders.setFocus()
    qtbot.keyClick(placeholders, Qt.Key.Key_Return)  # {first_name} at the cursor
    assert text.toPlainText() == "Thank you {first_name}"

    _add_by_menu(qtbot, editor, "Add or remove tags")
    add = editor.findChild(QWidget, "macro_tags_add")
    assert add is not None
    qtbot.keyClicks(add, "thanked, vip")
    _add_by_menu(qtbot, editor, "Set the status")
    _choose(qtbot, editor.findChild(QWidget, "macro_status_choice"), "Resolved")
    assert [editor.list.item(n).text() for n in range(editor.list.count())] == [
        "1. Send a reply: Thank you {first_name}",
        "2. Add or remove tags: +thanked +vip",
        "3. Set the status: resolved",
    ]
    assert "Add the tags thanked, vip" in editor.preview.toPlainText()
    assert audit(editor) == []
    with qtbot.waitSignal(ui.saved, timeout=20_000):
        qtbot.keyClick(editor.save, Qt.Key.Key_Space)  # Alt+V's button
    qtbot.waitUntil(
        lambda: _server_macro(demo_server, "Thanks & <b>tag</b>") is not None, timeout=40_000
    )
    row = _server_macro(demo_server, "Thanks & <b>tag</b>")
    assert row is not None and row.scope == "everyone" and row.owner_id == sam.ws.me.id
    assert row.actions == [
        {"kind": "reply", "text": "Thank you {first_name}"},
        {"kind": "tags", "add": ["thanked", "vip"], "remove": []},
        {"kind": "status", "status": "resolved"},
    ]
    qtbot.waitUntil(
        lambda: any(
            manager.list.item(n).text().startswith("Thanks & <b>tag</b> · Everyone")
            and manager.list.item(n).text().endswith("Ctrl+Alt+1")
            for n in range(manager.list.count())
        ),
        timeout=20_000,
    )
    manager.reject()

    # Ctrl+Alt+1 on sam's desk is now this macro (pinned), whatever is used most.
    w = sam.window
    cid = sam.ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST)[0]
    w.open_conversation(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)
    w.inbox.list.setFocus()
    with qtbot.waitSignal(w.macro_desk.previewed, timeout=20_000):
        w.actions_["macro_favourite_1"].trigger()  # the registry's Ctrl+Alt+1
    dialog = w.macro_desk.dialog
    assert isinstance(dialog, MacroDialog)
    assert dialog.list.currentItem().text().startswith("Thanks & <b>tag</b>")
    assert dialog.list.currentItem().text().endswith("Ctrl+Alt+1")
    with qtbot.waitSignal(ui.listed, timeout=20_000):  # Alt+M: on to Manage macros
        qtbot.keyClick(dialog.manage, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.macro_desk.dialog is None, timeout=5_000)
    assert ui.manager is not None
    ui.manager.reject()

    # It reaches another desk, which applies it to a conversation.
    demo = desk_factory(demo_server, "demo")
    qtbot.waitUntil(
        lambda: any(mac.title == "Thanks & <b>tag</b>" for mac in macro_desk.macros(demo.ws)),
        timeout=40_000,
    )
    dw = demo.window
    other = demo.ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST)[0]
    dw.open_conversation(other)
    qtbot.waitUntil(lambda: dw.open_conv is not None and dw.open_conv.id == other, timeout=10_000)
    dw.inbox.list.setFocus()
    with qtbot.waitSignal(dw.macro_desk.previewed, timeout=20_000):
        qtbot.keyClick(dw.inbox.list, Qt.Key.Key_A, CTRL_ALT)
    dialog = dw.macro_desk.dialog
    assert isinstance(dialog, MacroDialog)
    at = next(
        n
        for n in range(dialog.list.count())
        if dialog.list.item(n).text().startswith("Thanks & <b>tag</b>")
    )
    dialog.list.setCurrentRow(at)
    lines = dialog.preview.toPlainText().splitlines()
    assert lines[0].startswith("• Send the customer this reply: Thank you")
    assert lines[1:] == ["• Add the tags thanked, vip", "• Resolve the conversation"]
    with qtbot.waitSignal(dw.macro_desk.applied, timeout=20_000):
        dialog.list.setFocus()
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    conv = demo.ws.conversation(other)
    assert conv is not None and conv.status == "resolved"
    assert {"thanked", "vip"} <= set(conv.tags)
    assert any(not msg.is_note and msg.body_text.startswith("Thank you") for msg in conv.messages)


def test_agent_edits_a_personal_macro_and_cannot_share_it_with_everyone(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = desk_factory(demo_server, "demo")
    ui, manager = _open_manager(qtbot, desk)
    texts = [manager.list.item(n).text() for n in range(manager.list.count())]
    chase = next(n for n, t in enumerate(texts) if t.startswith("Chase the carrier tomorrow"))
    spam = next(n for n, t in enumerate(texts) if t.startswith("Close as spam"))
    manager.list.setCurrentRow(spam)
    assert not manager.edit.isEnabled()  # shared: an agent duplicates it instead
    assert manager.duplicate.isEnabled()
    manager.list.setCurrentRow(chase)
    assert manager.edit.isEnabled()
    before = _server_macro(demo_server, "Chase the carrier tomorrow")
    assert before is not None
    manager.list.setFocus()
    editor = _editor(qtbot, ui, lambda: qtbot.keyClick(manager.list, Qt.Key.Key_Return))
    assert editor.windowTitle() == "Edit macro"
    assert editor.scope.count() == 1  # an agent keeps their own only
    assert audit(editor) == []
    # "Assign to" offers whom the server lets a macro assign: no trainee, no administrator.
    offered = {name for _uid, name in editing.editor_data(desk.ws).users}
    assert "Robin Trainee" not in offered and "Store Admin" not in offered
    assert "Sam Okafor" in offered
    kinds_before = [a["kind"] for a in before.actions]
    editor.title.selectAll()
    qtbot.keyClicks(editor.title, "Chase the carrier (edited)")
    assert "Add or remove tags" not in [a.text() for a in _menu_labels(editor)]
    _add_by_menu(qtbot, editor, "Set the priority")
    _choose(qtbot, editor.findChild(QWidget, "macro_priority_choice"), "high")
    editor.list.setFocus()
    last = editor.list.currentRow()
    assert last == len(kinds_before)
    qtbot.keyClick(editor.list, Qt.Key.Key_Up, ALT)  # Alt+Up: one place up
    assert editor.list.currentRow() == last - 1
    assert editor.problem.text() == f"Moved to place {last}: Set the priority: high"
    with qtbot.waitSignal(ui.saved, timeout=20_000):
        editor.save.click()
    qtbot.waitUntil(
        lambda: _server_macro(demo_server, "Chase the carrier (edited)") is not None,
        timeout=40_000,
    )
    after = _server_macro(demo_server, "Chase the carrier (edited)")
    assert after is not None and after.id == before.id and after.scope == "personal"
    kinds = [a["kind"] for a in after.actions]
    assert kinds == [*kinds_before[:-1], "priority", kinds_before[-1]]
    assert {"kind": "priority", "priority": "high"} in after.actions

    # A desk that believes it may share (the role changed since sign-in): the server refuses.
    real = editing.editor_data
    monkeypatch.setattr(
        editing, "editor_data", lambda ws: dataclasses.replace(real(ws), may_share=True)
    )
    editor = _editor(qtbot, ui, lambda: qtbot.keyClick(manager.new, Qt.Key.Key_Space))
    qtbot.keyClicks(editor.title, "Shop-wide by an agent")
    _choose(qtbot, editor.scope, "Everyone")
    _add_by_menu(qtbot, editor, "Set the priority")
    with qtbot.waitSignal(ui.refused, timeout=40_000) as refused:
        editor.save.click()
    assert refused.args[0].startswith("Only supervisors and administrators share")
    assert manager.status.text().startswith("Refused: Only supervisors and administrators")
    assert _server_macro(demo_server, "Shop-wide by an agent") is None


def test_editor_checks_name_their_fields_offline_copy_and_delete(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = desk_factory(demo_server, "demo")
    where = next(mac for mac in macro_desk.macros(desk.ws) if mac.title == "Where is my order")
    editing.pin(desk.ws, where.id, 2)  # Ctrl+Alt+2 is taken on this desk
    ui, manager = _open_manager(qtbot, desk)
    assert any(
        manager.list.item(n).text().startswith("Where is my order")
        and manager.list.item(n).text().endswith("Ctrl+Alt+2")
        for n in range(manager.list.count())
    )
    editor = _editor(qtbot, ui, lambda: qtbot.keyClick(manager.new, Qt.Key.Key_Space))
    assert editor.key.itemText(2) == "Ctrl+Alt+2 (now Where is my order)"
    # Fits a 1366x768 laptop: within the screen, and the form scrolls rather than grows.
    room = editor.screen().availableGeometry()
    assert editor.width() <= min(room.width(), 1366) and editor.height() <= room.height()
    hint = editor.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768 - 40
    editor.save.click()
    assert editor.isVisible()
    assert editor.problem.text().splitlines() == [
        "Name: give the macro a name.",
        "Actions: add at least one action (Add action…, Alt+D).",
    ]
    assert editor.focusWidget() is editor.title
    qtbot.keyClicks(editor.title, "Notes")
    _add_by_menu(qtbot, editor, "Add an internal note")
    note = editor.findChild(QWidget, "macro_note_text")
    assert isinstance(note, QPlainTextEdit)
    qtbot.keyClicks(note, "Called {custmer_name}")
    _choose(qtbot, editor.key, "Ctrl+Alt+2 (now Where is my order)")
    editor.save.click()
    assert editor.problem.text().splitlines() == [
        "Action 1 (Add an internal note): unknown placeholder {custmer_name}; "
        "use one from the placeholder list.",
        "Favourite key: Ctrl+Alt+2 is already the key of “Where is my order”; "
        "choose another or take it off that macro first.",
    ]
    assert editor.focusWidget() is note
    note.setFocus()
    note.selectAll()
    qtbot.keyClicks(note, "Called {customer_name}")
    _choose(qtbot, editor.key, "Ctrl+Alt+3")
    with qtbot.waitSignal(ui.saved, timeout=20_000) as saved:
        editor.save.click()
    assert editing.pinned_keys(desk.ws) == {where.id: 2, saved.args[0]: 3}

    # Offline: a personal copy of a shared macro waits in the outbox, listed at once; sent
    # when the desk is back online.
    qtbot.waitUntil(desk.synced, timeout=40_000)
    assert desk.engine.stop()
    spam = next(
        n
        for n in range(manager.list.count())
        if manager.list.item(n).text().startswith("Close as spam ·")
    )
    manager.list.setCurrentRow(spam)
    copy = _editor(qtbot, ui, lambda: qtbot.keyClick(manager.duplicate, Qt.Key.Key_Space))
    assert copy.windowTitle() == "New macro" and copy.title.text() == "Close as spam (copy)"
    assert copy.list.count() == 4 and copy.scope.currentText() == "Only me"
    with qtbot.waitSignal(ui.saved, timeout=20_000):
        copy.save.click()
    qtbot.waitUntil(
        lambda: any(
            manager.list.item(n).text().startswith("Close as spam (copy) · Only me")
            for n in range(manager.list.count())
        ),
        timeout=20_000,
    )
    assert desk.engine.status.pending == 1
    assert _server_macro(demo_server, "Close as spam (copy)") is None
    desk.engine.start()
    qtbot.waitUntil(
        lambda: _server_macro(demo_server, "Close as spam (copy)") is not None, timeout=40_000
    )
    row = _server_macro(demo_server, "Close as spam (copy)")
    assert row is not None and row.scope == "personal" and row.owner_id == desk.ws.me.id
    assert len(row.actions) == 4

    # Delete (Alt+D), after the question.
    qtbot.waitUntil(desk.synced, timeout=40_000)
    formats: list[Qt.TextFormat] = []

    def answer_yes() -> None:  # the real question box, answered as an agent would
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            formats.append(box.textFormat())
            box.button(QMessageBox.StandardButton.Yes).click()
        else:
            QTimer.singleShot(50, answer_yes)

    QTimer.singleShot(50, answer_yes)
    at = next(
        n
        for n in range(manager.list.count())
        if manager.list.item(n).text().startswith("Close as spam (copy)")
    )
    manager.list.setCurrentRow(at)
    with qtbot.waitSignal(ui.deleted, timeout=20_000):
        qtbot.keyClick(manager.delete, Qt.Key.Key_Space)
    assert formats == [Qt.TextFormat.PlainText]  # the macro's title shown literally
    qtbot.waitUntil(
        lambda: (
            getattr(_server_macro(demo_server, "Close as spam (copy)"), "deleted_at", None)
            is not None
        ),
        timeout=40_000,
    )
    assert manager.status.text() == "Macro Close as spam (copy) deleted."


def test_no_key_does_two_things_in_the_macro_windows(qtbot: QtBot) -> None:
    """Every action page of the editor, and the manager (tests/gui/test_shortcut_clashes.py)."""
    from tests.gui.test_shortcut_clashes import clashes

    data = editing.EditorData(
        may_share=True,
        my_team="t1",
        canned=(editing.CannedRef("c1", "/refund", "en", "Refunded.", "Refund"),),
        users=(("u1", "Ana"),),
        teams=(("t1", "Returns"),),
    )
    editor = MacroEditor(None, data, None, lambda actions: str(len(actions)))
    qtbot.addWidget(editor)
    manager = MacroManager(None)
    qtbot.addWidget(manager)
    assert audit(editor) == [] and audit(manager) == []
    problems = clashes("macro editor, no action", editor) + clashes("macro manager", manager)
    for kind in ("reply", "note", "tags", "status", "priority", "assign"):
        editor.add_action(kind)
        problems += clashes(f"macro editor, {kind}", editor)
        assert audit(editor) == []
    reply = editor.findChild(QComboBox, "macro_reply_source")
    assert reply is not None
    editor.list.setCurrentRow(0)
    reply.setCurrentIndex(1)  # own text: the text and its placeholders show
    problems += clashes("macro editor, reply text", editor)
    editor.list.setCurrentRow(3)
    editor.remove_current()  # the status goes; snooze may come
    editor.add_action("snooze")
    problems += clashes("macro editor, snooze", editor)
    assert problems == []
    assert [editor.list.item(n).text() for n in range(editor.list.count())] == [
        "1. Send a reply",
        "2. Add an internal note",
        "3. Add or remove tags",
        "4. Set the priority: normal",
        "5. Assign: whoever applies it",
        "6. Snooze: 24 hours",
    ]


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_the_editor_fits_a_1366x768_screen_at_large_text(qtbot: QtBot, scale: float) -> None:
    """The form scrolls: the editor's smallest size fits the laptop at 200 % text too, with
    Save in view (the application's font is restored after each test by the conftest)."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    font = QFont(app.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(font)
    data = editing.EditorData(
        may_share=True,
        my_team=None,
        canned=(editing.CannedRef("c1", "/refund", "en", "Refunded.", "Refund"),),
        users=(("u1", "Ana"),),
        teams=(("t1", "Returns"),),
    )
    editor = MacroEditor(None, data, None, None)
    qtbot.addWidget(editor)
    for kind in ("note", "tags", "assign", "reply"):
        editor.add_action(kind)
    hint = editor.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768 - 40, hint
    editor.resize(min(1366, max(hint.width(), 980)), 728)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.rect().contains(editor.save.geometry().translated(editor.buttons.pos()))


def test_favourite_keys_follow_the_user_to_a_second_desk(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """A key set in the editor on one computer is the same user's key on another (their
    ``macro_keys`` row through the outbox and the personal feed); keys a desk kept in its own
    cache before are sent once and reach the other desk too (docs/macros.md)."""
    first = desk_factory(demo_server, "mateo")
    second = desk_factory(demo_server, "mateo")  # already running when the key is set
    first.window.activateWindow()  # window shortcuts go to the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is first.window, timeout=10_000)
    ui, manager = _open_manager(qtbot, first)
    editor = _editor(qtbot, ui, lambda: qtbot.keyClick(manager.new, Qt.Key.Key_Space))
    qtbot.keyClicks(editor.title, "Mateo's chase")
    _add_by_menu(qtbot, editor, "Add an internal note")
    note = editor.findChild(QWidget, "macro_note_text")
    assert isinstance(note, QPlainTextEdit)
    qtbot.keyClicks(note, "Chased the carrier.")
    _choose(qtbot, editor.key, "Ctrl+Alt+4")
    with qtbot.waitSignal(ui.saved, timeout=20_000) as saved:
        qtbot.keyClick(editor.save, Qt.Key.Key_Space)
    mid = saved.args[0]
    assert editing.pinned_keys(first.ws) == {mid: 4}  # at once, before the server answers

    # The second desk: the macro and its key arrive with the pull; its manager shows them.
    second.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is second.window, timeout=10_000)
    _ui2, manager2 = _open_manager(qtbot, second)

    def listed_with_key() -> bool:
        return any(
            manager2.list.item(n).text().startswith("Mateo's chase")
            and manager2.list.item(n).text().endswith("Ctrl+Alt+4")
            for n in range(manager2.list.count())
        )

    qtbot.waitUntil(listed_with_key, timeout=40_000)
    assert editing.pinned_keys(second.ws) == {mid: 4}
    row = next(r for r in editing.rows(second.ws) if r.id == mid)
    assert row.pinned and row.key == 4
    # Ctrl+Alt+4 on the second desk names this macro.
    keys = editing.key_map([mac.id for mac in macro_desk.macros(second.ws)], {mid: 4})
    assert keys[mid] == 4

    # Keys the second desk kept in its cache before they followed the user: sent once.
    spam = next(mac for mac in macro_desk.macros(second.ws) if mac.title == "Close as spam")
    from csdesk.sync.tables import get_state, set_state

    with second.ws.cache.write() as s:
        set_state(s, editing.PINNED_KEYS, {spam.id: 6})
    assert editing.migrate_pinned(second.ws) == 1
    with second.ws.cache.session() as s:
        assert get_state(s, editing.PINNED_KEYS) is None  # not sent twice
    assert editing.migrate_pinned(second.ws) == 0
    qtbot.waitUntil(lambda: editing.pinned_keys(first.ws) == {mid: 4, spam.id: 6}, timeout=40_000)
    assert editing.pinned_keys(second.ws) == {mid: 4, spam.id: 6}
