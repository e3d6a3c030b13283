"""Merging and splitting conversations in the window, by keyboard, against a real demo server
(docs/merge-split.md): Ctrl+Alt+Shift+E lists the customer's other conversation as a sentence with
what moves, Return merges and the desk lands on the merged-into conversation with the thread
interleaved and each merged-in message marked; Ctrl+Alt+Shift+Z undoes it, and after a new
message says in plain words why it no longer can; Ctrl+Alt+Shift+X splits the focused
message off into a new conversation on the server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from csdesk.domain.enums import Direction
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.ui.models.thread_model import TEXTS_ROLE
from csdesk.ui.panels.merge_dialog import MergeDialog, SplitDialog, UndoMergeDialog
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.gui.test_shortcut_clashes import clashes
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
CTRL_ALT_SHIFT = CTRL_ALT | Qt.KeyboardModifier.ShiftModifier
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def _state(server: ServerProcess) -> ServerState:
    return ServerState.build(ServerConfig(db_url=server.db_url, listen_notify=False))


def _seed(server: ServerProcess, *, sms: bool = False) -> tuple[str, ...]:
    """A customer with an email conversation (messages at 0 and 20 minutes) and a chat one
    (10 and 30 minutes), with ``sms`` an SMS one too (40 and 50); their ids (email, chat[,
    sms])."""
    cust = m.Customer(id=str(uuid.uuid4()), name="Merle Mergetest")
    rows: list[m.Base] = [cust]
    ids = []
    threads = [("email", (0, 20), "Parcel late"), ("chat", (10, 30), "")]
    for channel, minutes, subject in threads + ([("sms", (40, 50), "")] if sms else []):
        conv = m.Conversation(
            id=str(uuid.uuid4()),
            customer_id=cust.id,
            channel=channel,
            subject=subject,
            message_count=2,
            created_at=T0 + timedelta(minutes=minutes[0]),
            last_message_at=T0 + timedelta(minutes=minutes[1]),
        )
        rows.append(conv)
        ids.append(conv.id)
        for n in minutes:
            rows.append(
                m.Message(
                    id=str(uuid.uuid4()),
                    conversation_id=conv.id,
                    channel=channel,
                    direction=Direction.IN.value,
                    body_text=f"{channel} at {n}",
                    author_name=cust.name,
                    delivery_status="received",
                    created_at=T0 + timedelta(minutes=n),
                )
            )
    state = _state(server)
    try:
        with state.writes() as s:
            s.add_all(rows)
            s.commit()
    finally:
        state.engine.dispose()
    return tuple(ids)


def _server_conv(server: ServerProcess, cid: str) -> tuple[str | None, int]:
    """(merged_into_id, messages held) of a conversation on the server; -1 held: none."""
    state = _state(server)
    try:
        with state.reads() as s:
            conv = s.get(m.Conversation, cid)
            if conv is None:
                return None, -1  # not pushed yet
            held = s.query(m.Message).filter(m.Message.conversation_id == cid).count()
            return conv.merged_into_id, held
    finally:
        state.engine.dispose()


def _activate(qtbot: QtBot, window: QWidget) -> None:
    """The window active again after a dialog closed, so its shortcuts apply."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)


def _headers(desk: Desk) -> list[str]:
    model = desk.window.conversation.model
    return [model.index(n, 0).data(TEXTS_ROLE).header for n in range(model.rowCount())]


def _bodies(desk: Desk) -> list[str]:
    model = desk.window.conversation.model
    return [model.index(n, 0).data(TEXTS_ROLE).body for n in range(model.rowCount())]


