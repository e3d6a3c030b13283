"""What the visitor API does, as plain functions on a session (the routes run them in threads).

Each function takes a write session with no other work in it and leaves committing to the
caller, like ``ingest_message``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, DeliveryStatus, Direction, IdentityKind
from csdesk.server.channels import conversations as threads
from csdesk.server.channels import customers, statuses
from csdesk.server.channels.inbound import Handle, InboundMessage, utc_now
from csdesk.server.channels.ingest import IngestResult, ThreadHint, ingest_message
from csdesk.server.channels.merge import MergeRefused, link_conversation, merge_customers
from csdesk.server.chat import typing_board, visitors
from csdesk.server.chat.visitors import REALM, Visitor
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

#: Tag on a conversation whose customer was found by an email the visitor typed (unproven).
UNVERIFIED_TAG = "email-unverified"
FORM_TAG = "chat-form"


def send(
    session: Session, visitor: Visitor, text: str, client_id: str, store: str | None
) -> IngestResult:
    """Store the visitor's message in their current conversation (or a new one).

    ``client_id`` makes a retry of the same send (a lost response) store nothing twice.
    """
    conv = visitors.current_conversation(session, visitor)
    known = visitors.first_inbound_id(session, conv.id) if conv is not None else None
    msg = InboundMessage(
        channel=Channel.CHAT,
        provider_message_id=f"chat:{visitor.token_hash[:24]}:{client_id}",
        sender_handle=visitors.handle_for(visitor.token_hash),
        sender_name=None,
        text=text,
        sent_at=utc_now(),
        to=(store,) if store else (),
    )
    # A hint (even an empty one) keeps ingest from continuing the customer's latest chat,
    # which after a link may be another visitor's thread.
    result = ingest_message(
        session, msg, realm=REALM, thread_hint=ThreadHint((known,) if known else ())
    )
    if result.created:
        visitors.remember(session, visitor, result.conversation_id, store)
        if result.conversation_created and store:
            conv_row = session.get(m.Conversation, result.conversation_id)
            if conv_row is not None:
                threads.add_tag(conv_row, f"store:{store}"[:64])
    session.flush()  # the route exists before its typing notice is cleared
    # The message arrived: "is typing" ends now, not when the notice would expire.
    typing_board.set_typing(session, result.conversation_id, False, utcnow())
    return result


def wire(msg: m.Message) -> dict[str, Any]:
    """A message as the widget shows it (nothing internal: no notes, no agent ids)."""
    return {
        "id": msg.id,
        "direction": msg.direction,
        "author": msg.author_name if msg.direction == Direction.OUT.value else None,
        "text": msg.body_text,
        "at": msg.created_at.isoformat(),
        # Links the widget fetches with the visitor's token (``visitor_attachment``).
        "attachments": [
            {
                "name": str(a.get("filename") or f"file-{n + 1}"),
                "size": a.get("size"),
                "content_type": a.get("content_type"),
                "url": f"/chat/api/messages/{msg.id}/attachments/{n}",
            }
            for n, a in enumerate(msg.attachments or [])
            if isinstance(a, dict) and a.get("sha256")
        ],
    }


def visible_attachment(
    session: Session, visitor: Visitor, message_id: str, index: int
) -> dict[str, Any] | None:
    """A file of a message in one of this visitor's own chats (never a note), or None."""
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return None
    msg = session.scalars(_visible(ids).where(m.Message.id == message_id)).first()
    attachments = list(msg.attachments or []) if msg is not None else []
    if index >= len(attachments) or not isinstance(attachments[index], dict):
        return None
    meta: dict[str, Any] = attachments[index]
    return meta


def _visible(conv_ids: list[str]) -> Any:
    return (
        select(m.Message)
        .where(
            m.Message.conversation_id.in_(conv_ids),
            m.Message.is_note.is_(False),
            m.Message.realm == REALM,
            m.Message.channel == Channel.CHAT.value,  # not a transcript mailed from the chat
        )
        .order_by(m.Message.created_at, m.Message.id)
    )


