"""Found by an outside review walking a shift by keyboard: a half-written reply followed the
agent to the next conversation (R, "Hi Emily, …", Ctrl+PgDown: the next customer's To and
Subject over Emily's text, and Ctrl+Return would have sent it there; the Internal-note switch
followed too, so a note could go out as a reply), and the email composer's Cc field was read by
nothing (a copy the agent asked for never went out).

Now every conversation keeps its own draft while the desk runs (ui/drafts.py): text, note
switch, subject and files are put aside when the agent leaves and come back when they return;
a conversation without a draft opens empty with the note off; a conversation popped out into
its own window owns its draft; a reply sent just before moving on does not take the next
conversation's draft with it. The Cc field is gone until the server can send a copy."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from csdesk.domain.enums import Direction
from csdesk.storage import models as m
from csdesk.ui.drafts import Draft, DraftBook
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.attachments_strip import AttachedFile, read_files
from tests.gui.conftest import Desk, demo_server, desk_factory  # noqa: F401
from tests.gui.test_conversation_merge import _state
from tests.gui.test_pop_out import CTRL, _activate, _open, _pop_out, _server_messages
from tests.helpers.server import ServerProcess
from tests.server.test_chat_api import Visitor

pytestmark = pytest.mark.timeout(240)
ALT = Qt.KeyboardModifier.AltModifier
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)


def _email_conversation(server: ServerProcess, name: str, subject: str) -> str:
    """A customer ``name`` with an email address and an open email conversation; its id."""
    cust = m.Customer(
        id=str(uuid.uuid4()), name=name, email=f"{uuid.uuid4().hex[:10]}@customer.example"
    )
    conv = m.Conversation(
        id=str(uuid.uuid4()),
        customer_id=cust.id,
        channel="email",
        subject=subject,
        message_count=1,
        created_at=T0,
        last_message_at=T0,
    )
    msg = m.Message(
        id=str(uuid.uuid4()),
        conversation_id=conv.id,
        channel="email",
        direction=Direction.IN.value,
        subject=subject,
        body_text=f"{subject}?",
        author_name=name,
        delivery_status="received",
        created_at=T0,
    )
    state = _state(server)
    try:
        with state.writes() as s:
            s.add_all([cust, conv, msg])
            s.commit()
    finally:
        state.engine.dispose()
    return conv.id


def _shown(w: MainWindow) -> str | None:
    return w.conversation.current.id if w.conversation.current is not None else None


def _photo(tmp_path: Path, name: str = "parcel.png") -> AttachedFile:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    return read_files([path])[0]


def test_each_conversation_keeps_its_own_draft(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
    tmp_path: Path,
) -> None:
    emily = _email_conversation(demo_server, "Emily Draftkeeper", "Where is my parcel")
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    composer = w.conversation.composer
    _open(qtbot, w, emily)
    assert composer.subject.text() == "Re: Where is my parcel"
    _activate(qtbot, w)

    # N: an internal note, its text, another subject (Alt+B), a file.
    w.conversation.messages.setFocus()
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_N)
    assert composer.note.isChecked() and composer.text.hasFocus()
    qtbot.keyClicks(composer.text, "Hi Emily, the courier says")
    qtbot.keyClick(composer.text, Qt.Key.Key_B, ALT)
    assert composer.subject.hasFocus()
    composer.subject.selectAll()
    qtbot.keyClicks(composer.subject, "Your parcel, found")
    photo = _photo(tmp_path)
    composer.add_files([photo])
    assert composer.attached() == [photo.path]

    # Ctrl+PgDown (Ctrl+PgUp from the last row): the next customer's conversation, empty.
    row = w.model.row_of(emily)
    assert row is not None
    step = Qt.Key.Key_PageDown if row < w.model.total() - 1 else Qt.Key.Key_PageUp
    back = Qt.Key.Key_PageUp if step == Qt.Key.Key_PageDown else Qt.Key.Key_PageDown
    composer.text.setFocus()
    qtbot.keyClick(composer.text, step, CTRL)
    qtbot.waitUntil(lambda: _shown(w) not in (None, emily), timeout=20_000)
    other = w.conversation.current
    assert other is not None
    assert composer.text.toPlainText() == ""
    assert not composer.note.isChecked() and composer.send.text() == "&Send"
    assert composer.attached() == []
    if other.channel == "email":
        assert composer.subject.text() in (other.subject, f"Re: {other.subject}")
    qtbot.keyClicks(composer.text, "Dear customer, a reply of your own")

    # Back: Emily's draft as it was left, note and all; forward again: the other one's.
    qtbot.keyClick(composer.text, back, CTRL)
    qtbot.waitUntil(lambda: _shown(w) == emily, timeout=20_000)
    assert composer.text.toPlainText() == "Hi Emily, the courier says"
    assert composer.note.isChecked() and composer.send.text() == "Save &note"
    assert composer.subject.text() == "Your parcel, found"
    assert composer.attached() == [photo.path]
    qtbot.keyClick(composer.text, step, CTRL)
    qtbot.waitUntil(lambda: _shown(w) == other.id, timeout=20_000)
    assert composer.text.toPlainText() == "Dear customer, a reply of your own"
    assert not composer.note.isChecked() and composer.attached() == []


def test_a_conversation_without_a_draft_opens_empty_with_the_note_off(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    first = str(Visitor.start(demo_server.url, name="Nora Note").say("Hi")["conversation_id"])
    second = str(Visitor.start(demo_server.url, name="Owen Empty").say("Hey")["conversation_id"])
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    composer = w.conversation.composer
    _open(qtbot, w, first)
    _activate(qtbot, w)
    w.conversation.messages.setFocus()
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_N)
    qtbot.keyClicks(composer.text, "Nora was rude to the courier")

    _open(qtbot, w, second)
    assert composer.text.toPlainText() == ""
    assert not composer.note.isChecked()
    assert composer.send.text() == "&Send"
    assert composer.text.placeholderText() == "Write a reply…"
    # Ctrl+Z does not bring the other conversation's text back either.
    composer.text.setFocus()
    qtbot.keyClick(composer.text, Qt.Key.Key_Z, CTRL)
    assert composer.text.toPlainText() == ""
    # Ctrl+Return sends nothing to Owen.
    before = _server_messages(demo_server, second)
    qtbot.keyClick(composer.text, Qt.Key.Key_Return, CTRL)
    assert composer.notice.text() == "The reply is empty."
    qtbot.waitUntil(desk.synced, timeout=20_000)
    assert _server_messages(demo_server, second) == before
    _open(qtbot, w, first)
    assert composer.text.toPlainText() == "Nora was rude to the courier"
    assert composer.note.isChecked()


def test_a_popped_out_conversation_owns_its_draft(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    dora = str(Visitor.start(demo_server.url, name="Dora Popped").say("Hi")["conversation_id"])
    otto = str(Visitor.start(demo_server.url, name="Otto Stays").say("Hey")["conversation_id"])
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    composer = w.conversation.composer
    _open(qtbot, w, dora)
    _activate(qtbot, w)
    w.conversation.messages.setFocus()
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_R)
    qtbot.keyClicks(composer.text, "Started in the main window")

    # Popped out: the draft goes with it; the main window's composer is off for Dora.
    pop = _pop_out(qtbot, w, dora)
    popped = pop.conversation.composer
    qtbot.waitUntil(
        lambda: popped.text.toPlainText() == "Started in the main window", timeout=5_000
    )
    assert composer.text.toPlainText() == "" and not composer.isEnabled()
    assert composer.text.placeholderText() == "This conversation is already in its own window."

    # R in the main window: Dora's own window comes to the front, its composer focused.
    _activate(qtbot, w)
    w.conversation.messages.setFocus()
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pop, timeout=5_000)
    assert popped.text.hasFocus()
    popped.text.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(popped.text, ", finished in its window")

    # Ctrl+Return in the main window sends nothing from there: Dora's window comes forward.
    _activate(qtbot, w)
    w.conversation.messages.setFocus()
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pop, timeout=5_000)
    assert popped.text.toPlainText() == "Started in the main window, finished in its window"

    # The main window goes to Otto and back: Dora's draft is not duplicated there.
    _open(qtbot, w, otto)
    assert composer.isEnabled() and composer.text.toPlainText() == ""
    composer.text.setPlainText("Otto's own reply")
    _open(qtbot, w, dora)
    assert composer.text.toPlainText() == "" and not composer.isEnabled()
    assert dora not in w.drafts

    # Closed while the main window shows Otto: kept, and back with Dora in the main window.
    _open(qtbot, w, otto)
    assert composer.text.toPlainText() == "Otto's own reply"
    _activate(qtbot, pop)
    qtbot.keyClick(popped.text, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: not w.pop_outs.windows, timeout=5_000)
    assert composer.text.toPlainText() == "Otto's own reply"
    _open(qtbot, w, dora)
    assert composer.isEnabled()
    assert composer.text.toPlainText() == "Started in the main window, finished in its window"


def test_a_reply_sent_just_before_moving_on_leaves_the_next_draft_alone(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reply is written locally on the serial writer; the agent may be in the next
    conversation by the time it is queued: emptying "the" composer then wiped that one's
    draft, and the sent text came back as a draft of the first."""
    paul = str(Visitor.start(demo_server.url, name="Paul Quick").say("Hi")["conversation_id"])
    rosa = str(Visitor.start(demo_server.url, name="Rosa Next").say("Hey")["conversation_id"])
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    composer = w.conversation.composer
    gate = threading.Event()
    reply = desk.ws.reply

    def slow_reply(*args: Any, **kw: Any) -> Any:
        gate.wait(30)  # a slow disk
        return reply(*args, **kw)

    monkeypatch.setattr(desk.ws, "reply", slow_reply)
    heard: list[str] = []
    w.announced.connect(heard.append)
    _open(qtbot, w, paul)
    _activate(qtbot, w)
    w.conversation.messages.setFocus()
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_R)
    qtbot.keyClicks(composer.text, "On its way")
    qtbot.keyClick(composer.text, Qt.Key.Key_Return, CTRL)

    _open(qtbot, w, rosa)
    qtbot.keyClicks(composer.text, "Rosa, one moment")
    gate.set()
    qtbot.waitUntil(lambda: "Reply queued for sending" in heard, timeout=20_000)
    assert composer.text.toPlainText() == "Rosa, one moment"
    qtbot.waitUntil(
        lambda: ("out", "On its way") in _server_messages(demo_server, paul), timeout=40_000
    )
    _open(qtbot, w, paul)
    assert composer.text.toPlainText() == ""  # sent, so no draft to send twice