def test_merge_undo_refusal_and_split_by_keyboard(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    email, chat = _seed(demo_server)
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    ui = w.conversation_merge
    said: list[str] = []
    w.announced.connect(said.append)
    w.open_conversation(chat)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == chat, timeout=10_000)

    # Ctrl+Alt+Shift+E: the other conversation as a sentence, and what moves.
    w.inbox.list.setFocus()
    with qtbot.waitSignal(ui.listed, timeout=20_000) as listed:
        qtbot.keyClick(w.inbox.list, Qt.Key.Key_E, CTRL_ALT_SHIFT)
    assert listed.args == [1]
    dialog = ui.dialog
    assert isinstance(dialog, MergeDialog) and audit(dialog) == []
    assert clashes("merge", dialog) == []
    assert dialog.list.item(0).text().startswith('Email conversation "Parcel late", open, ')
    preview = dialog.preview.toPlainText()
    assert preview.startswith("The 2 messages of this conversation (Chat conversation")
    assert "You can undo it until a new message arrives there." in preview
    with qtbot.waitSignal(ui.merged, timeout=20_000) as merged:
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    assert merged.args == [email]
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == email, timeout=10_000)
    qtbot.waitUntil(lambda: len(_bodies(desk)) == 4, timeout=10_000)
    assert _bodies(desk) == ["email at 0", "chat at 10", "email at 20", "chat at 30"]
    marks = ["from Chat conversation of" in h for h in _headers(desk)]
    assert marks == [False, True, False, True]
    assert any(t.startswith('Merged into the Email conversation "Parcel late"') for t in said)
    qtbot.waitUntil(lambda: _server_conv(demo_server, chat) == (email, 0), timeout=40_000)
    qtbot.waitUntil(desk.synced, timeout=40_000)
    # Opening the merged conversation lands on the one it went into, and says so.
    w.open_conversation(chat)
    qtbot.waitUntil(
        lambda: any(t.startswith("That conversation was merged into this one") for t in said),
        timeout=10_000,
    )
    assert w.open_conv is not None and w.open_conv.id == email
    w.open_conversation(email)

    # Ctrl+Alt+Shift+Z: both back as they were, on the server too.
    w.conversation.messages.setFocus()
    _activate(qtbot, w)
    with qtbot.waitSignal(ui.unmerged, timeout=20_000) as unmerged:
        qtbot.keyClick(w.conversation.messages, Qt.Key.Key_Z, CTRL_ALT_SHIFT)
    assert unmerged.args == [chat]
    qtbot.waitUntil(lambda: _server_conv(demo_server, chat) == (None, 2), timeout=40_000)
    qtbot.waitUntil(lambda: _bodies(desk) == ["email at 0", "email at 20"], timeout=20_000)
    assert any(t.startswith("Merge undone: both conversations are back") for t in said)
    qtbot.waitUntil(desk.synced, timeout=40_000)

    # Merged again, then a note in the merged conversation: the undo says why it cannot.
    w.open_conversation(chat)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == chat, timeout=10_000)
    w.inbox.list.setFocus()
    _activate(qtbot, w)
    with qtbot.waitSignal(ui.listed, timeout=20_000):
        qtbot.keyClick(w.inbox.list, Qt.Key.Key_E, CTRL_ALT_SHIFT)
    assert ui.dialog is not None
    with qtbot.waitSignal(ui.merged, timeout=20_000):
        ui.dialog.merge.click()
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == email, timeout=10_000)
    qtbot.waitUntil(desk.synced, timeout=40_000)
    desk.ws.reply(email, "Checked with the carrier", note=True)
    qtbot.waitUntil(lambda: "Checked with the carrier" in _bodies(desk), timeout=20_000)
    said.clear()
    _activate(qtbot, w)
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_Z, CTRL_ALT_SHIFT)
    qtbot.waitUntil(lambda: any("can no longer be undone" in t for t in said), timeout=20_000)
    assert _server_conv(demo_server, chat)[0] == email

    # Ctrl+Alt+Shift+X on the focused message: split off into a new conversation.
    qtbot.waitUntil(desk.synced, timeout=40_000)
    view = w.conversation.messages
    view.setFocus()
    row = _bodies(desk).index("chat at 10")
    view.setCurrentIndex(w.conversation.model.index(row, 0))
    _activate(qtbot, w)
    qtbot.keyClick(view, Qt.Key.Key_X, CTRL_ALT_SHIFT)
    qtbot.waitUntil(lambda: isinstance(ui.dialog, SplitDialog), timeout=5_000)
    split_dialog = ui.dialog
    assert isinstance(split_dialog, SplitDialog) and audit(split_dialog) == []
    assert clashes("split", split_dialog) == []
    assert "chat at 10" in split_dialog.text.text()
    with qtbot.waitSignal(ui.split, timeout=20_000) as split:
        qtbot.keyClick(split_dialog, Qt.Key.Key_Return)
    new = split.args[0]
    qtbot.waitUntil(lambda: "chat at 10" not in _bodies(desk), timeout=20_000)
    assert any(t.startswith("The message was split off into a new conversation") for t in said)
    qtbot.waitUntil(lambda: _server_conv(demo_server, new) == (None, 2), timeout=40_000)


def test_a_reply_queued_offline_into_a_conversation_merged_meanwhile(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """The desk is offline while another desk merges the conversation it answers: back
    online, the reply lands in the conversation it was merged into (server and desk), the
    desk shows that one and tells the agent once."""
    from csdesk.app import conversation_merge as merging

    email, chat = _seed(demo_server)
    desk = desk_factory(demo_server, "demo")
    alex = desk_factory(demo_server, "alex", show=False)
    w = desk.window
    said: list[str] = []
    w.announced.connect(said.append)
    w.open_conversation(chat)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == chat, timeout=10_000)
    assert desk.engine.stop(10)  # offline
    mid, _ = desk.ws.reply(chat, "Late answer 4e1d")
    merging.merge(alex.ws, chat, email)
    qtbot.waitUntil(lambda: _server_conv(demo_server, chat) == (email, 0), timeout=40_000)
    with qtbot.waitSignal(w.conversation_merge.followed, timeout=60_000) as followed:
        desk.engine.start()  # back online
    assert followed.args == [mid]
    told = [t for t in said if t.startswith("Your reply was written in a conversation that")]
    assert len(told) == 1 and 'Email conversation "Parcel late"' in told[0]
    state = _state(demo_server)
    try:
        with state.reads() as s:
            assert s.get_one(m.Message, mid).conversation_id == email
    finally:
        state.engine.dispose()
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == email, timeout=10_000)
    qtbot.waitUntil(lambda: "Late answer 4e1d" in _bodies(desk), timeout=20_000)


