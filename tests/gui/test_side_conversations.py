"""Side conversations in the window against a real server with a real mailbox (dovecot) and
SMTP sink (docs/side-conversations.md): the demo's side conversation and its supplier reply are
listed by keyboard as plain text; a conversation forwarded by keyboard while offline is listed
at once, mailed once back online, and the supplier's answer, delivered into the mailbox, is
announced on the desk and kept in the side conversation, not in the customer's thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from csdesk.server.channels.vault import ENV_KEY
from csdesk.server.demo import side as demo_side
from csdesk.storage import models as m
from csdesk.ui.panels.side_dialogs import ForwardDialog, SideListDialog, SideWriteDialog
from tests.gui.conftest import Desk, desk_factory, seed_demo_db  # noqa: F401
from tests.gui.test_supervisor_windows_audit import audit
from tests.helpers.mail import Dovecot, SmtpSink
from tests.helpers.server import ServerProcess
from tests.server.channels.test_email_channel import (
    IMAP_PASSWORD,
    IMAP_USER,
    SMTP_PASSWORD,
    SMTP_USER,
    channel_add,
    email_args,
    mail,
    mid,
)

pytestmark = pytest.mark.timeout(300)

SUPPLIER = "orders@supplier.example"


@dataclass
class MailServer:
    server: ServerProcess
    dovecot: Dovecot
    smtp: SmtpSink


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    """The demo store with an email connection to a private dovecot and an SMTP sink."""
    d = tmp_path_factory.mktemp("side")
    url = seed_demo_db(d / "demo.db")
    dovecot = Dovecot({IMAP_USER: IMAP_PASSWORD}).start()
    smtp = SmtpSink(SMTP_USER, SMTP_PASSWORD).start()
    server = None
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(ENV_KEY, Fernet.generate_key().decode())
            done = channel_add(
                url, d / "data", *email_args(dovecot.port, smtp.port),
                CSDESK_IMAP_PASSWORD=IMAP_PASSWORD, CSDESK_SMTP_PASSWORD=SMTP_PASSWORD,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            server = ServerProcess(
                url, log_path=d / "server.log", extra_args=["--data-dir", str(d / "data")]
            ).start()
        yield MailServer(server, dovecot, smtp)
    finally:
        if server is not None:
            server.stop()
        smtp.stop()
        dovecot.stop()


def _open(qtbot: QtBot, desk: Desk, cid: str) -> None:
    w = desk.window
    # Selected in the inbox, as the agent would: a list reload keeps it open.
    w._open_from_customer(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)


def test_the_demo_side_conversation_is_listed_by_keyboard_as_plain_text(
    qtbot: QtBot,
    mail_server: MailServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(mail_server.server, "demo")
    w = desk.window
    ui = w.side_desk
    with desk.ws.cache.session() as s:
        side = s.get(m.SideConversation, demo_side.SIDE_ID)
        assert side is not None
        cid = side.conversation_id
    # A reply filed hours before the desk started is not news (the first sync brought it).
    assert "Kettle Supplies" not in w.notice_label.text()
    _open(qtbot, desk, cid)
    assert w.actions_["side_conversations"].shortcut() == QKeySequence("Ctrl+Alt+Shift+D")
    with qtbot.waitSignal(ui.listed, timeout=20_000) as listed:
        w.actions_["side_conversations"].trigger()  # the registry's Ctrl+Alt+Shift+D
    assert listed.args == [1]
    dialog = ui.dialog
    assert isinstance(dialog, SideListDialog) and audit(dialog) == []
    assert dialog.list.item(0).text().startswith(f"To {demo_side.SUPPLIER}: ")
    assert "1 reply" in dialog.list.item(0).text()
    assert dialog.mail.isReadOnly()  # a QPlainTextEdit: never rich text
    text = dialog.mail.toPlainText()
    assert f"Forwarded by {side.created_by_name}" in text and "(sent)" in text
    assert "Reply from Kettle Supplies Orders (orders@kettle-supplies.example)" in text
    assert demo_side.REPLY in text
    # Not in the customer's thread.
    assert all(demo_side.REPLY not in msg.body_text for msg in w.open_conv.messages)  # type: ignore[union-attr]
    qtbot.keyClick(dialog.list, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: ui.dialog is None, timeout=5_000)


def test_a_conversation_forwarded_offline_is_mailed_and_its_answer_announced(
    qtbot: QtBot,
    mail_server: MailServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(mail_server.server, "demo")
    w = desk.window
    ui = w.side_desk
    with desk.ws.cache.session() as s:
        taken = set(s.scalars(select(m.SideConversation.conversation_id)))
        cid = next(
            c.id
            for c in s.scalars(
                select(m.Conversation)
                .where(m.Conversation.channel == "email", m.Conversation.status == "open")
                .order_by(m.Conversation.id)
            )
            if c.id not in taken
        )
    _open(qtbot, desk, cid)
    assert w.actions_["forward_email"].shortcut() == QKeySequence("Ctrl+Alt+Shift+F")
    assert desk.engine.stop()  # offline: the forward waits in the outbox, listed at once
    w.actions_["forward_email"].trigger()  # the registry's Ctrl+Alt+Shift+F
    qtbot.waitUntil(lambda: isinstance(ui.dialog, ForwardDialog), timeout=5_000)
    dialog = ui.dialog
    assert isinstance(dialog, ForwardDialog) and audit(dialog) == []
    assert dialog.to.hasFocus() or dialog.focusWidget() is dialog.to
    # A line break cannot be typed into the field; a list of addresses is refused in place.
    qtbot.keyClicks(dialog.to, "a@x.example, b@x.example")
    qtbot.keyClick(dialog.to, Qt.Key.Key_Return)
    assert ui.dialog is dialog and dialog.problem.isVisible()
    assert dialog.problem.textFormat() == Qt.TextFormat.PlainText
    assert "one plain address" in dialog.problem.text()
    dialog.to.clear()
    qtbot.keyClicks(dialog.to, SUPPLIER)
    qtbot.keyClick(dialog.to, Qt.Key.Key_Tab)  # to the subject
    qtbot.keyClick(dialog.subject, Qt.Key.Key_Tab)  # to the note
    assert dialog.note.hasFocus() or dialog.focusWidget() is dialog.note
    qtbot.keyClicks(dialog.note, "Please check <b>stock</b>.")
    with qtbot.waitSignal(ui.forwarded, timeout=20_000) as forwarded:
        qtbot.keyClick(dialog.to, Qt.Key.Key_Return)
    side_id = forwarded.args[0]

    with qtbot.waitSignal(ui.listed, timeout=20_000):
        w.actions_["side_conversations"].trigger()
    listing = ui.dialog
    assert isinstance(listing, SideListDialog) and [x.id for x in listing.sides] == [side_id]
    assert listing.list.item(0).text().startswith(f"To {SUPPLIER}: ")
    assert "waiting to be sent" in listing.mail.toPlainText()
    assert "Please check <b>stock</b>." in listing.mail.toPlainText()
    qtbot.keyClick(listing.list, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: ui.dialog is None, timeout=5_000)
    assert mail_server.smtp.received == []  # not pushed yet

    desk.engine.start()
    got = mail_server.smtp.wait(1, timeout=60)[-1]
    assert got.rcpt_tos == [SUPPLIER]
    sent = got.message
    assert sent.get_content().startswith("Please check <b>stock</b>.")

    # The supplier answers: announced on the desk, kept beside the thread.
    answer = mid("supplier")
    with qtbot.waitSignal(ui.reply_announced, timeout=60_000):
        mail_server.dovecot.deliver(
            IMAP_USER,
            mail(
                answer,
                f"Re: {sent['Subject']}",
                "<i>Four</i> in stock.",
                sender=f"Supplier <{SUPPLIER}>",
                headers=f"In-Reply-To: {sent['Message-ID']}\r\n",
            ),
        )
    assert w.notice_label.textFormat() == Qt.TextFormat.PlainText
    assert w.notice_label.text().startswith("Reply from Supplier in a side conversation")
    with desk.ws.cache.session() as s:
        back = s.scalars(
            select(m.SideMessage).where(
                m.SideMessage.side_conversation_id == side_id, m.SideMessage.direction == "in"
            )
        ).all()
        assert [r.body_text for r in back] == ["<i>Four</i> in stock."]
        assert s.scalar(select(m.Message.id).where(m.Message.provider_message_id == answer)) is None
        assert (
            s.scalar(
                select(m.Message.id).where(m.Message.body_text.contains("<i>Four</i> in stock"))
            )
            is None
        )
    assert all("<i>Four</i>" not in msg.body_text for msg in w.open_conv.messages)  # type: ignore[union-attr]

    # Enter on the side conversation writes to the supplier again, threaded under the answer.
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)

    def both_mails() -> bool:
        with desk.ws.cache.session() as s:
            q = select(m.SideMessage.id).where(m.SideMessage.side_conversation_id == side_id)
            return len(s.scalars(q).all()) == 2

    qtbot.waitUntil(both_mails, timeout=20_000)
    with qtbot.waitSignal(ui.listed, timeout=20_000):
        w.actions_["side_conversations"].trigger()
    listing = ui.dialog
    assert isinstance(listing, SideListDialog) and audit(listing) == []
    assert [x.id for x in listing.sides] == [side_id]
    assert "Reply from Supplier" in listing.mail.toPlainText()
    assert "<i>Four</i> in stock." in listing.mail.toPlainText()
    qtbot.keyClick(listing.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(ui.dialog, SideWriteDialog), timeout=10_000)
    writing = ui.dialog
    assert isinstance(writing, SideWriteDialog) and audit(writing) == []
    qtbot.keyClicks(writing.text, "Thanks, please send two.")
    qtbot.keyClick(writing.text, Qt.Key.Key_Tab)  # on to Send
    assert writing.focusWidget() is writing.send_button
    with qtbot.waitSignal(ui.written, timeout=20_000):
        qtbot.keyClick(writing.send_button, Qt.Key.Key_Space)
    second = mail_server.smtp.wait(2, timeout=60)[-1].message
    assert second["In-Reply-To"] == answer
    assert second.get_content().strip() == "Thanks, please send two."


def test_from_a_message_of_the_thread_that_message_is_the_default(
    qtbot: QtBot,
    mail_server: MailServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    desk = desk_factory(mail_server.server, "demo")
    w = desk.window
    ui = w.side_desk
    with desk.ws.cache.session() as s:
        side = s.get(m.SideConversation, demo_side.SIDE_ID)
        assert side is not None
        cid = side.conversation_id
    _open(qtbot, desk, cid)
    view = w.conversation.messages
    qtbot.waitUntil(lambda: view.model().rowCount() > 0, timeout=10_000)
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    qtbot.waitUntil(view.hasFocus, timeout=5_000)
    w.actions_["forward_email"].trigger()
    qtbot.waitUntil(lambda: isinstance(ui.dialog, ForwardDialog), timeout=5_000)
    dialog = ui.dialog
    assert isinstance(dialog, ForwardDialog) and audit(dialog) == []
    assert dialog.one.isEnabled() and dialog.one.isChecked() and dialog.only_message()
    assert dialog.subject.text().startswith("Fwd: ")
    qtbot.keyClick(dialog.to, Qt.Key.Key_Escape)  # nothing is queued
    qtbot.waitUntil(lambda: ui.dialog is None, timeout=5_000)
    assert desk.engine.status.pending == 0


def test_a_failed_forward_is_sent_again_with_alt_r(
    qtbot: QtBot,
    mail_server: MailServer,
    desk_factory: Callable[..., Desk],  # noqa: F811
) -> None:
    """The SMTP server is down: the forward fails; the list says so, and Alt+R sends it again."""
    desk = desk_factory(mail_server.server, "demo")
    w = desk.window
    ui = w.side_desk
    with desk.ws.cache.session() as s:
        taken = set(s.scalars(select(m.SideConversation.conversation_id)))
        cid = next(
            c.id
            for c in s.scalars(
                select(m.Conversation)
                .where(m.Conversation.channel == "email", m.Conversation.status == "open")
                .order_by(m.Conversation.id.desc())
            )
            if c.id not in taken
        )
    _open(qtbot, desk, cid)
    mail_server.smtp.stop()
    try:
        side_id, _changes = ui.sides.forward(cid, SUPPLIER, note="Retry me 7c2e")

        def status() -> str | None:
            with desk.ws.cache.session() as s:
                q = select(m.SideMessage.status).where(
                    m.SideMessage.side_conversation_id == side_id
                )
                return s.scalar(q)

        qtbot.waitUntil(lambda: status() == "failed", timeout=60_000)
    finally:
        mail_server.smtp.clear()
        mail_server.smtp.start()
    with qtbot.waitSignal(ui.listed, timeout=20_000):
        w.actions_["side_conversations"].trigger()
    listing = ui.dialog
    assert isinstance(listing, SideListDialog) and audit(listing) == []
    row = [x.id for x in listing.sides].index(side_id)
    listing.list.setCurrentRow(row)
    assert listing.list.item(row).text().startswith("A mail was not sent (Alt+R sends it again).")
    assert f"To {SUPPLIER}: " in listing.list.item(row).text()
    assert "not sent: " in listing.mail.toPlainText()
    assert listing.retry_button.isEnabled()
    with qtbot.waitSignal(ui.retried, timeout=20_000) as retried:
        qtbot.keyClick(listing.list, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: ui.dialog is None, timeout=5_000)
    got = mail_server.smtp.wait(1, timeout=60)[-1]
    assert got.rcpt_tos == [SUPPLIER]
    assert got.message.get_content().startswith("Retry me 7c2e")
    qtbot.waitUntil(lambda: status() == "sent", timeout=60_000)
    with desk.ws.cache.session() as s:
        assert s.get_one(m.SideMessage, retried.args[0]).side_conversation_id == side_id
