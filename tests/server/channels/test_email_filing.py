"""Filing parsed email, in process on SQLite and PostgreSQL: bounces, auto-replies, sender
checks and duplicates (issue 9, items 18, 19, 21, 24)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from csdesk.domain.enums import DeliveryStatus, Direction
from csdesk.server.channels.email_filing import file_email
from csdesk.server.channels.email_parse import parse_email
from csdesk.server.channels.ingest import IngestResult
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.server.channels.support import state_for


@pytest.fixture
def state(db_url: str, tmp_path: Path) -> Iterator[ServerState]:
    st = state_for(db_url, tmp_path)
    try:
        yield st
    finally:
        st.engine.dispose()


def _id(tag: str) -> str:
    return f"<{tag}.{uuid.uuid4().hex}@customer.example>"


def _mail(
    message_id: str | None,
    body: str = "Where is my order?",
    *,
    sender: str = "Ana Lima <ana@customer.example>",
    subject: str = "Order 1001",
    headers: str = "",
) -> bytes:
    head = f"From: {sender}\r\nTo: support@store.example\r\nSubject: {subject}\r\n"
    head += "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n"
    head += f"Message-ID: {message_id}\r\n" if message_id else ""
    return (head + headers + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()


def _dsn(
    returned_id: str, recipient: str, *, action: str = "failed", status: str = "5.1.1"
) -> bytes:
    return (
        "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.store.example>\r\n"
        "To: support@store.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {_id('dsn')}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.store.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} User unknown\r\n\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: support@store.example\r\nTo: {recipient}\r\nSubject: Re: Order 1001\r\n"
        f"Message-ID: {returned_id}\r\n\r\nYour order has shipped.\r\n--b--\r\n"
    ).encode()


def _file(state: ServerState, raw: bytes, source_ref: str | None = None) -> IngestResult | None:
    msg = parse_email(raw, received_at=datetime.now(UTC))
    with state.writes() as s:
        result = file_email(s, msg, realm="production", provider="email", source_ref=source_ref)
        s.commit()
        return result


def _counts(state: ServerState) -> tuple[int, int, int]:
    with state.reads() as s:
        return (
            s.scalar(select(func.count()).select_from(m.Customer)) or 0,
            s.scalar(select(func.count()).select_from(m.Conversation)) or 0,
            s.scalar(select(func.count()).select_from(m.Message)) or 0,
        )


def _reply(state: ServerState, conv_id: str, status: str = DeliveryStatus.SENT.value) -> str:
    """An agent's reply as the dispatcher leaves it after SMTP accepted it."""
    provider_id = f"<{uuid.uuid4()}@store.example>"
    with state.writes() as s:
        s.add(
            m.Message(
                id=str(uuid.uuid4()),
                conversation_id=conv_id,
                channel="email",
                direction=Direction.OUT.value,
                author_name="Ann",
                body_text="Your order has shipped.",
                delivery_status=status,
                provider_message_id=provider_id,
                sent_at=datetime.now(UTC),
            )
        )
        s.commit()
    return provider_id


def _message(state: ServerState, message_id: str) -> m.Message:
    with state.reads() as s:
        msg = s.get(m.Message, message_id)
        assert msg is not None
        return msg


def _resolve(state: ServerState, conv_id: str) -> None:
    with state.writes() as s:
        conv = s.get(m.Conversation, conv_id)
        assert conv is not None
        conv.status, conv.resolved_at, conv.waiting_since = "resolved", datetime.now(UTC), None
        s.commit()


def test_a_bounce_fails_the_reply_it_returns_in_its_conversation(state: ServerState) -> None:
    opened = _file(state, _mail(_id("c")))
    assert opened is not None
    ours = _reply(state, opened.conversation_id)
    _resolve(state, opened.conversation_id)
    before = _counts(state)

    bounced = _file(state, _dsn(ours, "ana@customer.example"))

    assert bounced is not None and bounced.created
    assert bounced.conversation_id == opened.conversation_id
    assert bounced.customer_id == opened.customer_id and not bounced.reopened
    customers, conversations, messages = _counts(state)
    assert (customers, conversations, messages) == (before[0], before[1], before[2] + 1)
    with state.reads() as s:
        reply = s.scalars(select(m.Message).where(m.Message.provider_message_id == ours)).one()
        conv = s.get(m.Conversation, opened.conversation_id)
        assert conv is not None and conv.status == "resolved" and conv.waiting_since is None
    assert reply.delivery_status == DeliveryStatus.FAILED.value
    assert reply.failure_reason is not None
    assert "ana@customer.example" in reply.failure_reason and "5.1.1" in reply.failure_reason
    report = _message(state, bounced.message_id)
    assert report.is_auto and report.auto_kind == "delivery_report"
    assert report.failure_reason is None  # a bounce is read completely


