"""The ingestion rules, in process: threading, reopening, auto-replies, email hints, receipts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csdesk.domain.enums import Channel, ConversationStatus, DeliveryStatus, Direction, IdentityKind
from csdesk.server.channels.conversations import REOPEN_WITHIN, conversation_token
from csdesk.server.channels.inbound import Handle, InboundMessage, StatusUpdate, ThreadHints
from csdesk.server.channels.ingest import IngestResult, ThreadHint, Unfiled, ingest_message
from csdesk.server.channels.statuses import apply_status
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.server.channels.support import new_sid, state_for


@pytest.fixture
def state(db_url: str, tmp_path: Path) -> Iterator[ServerState]:
    st = state_for(db_url, tmp_path)
    try:
        yield st
    finally:
        st.engine.dispose()


def _msg(
    channel: Channel = Channel.SMS,
    sender: Handle | None = None,
    text: str = "hello",
    **extra: object,
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        provider_message_id=new_sid("p-"),
        sender_handle=sender or Handle(IdentityKind.PHONE, "+14155550123"),
        sender_name=None,
        text=text,
        sent_at=datetime.now(UTC),
        **extra,  # type: ignore[arg-type]
    )


def _ingest(state: ServerState, msg: InboundMessage, **kw: object) -> IngestResult:
    with state.writes() as s:
        result = ingest_message(s, msg, **kw)  # type: ignore[arg-type]
        s.commit()
        return result


def _conv(state: ServerState, conv_id: str) -> m.Conversation:
    with state.reads() as s:
        conv = s.get(m.Conversation, conv_id)
        assert conv is not None
        return conv


def _set_status(state: ServerState, conv_id: str, status: str, resolved_ago: timedelta) -> None:
    with state.writes() as s:
        conv = s.get(m.Conversation, conv_id)
        assert conv is not None
        conv.status = status
        conv.resolved_at = datetime.now(UTC) - resolved_ago
        conv.waiting_since = None
        s.commit()


def test_unknown_sender_becomes_a_customer_and_retries_are_stored_once(
    state: ServerState,
) -> None:
    msg = _msg(sender=Handle(IdentityKind.PHONE, "+1 415 555 0177"))
    first, again = _ingest(state, msg), _ingest(state, msg)
    assert first.created and first.conversation_created
    assert not again.created and again.message_id == first.message_id
    with state.reads() as s:
        identity = s.query(m.CustomerIdentity).filter_by(customer_id=first.customer_id).one()
        assert (identity.kind, identity.value, identity.verified) == ("phone", "+14155550177", True)
        assert s.query(m.Message).filter_by(conversation_id=first.conversation_id).count() == 1


@pytest.mark.parametrize("status", ["open", "pending", "snoozed"])
def test_live_conversation_continues_and_reopens(state: ServerState, status: str) -> None:
    sender = Handle(IdentityKind.TELEGRAM, new_sid(""))
    first = _ingest(state, _msg(Channel.TELEGRAM, sender))
    _set_status(state, first.conversation_id, status, timedelta(0))
    second = _ingest(state, _msg(Channel.TELEGRAM, sender, "second"))
    assert second.conversation_id == first.conversation_id
    conv = _conv(state, first.conversation_id)
    assert conv.status == "open" and conv.message_count == 2 and conv.preview == "second"
    assert conv.waiting_since is not None


def test_resolved_conversation_reopens_within_the_window_only(state: ServerState) -> None:
    sender = Handle(IdentityKind.MESSENGER, new_sid(""))
    first = _ingest(state, _msg(Channel.MESSENGER, sender))
    _set_status(state, first.conversation_id, "resolved", timedelta(hours=1))
    again = _ingest(state, _msg(Channel.MESSENGER, sender, "one more thing"))
    assert again.conversation_id == first.conversation_id and again.reopened
    assert _conv(state, first.conversation_id).status == "open"

    _set_status(state, first.conversation_id, "resolved", REOPEN_WITHIN + timedelta(hours=1))
    later = _ingest(state, _msg(Channel.MESSENGER, sender, "new question"))
    assert later.conversation_id != first.conversation_id and later.conversation_created
    assert later.customer_id == first.customer_id
    assert _conv(state, first.conversation_id).status == "resolved"


def test_auto_replies_are_filed_but_never_reopen(state: ServerState) -> None:
    sender = Handle(IdentityKind.EMAIL, f"{new_sid('ann')}@example.com")
    first = _ingest(state, _msg(Channel.EMAIL, sender, subject="Refund"), thread_hint=ThreadHint())
    _set_status(state, first.conversation_id, "resolved", timedelta(minutes=5))
    with state.reads() as s:
        stored = s.get(m.Message, first.message_id)
        assert stored is not None and stored.provider_message_id is not None
    auto = _msg(
        Channel.EMAIL,
        sender,
        "I am out of office",
        is_auto=True,
        thread=ThreadHints(in_reply_to=stored.provider_message_id),
    )
    filed = _ingest(state, auto, thread_hint=ThreadHint.from_email(auto))
    assert filed.conversation_id == first.conversation_id and not filed.reopened
    conv = _conv(state, first.conversation_id)
    assert conv.status == ConversationStatus.RESOLVED.value and conv.waiting_since is None
    assert conv.message_count == 2

    # The customer's own auto-reply that answers nothing is filed resolved, tagged "auto"...
    stray = _ingest(
        state, _msg(Channel.EMAIL, sender, "Away", is_auto=True), thread_hint=ThreadHint()
    )
    born = _conv(state, stray.conversation_id)
    assert born.status == "resolved" and "auto" in born.tags and born.waiting_since is None
    assert stray.customer_id == first.customer_id
    # ...while a machine nobody knows is nobody's customer: nothing is written.
    unknown = Handle(IdentityKind.EMAIL, f"{new_sid('bounce')}@example.org")
    with pytest.raises(Unfiled):
        _ingest(
            state,
            _msg(Channel.EMAIL, unknown, "Delivery failed", is_auto=True),
            thread_hint=ThreadHint(),
        )
    with state.reads() as s:
        assert s.query(m.CustomerIdentity).filter_by(value=unknown.value).count() == 0


def test_email_threads_by_headers_then_token_else_new(state: ServerState) -> None:
    sender = Handle(IdentityKind.EMAIL, f"{new_sid('bo')}@example.com")
    opening = _msg(Channel.EMAIL, sender, "Where is it?", subject="Order 1001")
    first = _ingest(state, opening, thread_hint=ThreadHint())
    reply = _msg(
        Channel.EMAIL,
        sender,
        "Still waiting",
        subject="Re: Order 1001",
        thread=ThreadHints(in_reply_to="<unknown@x>", references=(opening.provider_message_id,)),
    )
    assert _ingest(state, reply, thread_hint=ThreadHint.from_email(reply)).conversation_id == (
        first.conversation_id
    )
    token = conversation_token(first.conversation_id)
    by_token = _msg(
        Channel.EMAIL,
        Handle(IdentityKind.EMAIL, "colleague@example.com"),
        "Forwarding",
        subject=f"Fwd: Order 1001 [#{token}]",
    )
    threaded = _ingest(state, by_token, thread_hint=ThreadHint.from_email(by_token))
    assert threaded.conversation_id == first.conversation_id
    assert threaded.customer_id == first.customer_id  # the thread's customer, not the sender
    fresh = _msg(Channel.EMAIL, sender, "Another question", subject="Sizes")
    new = _ingest(state, fresh, thread_hint=ThreadHint.from_email(fresh))
    assert new.conversation_id != first.conversation_id and new.customer_id == first.customer_id


def test_email_identity_matches_whatever_the_case(state: ServerState) -> None:
    name = new_sid("Mixed")
    a = _ingest(
        state,
        _msg(Channel.EMAIL, Handle(IdentityKind.EMAIL, f"{name}@Example.COM")),
        thread_hint=ThreadHint(),
    )
    b = _ingest(
        state,
        _msg(Channel.EMAIL, Handle(IdentityKind.EMAIL, f"{name.lower()}@example.com")),
        thread_hint=ThreadHint(),
    )
    assert a.customer_id == b.customer_id


def _outbound(state: ServerState, conv_id: str, provider_id: str, channel: Channel) -> str:
    with state.writes() as s:
        msg = m.Message(
            id=new_sid("out-")[:36],
            conversation_id=conv_id,
            channel=channel.value,
            direction=Direction.OUT.value,
            body_text="reply",
            delivery_status=DeliveryStatus.SENT.value,
            provider_message_id=provider_id,
            sent_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        s.add(msg)
        s.commit()
        return msg.id


def _status_of(state: ServerState, message_id: str) -> tuple[str, str | None]:
    with state.reads() as s:
        msg = s.get(m.Message, message_id)
        assert msg is not None
        return msg.delivery_status, msg.failure_reason


def test_statuses_never_move_backwards_and_failures_carry_a_reason(state: ServerState) -> None:
    conv = _ingest(state, _msg()).conversation_id
    now = datetime.now(UTC)
    read_id = _outbound(state, conv, "SMread", Channel.SMS)
    for status in (DeliveryStatus.READ, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        with state.writes() as s:
            apply_status(s, StatusUpdate(Channel.SMS, "SMread", status, now))
            s.commit()
    assert _status_of(state, read_id) == ("read", None)

    failing = _outbound(state, conv, "SMfail", Channel.SMS)
    with state.writes() as s:
        update = StatusUpdate(
            Channel.SMS, "SMfail", DeliveryStatus.FAILED, now, "30007", "Carrier filtered it"
        )
        assert apply_status(s, update) == 1
        s.commit()
    assert _status_of(state, failing) == ("failed", "Carrier filtered it")


def test_messenger_read_watermark_marks_earlier_messages(state: ServerState) -> None:
    psid = new_sid("")
    got = _ingest(state, _msg(Channel.MESSENGER, Handle(IdentityKind.MESSENGER, psid)))
    older = _outbound(state, got.conversation_id, new_sid("m_"), Channel.MESSENGER)
    now = datetime.now(UTC)
    with state.writes() as s:
        update = StatusUpdate(
            Channel.MESSENGER, "", DeliveryStatus.READ, now, recipient=psid, watermark=now
        )
        assert apply_status(s, update) == 1
        s.commit()
    assert _status_of(state, older)[0] == "read"


def test_an_unverified_identity_routes_nothing_and_proof_takes_it_over(
    state: ServerState,
) -> None:
    """A row nobody proved (typed into the widget before claims existed) never decides where
    mail lands; the first verified contact from that address takes it over, audited."""
    address = f"typed.{new_sid('')}@customer.example".lower()
    with state.writes() as s:
        typist = m.Customer(id=new_sid("c-"), name="Website visitor")
        s.add(typist)
        s.flush()
        s.add(
            m.CustomerIdentity(
                id=new_sid("i-"),
                customer_id=typist.id,
                kind=IdentityKind.EMAIL.value,
                value=address,
                verified=False,
            )
        )
        s.commit()
    mail = _msg(Channel.EMAIL, Handle(IdentityKind.EMAIL, address.upper()), "my order?")
    first = _ingest(state, mail, thread_hint=ThreadHint())
    assert first.customer_id != typist.id
    again = _ingest(
        state,
        _msg(Channel.EMAIL, Handle(IdentityKind.EMAIL, address), "still waiting"),
        thread_hint=ThreadHint(),
    )
    assert again.customer_id == first.customer_id  # one customer, not one per message
    with state.reads() as s:
        row = s.query(m.CustomerIdentity).filter_by(value=address).one()
        assert (row.customer_id, row.verified) == (first.customer_id, True)
        [entry] = s.query(m.AuditEntry).filter_by(
            action="identity.verified_by_contact", entity_id=row.id
        )
        assert entry.before == {"customer_id": typist.id, "verified": False}


def test_a_provider_name_names_a_customer_known_only_by_number(state: ServerState) -> None:
    number = "+1415555" + new_sid("")[:4].translate(str.maketrans("abcdef", "123456"))
    texted = _ingest(state, _msg(Channel.SMS, Handle(IdentityKind.PHONE, number)))
    with state.reads() as s:
        assert s.get(m.Customer, texted.customer_id).name == number  # type: ignore[union-attr]
    profile = _msg(Channel.WHATSAPP, Handle(IdentityKind.WHATSAPP, number))
    named = _ingest(state, replace(profile, sender_name="+1 415 555 0100"))  # a number: no name
    assert named.customer_id == texted.customer_id
    _ingest(state, replace(_msg(Channel.WHATSAPP, Handle(IdentityKind.WHATSAPP, number)),
                           sender_name="Ana Lima"))  # fmt: skip
    _ingest(state, replace(_msg(Channel.WHATSAPP, Handle(IdentityKind.WHATSAPP, number)),
                           sender_name="Somebody Else"))  # fmt: skip
    with state.reads() as s:
        assert s.get(m.Customer, texted.customer_id).name == "Ana Lima"  # type: ignore[union-attr]
        sources = [
            (e.after or {}).get("source")
            for e in s.query(m.AuditEntry).filter_by(entity_id=texted.customer_id)
        ]
        assert sources == ["whatsapp"]