def transcript(session: Session, visitor: Visitor, limit: int = 500) -> list[dict[str, Any]]:
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return []
    rows = list(session.scalars(_visible(ids)))
    return [wire(r) for r in rows[-limit:]]


def acknowledge(session: Session, visitor: Visitor, message_ids: list[str]) -> int:
    """The widget showed these replies: mark them delivered; the number changed."""
    if not message_ids:
        return 0
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return 0
    now = utcnow()
    changed = 0
    for msg in session.scalars(
        select(m.Message).where(
            m.Message.id.in_(message_ids[:200]),
            m.Message.conversation_id.in_(ids),
            m.Message.direction == Direction.OUT.value,
        )
    ):
        changed += statuses.apply_to(msg, DeliveryStatus.DELIVERED, now)
    return changed


def pending(session: Session, visitor: Visitor) -> list[m.Message]:
    """Agent replies the widget has not acknowledged yet (queued or handed over once)."""
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return []
    return list(
        session.scalars(
            _visible(ids).where(
                m.Message.direction == Direction.OUT.value,
                m.Message.delivery_status.in_(
                    [DeliveryStatus.QUEUED.value, DeliveryStatus.SENT.value]
                ),
            )
        )
    )


def hand_over(session: Session, visitor: Visitor) -> list[dict[str, Any]]:
    """The pending replies, for the widget; queued ones become ``sent``."""
    rows = pending(session, visitor)
    now = utcnow()
    for msg in rows:
        statuses.apply_to(msg, DeliveryStatus.SENT, now)
    return [wire(r) for r in rows]


def agents_typing(
    session: Session, visitor: Visitor, now: datetime, within: timedelta
) -> list[str]:
    """Names of agents typing in the visitor's current conversation (from presence)."""
    conv = visitors.current_conversation(session, visitor)
    if conv is None:
        return []
    rows = session.execute(
        select(m.User.display_name)
        .join(m.Presence, m.Presence.user_id == m.User.id)
        .where(
            m.Presence.conversation_id == conv.id,
            m.Presence.typing.is_(True),
            m.Presence.seen_at >= now - within,
            m.User.active.is_(True),
            m.User.role != "trainee",
        )
    ).all()
    return [r[0] for r in rows]


@dataclass(frozen=True, slots=True)
class EmailLink:
    customer_id: str
    how: str  # "added", "already", "merged", "linked"


def leave_email(session: Session, visitor: Visitor, raw: str) -> EmailLink:
    """Link the visitor to ``raw`` (ValueError when it is not an address).

    Unknown address: it becomes an (unverified) identity of the visitor's customer.  An address
    another customer owns: an anonymous visitor profile (nothing but chat sessions) is merged
    into that customer, which is audited and can be undone; otherwise only the visitor's
    conversations are linked there.  Either way the conversations are tagged so the agent
    knows the address was typed, not proven, before discussing that customer's orders.
    """
    handle = customers.canonical(Handle(IdentityKind.EMAIL, raw))
    if handle is None:
        raise ValueError("not an email address")
    mine = session.get(m.Customer, visitor.customer_id)
    assert mine is not None
    owner_identity = customers.find_identity(session, REALM, handle)
    conv_ids = visitors.conversation_ids(session, visitor)
    if owner_identity is None:
        customers.attach(session, mine, [(handle, False)])
        how, target = "added", mine.id
    else:
        owner = session.get(m.Customer, owner_identity.customer_id)
        assert owner is not None
        owner = customers.survivor(session, owner)
        if owner.id == mine.id:
            return EmailLink(mine.id, "already")
        target = owner.id
        try:
            if _anonymous(session, mine):
                merge_customers(session, None, REALM, mine.id, owner.id)
                how = "merged"
            else:
                for cid in conv_ids:
                    link_conversation(session, None, REALM, cid, owner.id)
                how = "linked"
        except MergeRefused:  # raced with an agent's merge: keep the chats where they are
            how, target = "already", mine.id
    for cid in conv_ids:
        conv = session.get(m.Conversation, cid)
        if conv is not None:
            threads.add_tag(conv, UNVERIFIED_TAG)
    session.flush()
    return EmailLink(target, how)