def test_a_delayed_report_is_filed_but_fails_nothing(state: ServerState) -> None:
    opened = _file(state, _mail(_id("c")))
    assert opened is not None
    ours = _reply(state, opened.conversation_id)
    filed = _file(state, _dsn(ours, "ana@customer.example", action="delayed", status="4.4.7"))
    assert filed is not None and filed.conversation_id == opened.conversation_id
    with state.reads() as s:
        reply = s.scalars(select(m.Message).where(m.Message.provider_message_id == ours)).one()
    assert reply.delivery_status == DeliveryStatus.SENT.value


def test_a_bounce_that_matches_nothing_is_logged_not_filed(
    state: ServerState, caplog: pytest.LogCaptureFixture
) -> None:
    before = _counts(state)
    with caplog.at_level(logging.WARNING):
        assert _file(state, _dsn("<never-sent@store.example>", "x@y.example"), "box#7:42") is None
    assert _counts(state) == before
    assert "delivery report" in caplog.text and "box#7:42" in caplog.text
    assert "stays in the mailbox" in caplog.text


@pytest.mark.parametrize(
    "sender",
    [
        "Jo <jo.{n}@customer.example>",  # an out-of-office from an address we never saw
        "MAILER-DAEMON@mx.{n}.example",
        None,  # no sender at all
    ],
)
def test_an_automatic_mail_from_nobody_we_know_creates_no_customer(
    state: ServerState, sender: str | None
) -> None:
    before = _counts(state)
    raw = _mail(
        _id("ooo"),
        "I am out of the office.",
        sender=(sender or "").format(n=uuid.uuid4().hex[:8]),
        headers="Auto-Submitted: auto-replied\r\n",
    )
    if sender is None:
        raw = raw.replace(b"From: \r\n", b"")
    assert _file(state, raw) is None
    assert _counts(state) == before


def test_an_auto_reply_in_a_thread_is_marked_and_keeps_it_resolved(state: ServerState) -> None:
    opened = _file(state, _mail(_id("c")))
    assert opened is not None
    ours = _reply(state, opened.conversation_id)
    _resolve(state, opened.conversation_id)
    # From an address we never saw (the customer's colleague answers for them).
    auto = _file(
        state,
        _mail(
            _id("ooo"),
            "I am away until Monday.",
            sender="Assistant <pa@customer.example>",
            headers=f"In-Reply-To: {ours}\r\nX-Autoreply: yes\r\nPrecedence: auto_reply\r\n",
        ),
    )
    assert auto is not None and auto.conversation_id == opened.conversation_id
    assert auto.customer_id == opened.customer_id
    stored = _message(state, auto.message_id)
    assert stored.is_auto and stored.auto_kind == "auto_reply"
    with state.reads() as s:
        conv = s.get(m.Conversation, opened.conversation_id)
        assert conv is not None and conv.status == "resolved"
        assert (
            s.scalar(select(func.count()).where(m.CustomerIdentity.value == "pa@customer.example"))
            == 0
        )
    person = _message(state, opened.message_id)
    assert not person.is_auto and person.auto_kind is None


def test_a_failed_dmarc_check_is_kept_on_the_message(state: ServerState) -> None:
    raw = (
        b"Authentication-Results: mx.store.example; dmarc=fail header.from=paypal.example\r\n"
        + _mail(_id("spoof"), sender="PayPal <service@paypal.example>")
    )
    filed = _file(state, raw)
    assert filed is not None
    assert _message(state, filed.message_id).sender_warning == "DMARC failed for paypal.example"