def test_an_older_merge_is_undone_from_the_list_by_keyboard(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """Two merges into one conversation: Ctrl+Alt+Shift+Z lists both, the latest first, and
    the older one is undone from the list; one that a note came after says why not and its
    Undo stays disabled."""
    from csdesk.app import conversation_merge as merging

    email, chat, sms = _seed(demo_server, sms=True)
    desk = desk_factory(demo_server, "demo")
    alex = desk_factory(demo_server, "alex", show=False)
    w = desk.window
    ui = w.conversation_merge
    said: list[str] = []
    w.announced.connect(said.append)
    merging.merge(alex.ws, chat, email)
    qtbot.waitUntil(lambda: _server_conv(demo_server, chat) == (email, 0), timeout=40_000)
    merging.merge(alex.ws, sms, email)
    qtbot.waitUntil(lambda: _server_conv(demo_server, sms) == (email, 0), timeout=40_000)
    w.open_conversation(email)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == email, timeout=10_000)
    qtbot.waitUntil(lambda: len(_bodies(desk)) == 6, timeout=40_000)

    def undo_list() -> UndoMergeDialog:
        w.conversation.messages.setFocus()
        _activate(qtbot, w)
        with qtbot.waitSignal(ui.undo_listed, timeout=20_000) as listed:
            qtbot.keyClick(w.conversation.messages, Qt.Key.Key_Z, CTRL_ALT_SHIFT)
        assert listed.args == [2]
        dialog = ui.dialog
        assert isinstance(dialog, UndoMergeDialog)
        return dialog

    dialog = undo_list()
    assert audit(dialog) == [] and clashes("undo merge", dialog) == []
    labels = [dialog.list.item(n).text() for n in range(dialog.list.count())]
    assert labels[0].startswith("SMS conversation") and labels[1].startswith("Chat conversation")
    assert all(", merged " in label for label in labels)
    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)  # the older merge: the chat
    assert dialog.preview.toPlainText().startswith("Undo the merge of the Chat conversation")
    assert dialog.undo.isEnabled()
    with qtbot.waitSignal(ui.unmerged, timeout=20_000) as unmerged:
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    assert unmerged.args == [chat]
    qtbot.waitUntil(lambda: _server_conv(demo_server, chat) == (None, 2), timeout=40_000)
    assert _server_conv(demo_server, sms) == (email, 0)
    qtbot.waitUntil(
        lambda: _bodies(desk) == ["email at 0", "email at 20", "sms at 40", "sms at 50"],
        timeout=20_000,
    )
    qtbot.waitUntil(desk.synced, timeout=40_000)

    # A note, then the chat merged again: the SMS merge (before the note) can no longer be
    # undone, and the list says so; the chat's (after it) still can.
    desk.ws.reply(email, "Asked the carrier", note=True)
    qtbot.waitUntil(lambda: "Asked the carrier" in _bodies(desk), timeout=20_000)
    qtbot.waitUntil(desk.synced, timeout=40_000)
    merging.merge(alex.ws, chat, email)
    qtbot.waitUntil(lambda: _server_conv(demo_server, chat) == (email, 0), timeout=40_000)
    qtbot.waitUntil(lambda: len(_bodies(desk)) == 7, timeout=40_000)
    dialog = undo_list()
    assert dialog.list.item(0).text().startswith("Chat conversation")
    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)
    assert "can no longer be undone: a new message arrived here since" in (
        dialog.preview.toPlainText()
    )
    assert not dialog.undo.isEnabled()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)  # nothing: the dialog stays
    assert ui.dialog is dialog and dialog.isVisible()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: ui.dialog is None, timeout=5_000)
    assert _server_conv(demo_server, sms) == (email, 0)


def test_a_draft_left_in_a_conversation_a_colleague_merged_comes_back_in_the_merged_one(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """A draft left in the chat, the agent in the email conversation, a colleague merges the
    chat into it: opening the chat landed on the email conversation with the draft out of
    reach, though sign-out still counted it (re-review)."""
    from csdesk.app import conversation_merge as merging

    email, chat = _seed(demo_server)
    desk = desk_factory(demo_server, "demo")
    alex = desk_factory(demo_server, "alex", show=False)
    w = desk.window
    composer = w.conversation.composer
    w.open_conversation(chat)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == chat, timeout=10_000)
    composer.text.setPlainText("Draft for the chat 7b2e")
    w.open_conversation(email)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == email, timeout=10_000)
    assert composer.text.toPlainText() == ""
    composer.text.setPlainText("Draft for the email")
    merging.merge(alex.ws, chat, email)

    def merged_here() -> bool:
        with desk.engine.cache.session() as s:
            conv = s.get(m.Conversation, chat)
            return conv is not None and conv.merged_into_id == email

    qtbot.waitUntil(merged_here, timeout=40_000)
    w.open_conversation(chat)  # lands on the email conversation
    qtbot.waitUntil(lambda: "7b2e" in composer.text.toPlainText(), timeout=10_000)
    assert composer.text.toPlainText() == "Draft for the email\n\nDraft for the chat 7b2e"
    assert w.unsent_drafts() == 1
