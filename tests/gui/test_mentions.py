"""@mentions in the window against a real demo server (docs/mentions.md): the demo agent
writes an internal note, types "@al", chooses Alex Morgan from the completer by keyboard
(the choice is said) and saves it; a name typed by hand without choosing mentions nobody.
Alex's desk announces the mention, counts it, the Mentions view (Ctrl+Alt+Shift+M) lists it
as a sentence, and Enter opens the conversation at the note and marks it read on the server;
offline, the view still lists it from the cache."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.app import mentions as use
from csdesk.app.inbox import Sort, View
from csdesk.domain.mentions import mention_id
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.ui.panels.mention_completer import MentionCompleter
from csdesk.ui.panels.mentions_dialog import MentionsDialog
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.server import ServerProcess

pytestmark = pytest.mark.timeout(240)
MENTIONS_KEY = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.ShiftModifier
)


def _server_mentions(server: ServerProcess, message_id: str) -> list[m.Mention]:
    state = ServerState.build(ServerConfig(db_url=server.db_url, listen_notify=False))
    try:
        with state.reads() as s:
            return list(
                s.scalars(select(m.Mention).where(m.Mention.message_id == message_id)).all()
            )
    finally:
        state.engine.dispose()


def _note_id(desk: Desk, cid: str, text: str) -> str | None:
    conv = desk.ws.conversation(cid)
    assert conv is not None
    return next((x.id for x in conv.messages if x.is_note and text in x.body_text), None)


def test_a_teammate_chosen_by_keyboard_is_told_and_finds_the_note(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    alex = desk_factory(demo_server, "alex")
    demo = desk_factory(demo_server, "demo")
    said: list[str] = []
    demo.window.announced.connect(said.append)
    alex_said: list[str] = []
    alex.window.announced.connect(alex_said.append)
    w, ui = demo.window, demo.window.mention_desk
    qtbot.waitUntil(lambda: bool(ui.completer._teammates), timeout=20_000)

    cid = demo.ws.ordered_ids(View.ALL_OPEN, Sort.NEWEST)[0]
    w.open_conversation(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)
    composer = w.conversation.composer
    composer.start(note=False)  # a reply to the customer offers nobody
    qtbot.keyClicks(composer.text, "@al")
    assert not ui.completer.list.isVisible()
    composer.text.clear()
    w.inbox.list.setFocus()
    qtbot.keyClick(w.inbox.list, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)  # fmt: skip
    assert composer.note.isChecked() and composer.text.hasFocus()
    qtbot.keyClicks(composer.text, "Refund twice? @al")
    listing = ui.completer.list
    assert listing.isVisible() and audit(composer) == []
    assert [listing.item(n).text() for n in range(listing.count())] == ["Alex Morgan"]
    assert any("teammate to mention: Alex Morgan" in s for s in said)
    qtbot.keyClick(composer.text, Qt.Key.Key_Return)  # chooses; no new line
    assert composer.text.toPlainText() == "Refund twice? @Alex Morgan "
    assert not listing.isVisible()
    assert any(s.startswith("Alex Morgan mentioned") for s in said)
    # Priya's name typed by hand (the list closed with Escape) is text, not a mention.
    qtbot.keyClicks(composer.text, "and @Pri")
    assert listing.isVisible()
    qtbot.keyClick(composer.text, Qt.Key.Key_Escape)
    assert not listing.isVisible()
    qtbot.keyClicks(composer.text, "ya Shah please look 5d1e")
    assert ui.chosen_in(composer.text.toPlainText()) == [alex.ws.me.id]
    with qtbot.waitSignal(alex.window.mention_desk.arrived, timeout=60_000) as arrived:
        qtbot.keyClick(composer.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    note = _note_id(demo, cid, "5d1e")
    assert note is not None
    rows = _server_mentions(demo_server, note)
    assert [r.user_id for r in rows] == [alex.ws.me.id]
    assert arrived.args == [rows[0].id]
    assert any(s.startswith("Demo Agent mentioned you about") for s in alex_said)
    assert alex.window.mention_desk.count_label.text() == "@ 1 unread mention"
    # The writer's desk receives no mention row (only the mentioned user's does); the demo
    # agent's own (seeded) mentions are counted on theirs.
    with demo.ws.cache.session() as cached:
        assert cached.scalars(select(m.Mention.user_id)).all() == [demo.ws.me.id] * 3
    assert demo.window.mention_desk.count_label.text() == "@ 2 unread mentions"
    assert not any("mentioned you" in s for s in said)  # the backlog is not news

    # A later note, so the mentioned one is not simply the last of the thread.
    later, _ = demo.ws.reply(cid, "Later note, no mention", note=True)
    qtbot.waitUntil(lambda: _note_id(alex, cid, "Later note") == later, timeout=40_000)

    # Alex: Ctrl+Alt+Shift+M lists it as a sentence; Enter opens the conversation there.
    aw, aui = alex.window, alex.window.mention_desk
    aw.activateWindow()  # two desks on one screen: the key goes to the active window
    qtbot.waitUntil(aw.isActiveWindow, timeout=5_000)
    aw.inbox.list.setFocus()
    with qtbot.waitSignal(aui.listed, timeout=20_000):
        qtbot.keyClick(aw.inbox.list, Qt.Key.Key_M, MENTIONS_KEY)
    dialog = aui.dialog
    assert isinstance(dialog, MentionsDialog) and audit(dialog) == []
    first = dialog.list.item(0).text()
    assert first.startswith("Unread. Demo Agent mentioned you in ")
    assert first.endswith("Refund twice? @Alex Morgan and @Priya Shah please look 5d1e")
    assert dialog.list.hasFocus()
    with qtbot.waitSignal(aui.opened, timeout=20_000):
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    assert aw.open_conv is not None and aw.open_conv.id == cid
    shown = aw.conversation.model.message(aw.conversation.messages.currentIndex().row())
    assert shown is not None and shown.id == note
    # The window's focus is on the note (it has it again as the dialog's closing gives the
    # window back its activation; offscreen, no window manager does that).
    assert aw.focusWidget() is aw.conversation.messages
    qtbot.waitUntil(
        lambda: _server_mentions(demo_server, note)[0].read_at is not None, timeout=40_000
    )
    qtbot.waitUntil(lambda: aui.count_label.isHidden(), timeout=20_000)

    # Offline, the view lists it from the cache, read now.
    qtbot.waitUntil(alex.synced, timeout=40_000)
    assert alex.engine.stop()
    aw.inbox.list.setFocus()
    with qtbot.waitSignal(aui.listed, timeout=20_000):
        aw.actions_["mentions"].trigger()
    assert aui.dialog is not None
    assert aui.dialog.list.item(0).text().startswith("Demo Agent mentioned you in ")


def test_a_mention_in_a_merged_conversation_opens_where_the_note_went(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """A mention still naming the conversation its note was merged out of (a row the merge
    did not move, or not synced yet): opening it lands on the merged-into conversation and
    still selects the note."""
    now = datetime.now(UTC).replace(microsecond=0)
    cust = m.Customer(id=str(uuid.uuid4()), name="Mira Mergedmention")
    kept_id, gone_id, note = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    state = ServerState.build(ServerConfig(db_url=demo_server.db_url, listen_notify=False))
    try:
        with state.writes() as s:
            alex = s.scalars(select(m.User).where(m.User.username == "alex")).one()
            me = s.scalars(select(m.User.id).where(m.User.username == "demo")).one()
            s.add(cust)
            s.flush()
            s.add_all(
                [
                    m.Conversation(
                        id=kept_id, customer_id=cust.id, channel="email", subject="Kept",
                        message_count=2, created_at=now - timedelta(hours=2),
                        last_message_at=now - timedelta(minutes=5),
                    ),
                    m.Conversation(
                        id=gone_id, customer_id=cust.id, channel="chat", subject="Gone",
                        status="resolved", merged_into_id=kept_id, merged_at=now,
                        created_at=now - timedelta(hours=1),
                    ),
                ]
            )  # fmt: skip
            s.flush()
            s.add_all(
                [
                    m.Message(
                        id=str(uuid.uuid4()), conversation_id=kept_id, channel="email",
                        direction="in", body_text="Where is it?", author_name=cust.name,
                        delivery_status="received", created_at=now - timedelta(hours=2),
                    ),
                    m.Message(
                        id=note, conversation_id=kept_id, channel="chat", direction="out",
                        is_note=True, author_user_id=alex.id, author_name=alex.display_name,
                        body_text="@Demo Agent see 7c2f", delivery_status="sent",
                        merged_from_id=gone_id, created_at=now - timedelta(minutes=50),
                    ),
                    m.Message(
                        id=str(uuid.uuid4()), conversation_id=kept_id, channel="email",
                        direction="in", body_text="Later", author_name=cust.name,
                        delivery_status="received", created_at=now - timedelta(minutes=5),
                    ),
                    m.Mention(
                        id=mention_id(note, me), user_id=me,
                        by_user_id=alex.id, by_name=alex.display_name, conversation_id=gone_id,
                        message_id=note, excerpt="@Demo Agent see 7c2f", created_at=now,
                    ),
                ]
            )  # fmt: skip
            s.commit()
    finally:
        state.engine.dispose()
    # The desk starts after the rows are there: its first sync brings them (a desk already
    # waiting would hear of rows written by another process at the server's next read of the
    # feed's head, ``server.feed.head_watch``).
    demo = desk_factory(demo_server, "demo")
    w, ui = demo.window, demo.window.mention_desk
    wanted = mention_id(note, me)
    qtbot.waitUntil(lambda: wanted in use.unread_ids(demo.ws), timeout=40_000)
    with qtbot.waitSignal(ui.listed, timeout=20_000):
        w.actions_["mentions"].trigger()
    dialog = ui.dialog
    assert dialog is not None
    row = next(
        n
        for n in range(dialog.list.count())
        if dialog.list.item(n).data(Qt.ItemDataRole.UserRole) == wanted
    )
    dialog.list.setCurrentRow(row)
    with qtbot.waitSignal(ui.opened, timeout=20_000) as opened:
        dialog.open_button.click()
    assert opened.args == [wanted]
    assert w.open_conv is not None
    assert (w.open_conv.id, w.open_conv.landed_from) == (kept_id, gone_id)
    shown = w.conversation.model.message(w.conversation.messages.currentIndex().row())
    assert shown is not None and shown.id == note
    assert ui._target is None


def test_escape_leaves_the_name_typed_on_as_text_and_enter_a_new_line(qtbot: QtBot) -> None:
    """After Escape the list does not come back for that "@" (not even after an edit before
    it): the rest of the name is typed text, Enter a new line, and nobody is mentioned; a new
    "@" offers again."""
    box = QWidget()
    qtbot.addWidget(box)
    text = QPlainTextEdit(box)
    QVBoxLayout(box).addWidget(text)
    said: list[str] = []
    completer = MentionCompleter.attach(box, text, lambda: True, said.append)
    completer.set_teammates([("priya", "Priya Shah"), ("sam", "Sam"), ("samlee", "Sam Lee")])
    box.show()
    qtbot.waitExposed(box)
    text.setFocus()
    qtbot.keyClicks(text, "ask @Pri")
    assert completer.is_open()
    qtbot.keyClick(text, Qt.Key.Key_Escape)
    assert not completer.is_open()
    qtbot.keyClicks(text, "ya")
    assert not completer.is_open()
    # An edit before the "@" moves it; it is still the dismissed one.
    text.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClicks(text, "Please ")
    text.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(text, " S")
    assert not completer.is_open()
    qtbot.keyClick(text, Qt.Key.Key_Backspace)
    qtbot.keyClick(text, Qt.Key.Key_Backspace)
    qtbot.keyClick(text, Qt.Key.Key_Return)  # a new line, not a choice
    qtbot.keyClicks(text, "thanks")
    assert text.toPlainText() == "Please ask @Priya\nthanks"
    assert completer.chosen_in(text.toPlainText()) == []
    qtbot.keyClicks(text, " @Sa")  # a new "@": offered again
    assert completer.is_open()
    qtbot.keyClick(text, Qt.Key.Key_Return)
    assert text.toPlainText() == "Please ask @Priya\nthanks @Sam "
    assert completer.chosen_in(text.toPlainText()) == ["sam"]
    # The dismissed "@" deleted and typed anew is a new "@".
    text.setPlainText("@Pri")
    text.moveCursor(QTextCursor.MoveOperation.End)
    assert completer.is_open()
    qtbot.keyClick(text, Qt.Key.Key_Escape)
    text.selectAll()
    qtbot.keyClicks(text, "@Pri")
    assert completer.is_open()


def test_a_chosen_name_deleted_and_retyped_by_hand_mentions_nobody(qtbot: QtBot) -> None:
    box = QWidget()
    qtbot.addWidget(box)
    text = QPlainTextEdit(box)
    QVBoxLayout(box).addWidget(text)
    completer = MentionCompleter.attach(box, text, lambda: True, lambda _s: None)
    completer.set_teammates([("sam", "Sam"), ("samlee", "Sam Lee")])
    box.show()
    qtbot.waitExposed(box)
    text.setFocus()
    qtbot.keyClicks(text, "ask @Sam L")
    assert completer.is_open()
    qtbot.keyClick(text, Qt.Key.Key_Return)
    assert text.toPlainText() == "ask @Sam Lee "
    assert completer.chosen_in(text.toPlainText()) == ["samlee"]
    for _n in range(len("@Sam Lee ")):
        qtbot.keyClick(text, Qt.Key.Key_Backspace)
    assert text.toPlainText() == "ask "
    text.insertPlainText("@Sam Lee")  # retyped (pasted) by hand, never chosen again
    assert completer.chosen_in(text.toPlainText()) == []


def test_enter_in_the_mentions_view_opens_the_mention_once(qtbot: QtBot) -> None:
    dialog = MentionsDialog()
    qtbot.addWidget(dialog)
    dialog.show_items(
        [
            use.MentionItem("m1", "c1", "n1", True, "Unread. Ann mentioned you"),
            use.MentionItem("m2", "c2", "n2", False, "Bob mentioned you"),
        ]
    )
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.list.setFocus()
    opened: list[str] = []
    dialog.open_requested.connect(opened.append)
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    assert opened == ["m1"]
    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.list, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert opened == ["m1", "m2"]
    dialog.open_button.click()  # the button (Alt+O) still opens the chosen one
    assert opened == ["m1", "m2", "m2"]