def test_a_reused_message_id_is_a_new_message_and_redeliveries_are_not(
    state: ServerState,
) -> None:
    shared = _id("reused")
    ana = _file(state, _mail(shared, "My parcel is late."), "box#1:1")
    # Another sender's mailer hands out the same Message-ID.
    bo = _file(state, _mail(shared, "Do you ship to Norway?", sender="bo@other.example"), "box#1:2")
    assert ana is not None and bo is not None
    assert ana.created and bo.created and bo.message_id != ana.message_id
    assert bo.customer_id != ana.customer_id
    # The same body from another sender is a new message too.
    copy = _file(state, _mail(shared, "My parcel is late.", sender="cy@other.example"), "box#1:3")
    assert copy is not None and copy.created

    # Re-deliveries: the same UID again, the same mail in a renumbered mailbox (new
    # UIDVALIDITY) or delivered twice (trace headers differ): each is stored once.
    again = _file(
        state, _mail(shared, "Do you ship to Norway?", sender="bo@other.example"), "box#1:2"
    )
    renumbered = _file(
        state,
        b"Received: by mx; Fri, 4 Dec 2026 10:00:01 +0000\r\n"
        + _mail(shared, "My parcel is late."),
        "box#9:1",
    )
    twice = _file(state, _mail(shared, "Do you ship to Norway?", sender="bo@other.example"))
    assert again is not None and not again.created and again.message_id == bo.message_id
    assert renumbered is not None and not renumbered.created
    assert renumbered.message_id == ana.message_id
    assert twice is not None and not twice.created and twice.message_id == bo.message_id
    with state.reads() as s:
        ids = s.scalars(
            select(m.Message.provider_message_id).where(
                m.Message.provider_message_id.like(shared.rstrip(">") + "%")
            )
        ).all()
    assert len(ids) == 3 and shared in ids  # the first keeps the Message-ID replies quote


def test_a_harmless_missing_date_is_not_shown_as_unreadable(state: ServerState) -> None:
    raw = _mail(None, "No date, no id.").replace(b"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n", b"")
    filed = _file(state, raw)
    assert filed is not None
    stored = _message(state, filed.message_id)
    assert stored.failure_reason is None
    assert all(a["filename"] != "original-message.eml" for a in stored.attachments)


def test_the_bounce_finds_its_conversation_by_the_returned_references(
    state: ServerState,
) -> None:
    """A bounce of a mail we did not store (sent elsewhere) still threads by what it answered."""
    first = _id("c")
    opened = _file(state, _mail(first))
    assert opened is not None
    returned = _dsn("<elsewhere@other-tool.example>", "ana@customer.example").replace(
        b"Message-ID: <elsewhere", b"In-Reply-To: " + first.encode() + b"\r\nMessage-ID: <elsewhere"
    )
    filed = _file(state, returned)
    assert filed is not None and filed.conversation_id == opened.conversation_id


def test_hostile_bytes_in_a_report_and_its_checks_are_stored_clean(state: ServerState) -> None:
    """NUL and 8-bit bytes in header fields must not stop the mail from being stored (PostgreSQL
    refuses NUL, neither database takes a lone surrogate)."""
    opened = _file(state, _mail(_id("c")))
    assert opened is not None
    ours = _reply(state, opened.conversation_id)
    raw = _dsn(ours, "ana@customer.example").replace(
        b"550 5.1.1 User unknown", b"550 5.1.1 Us\x00er \xff\xfe unkn\xc3\xb6wn"
    )
    raw = b"Authentication-Results: mx; dmarc=fail header.from=b\x00\xffad.example\r\n" + raw
    filed = _file(state, raw)
    assert filed is not None and filed.created
    with state.reads() as s:
        reply = s.scalars(select(m.Message).where(m.Message.provider_message_id == ours)).one()
    reason = reply.failure_reason or ""
    assert "5.1.1" in reason and "\x00" not in reason
    assert not any("\ud800" <= c <= "\udfff" for c in reason)
    warning = _message(state, filed.message_id).sender_warning or ""
    assert warning.startswith("DMARC failed") and "\x00" not in warning
    assert not any("\ud800" <= c <= "\udfff" for c in warning)