def test_the_email_composer_offers_no_cc_the_server_would_not_send(
    qtbot: QtBot,
    demo_server: ServerProcess,  # noqa: F811
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """The reviewer's walk: R, text, Alt+C, "not an address", Ctrl+Return. The server sends a
    reply to the conversation's address alone (``message.send`` has no Cc), so the composer no
    longer offers a Cc field nobody reads: Alt+C reaches no copy field and no agent is led to
    believe a copy went out."""
    cid = _email_conversation(demo_server, "Carla Copy", "Invoice please")
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    composer = w.conversation.composer
    _open(qtbot, w, cid)
    assert composer.email_fields.isVisibleTo(w)
    fields = [f.accessibleName() for f in composer.email_fields.findChildren(QLineEdit)]
    labels = [lab.text() for lab in composer.email_fields.findChildren(QLabel)]
    assert fields == ["To", "Subject"] and labels == ["&To:", "Su&bject:"]
    assert not hasattr(composer, "cc")

    _activate(qtbot, w)
    w.conversation.messages.setFocus()
    qtbot.keyClick(w.conversation.messages, Qt.Key.Key_R)
    qtbot.keyClicks(composer.text, "Your invoice is attached")
    qtbot.keyClick(composer.text, Qt.Key.Key_C, ALT)
    assert QApplication.focusWidget() is composer.text  # no copy field to go to
    composer.text.setPlainText("Your invoice is attached")  # what Alt+C left (a "c" in Qt)
    qtbot.keyClick(composer.text, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(
        lambda: ("out", "Your invoice is attached") in _server_messages(demo_server, cid),
        timeout=40_000,
    )


def test_the_book_never_loses_a_draft() -> None:
    """Two windows may have written for one conversation (a merge carried one along, a
    pop-out closed): the book joins them, a note if either was one; sent text is forgotten."""
    book = DraftBook()
    book.keep("c", Draft("first reply", subject="Re: A"))
    book.keep("c", Draft("a note for agents", note=True))
    joined = book.take("c")
    assert joined == Draft("first reply\n\na note for agents", note=True, subject="Re: A")
    book.keep("c", Draft("   "))
    assert "c" not in book  # nothing written is nothing kept
    book.keep("c", Draft("same"))
    book.keep("c", Draft("same"))
    assert book.take("c") == Draft("same")
    book.keep("c", Draft("On its way"))
    book.forget_sent("c", "On its way ")
    assert "c" not in book
    book.keep("c", Draft("On its way, and more"))
    book.forget_sent("c", "On its way")
    assert "c" in book