def _anonymous(session: Session, customer: m.Customer) -> bool:
    kinds = set(
        session.scalars(
            select(m.CustomerIdentity.kind).where(m.CustomerIdentity.customer_id == customer.id)
        )
    )
    has_orders = session.scalars(
        select(m.Order.id).where(m.Order.customer_id == customer.id).limit(1)
    ).first()
    return kinds <= {IdentityKind.CHAT_VISITOR.value} and has_orders is None


def contact_form(
    session: Session, name: str, email: str, text: str, store: str | None
) -> IngestResult:
    """An offline-hours form: a new email-channel conversation, so the reply goes by email."""
    handle = customers.canonical(Handle(IdentityKind.EMAIL, email))
    if handle is None:
        raise ValueError("not an email address")
    msg = InboundMessage(
        channel=Channel.EMAIL,
        provider_message_id=f"<chat-form-{uuid.uuid4().hex}@csdesk.invalid>",
        sender_handle=None,  # typed into a form: an unverified identity, not a proven sender
        sender_name=name.strip() or None,
        text=text,
        subject="Chat contact form" + (f" ({store})" if store else ""),
        sent_at=utc_now(),
    )
    result = ingest_message(
        session, msg, realm=REALM, thread_hint=ThreadHint(), extra_handles=(handle,)
    )
    conv = session.get(m.Conversation, result.conversation_id)
    if conv is not None:
        threads.add_tag(conv, FORM_TAG)
        threads.add_tag(conv, UNVERIFIED_TAG)
    session.flush()
    return result


class TranscriptRefused(Exception):
    """Why the transcript cannot be mailed; shown to the visitor."""


TRANSCRIPT_SUBJECT = "Your chat transcript"


def email_transcript(session: Session, visitor: Visitor, shop: str | None) -> str:
    """Queue the current conversation's transcript as an email to the visitor's address.

    The mail is an outbound email-channel message in the chat conversation, so the outbound
    dispatcher sends it (with its retries and visible failures) to the customer's address, and
    agents see in the thread that it went.  Returns the message id.
    """
    ids = visitors.conversation_ids(session, visitor)
    conv = session.get(m.Conversation, ids[-1]) if ids else None
    if conv is None:
        raise TranscriptRefused("There is no conversation to send yet.")
    has_email = session.scalars(
        select(m.CustomerIdentity.id).where(
            m.CustomerIdentity.customer_id == conv.customer_id,
            m.CustomerIdentity.kind == IdentityKind.EMAIL.value,
        )
    ).first()
    if has_email is None:
        raise TranscriptRefused("Leave your email address first.")
    lines = [f"Your chat with {shop or 'us'}:", ""]
    for msg in session.scalars(_visible([conv.id])):
        who = "You" if msg.direction == Direction.IN.value else (msg.author_name or "Agent")
        lines.append(f"[{msg.created_at:%Y-%m-%d %H:%M} UTC] {who}: {msg.body_text}")
    now = utcnow()
    mail = m.Message(
        id=customers.new_id(),
        realm=conv.realm,
        conversation_id=conv.id,
        channel=Channel.EMAIL.value,
        direction=Direction.OUT.value,
        author_name="Chat transcript",
        subject=TRANSCRIPT_SUBJECT,
        body_text="\n".join(lines),
        delivery_status=DeliveryStatus.QUEUED.value,
        created_at=now,
    )
    session.add(mail)
    conv.message_count = (conv.message_count or 0) + 1
    conv.last_message_at = max(conv.last_message_at or now, now)
    session.flush()
    return mail.id
