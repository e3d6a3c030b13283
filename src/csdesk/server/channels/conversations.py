"""Finding the conversation an inbound contact belongs to, and keeping its fields true.

The inbox sorts and filters on the conversation row alone (status, waiting_since, SLA due
times, preview), so every inbound message must update it exactly as ``sync.mutations.send``
does for replies: ``message_count`` counts every message, ``preview`` is the first line of the
last customer-visible message, ``waiting_since`` is the oldest unanswered inbound message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, ConversationStatus, Priority
from csdesk.server.channels.customers import new_id
from csdesk.server.kpis import reopens
from csdesk.storage import models as m

#: A resolved conversation the customer writes into again within this time is reopened; after
#: it, a new message starts a new conversation (a new question, a fresh SLA clock).
REOPEN_WITHIN = timedelta(days=7)
_TOKEN_HEX = 12  # 48 bits of a UUID4: unique among any shop's conversations


def conversation_token(conversation_id: str) -> str:
    """The token for an email subject (``[#TOKEN]``), derived from the conversation id.

    Derived rather than stored, so every conversation has one without a column; matched back
    by ``find_by_token``.
    """
    return conversation_id.replace("-", "")[:_TOKEN_HEX].upper()


def find_by_token(session: Session, realm: str, token: str) -> m.Conversation | None:
    raw = token.strip().lower()
    if len(raw) != _TOKEN_HEX or not all(c in "0123456789abcdef" for c in raw):
        return None
    prefix = f"{raw[:8]}-{raw[8:]}"  # UUIDs are hyphenated after 8 hex digits
    return session.scalars(
        select(m.Conversation).where(
            m.Conversation.realm == realm,
            func.lower(m.Conversation.id).like(prefix + "%"),
            m.Conversation.deleted_at.is_(None),
        )
    ).first()


def find_by_message(
    session: Session, realm: str, channel: Channel, provider_ids: Sequence[str]
) -> m.Conversation | None:
    """The conversation holding the first of ``provider_ids`` (most specific first) we know."""
    ids = [i for i in dict.fromkeys(provider_ids) if i][:50]
    if not ids:
        return None
    found = {
        pid: cid
        for pid, cid in session.execute(
            select(m.Message.provider_message_id, m.Message.conversation_id).where(
                m.Message.realm == realm,
                m.Message.channel == channel.value,
                m.Message.provider_message_id.in_(ids),
            )
        )
    }
    for pid in ids:
        if pid in found:
            conv = session.get(m.Conversation, found[pid])
            if conv is not None and conv.deleted_at is None:
                return conv
    return None


def latest(session: Session, customer_id: str, channel: Channel) -> m.Conversation | None:
    """The customer's most recent live conversation on ``channel``."""
    return session.scalars(
        select(m.Conversation)
        .where(
            m.Conversation.customer_id == customer_id,
            m.Conversation.channel == channel.value,
            m.Conversation.deleted_at.is_(None),
        )
        .order_by(m.Conversation.last_message_at.desc())
        .limit(1)
    ).first()


def continues(conv: m.Conversation, now: datetime) -> bool:
    """Whether a new contact belongs in ``conv`` rather than in a new conversation."""
    if conv.status != ConversationStatus.RESOLVED.value:
        return True
    return conv.resolved_at is not None and now - conv.resolved_at <= REOPEN_WITHIN


def open_new(
    session: Session,
    customer: m.Customer,
    channel: Channel,
    *,
    subject: str,
    at: datetime,
    language: str | None = None,
) -> m.Conversation:
    """A new open conversation with its SLA clocks started at ``at`` (targets from
    the stored SLA policy on the shop's business calendar, ``server.sla.store``)."""
    from csdesk.server.sla.store import due_times as policy_due_times

    priority = Priority.NORMAL
    first_due, resolution_due = policy_due_times(session, channel, priority, at)
    conv = m.Conversation(
        id=new_id(),
        realm=customer.realm,
        customer_id=customer.id,
        channel=channel.value,
        subject=subject[:300],
        status=ConversationStatus.OPEN.value,
        priority=priority.value,
        language=language or customer.language or "en",
        tags=[],
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        last_message_at=at,
        message_count=0,
        created_at=at,
    )
    session.add(conv)
    return conv


def preview_of(text: str, attachment_names: Sequence[str] = ()) -> str:
    stripped = text.strip()
    if stripped:
        return stripped.splitlines()[0][:300]
    if attachment_names:
        return ("📎 " + ", ".join(attachment_names))[:300]
    return ""


def record_inbound(
    conv: m.Conversation,
    at: datetime,
    preview: str,
    *,
    is_auto: bool,
    reopen: bool = True,
) -> bool:
    """Account for one inbound message in ``conv``; True when it was reopened.

    An auto-reply or bounce is filed without touching the status or the waiting clock: it is
    nobody's turn to answer it, and reopening on it would let two autoresponders loop.
    """
    conv.message_count = (conv.message_count or 0) + 1
    conv.last_message_at = max(conv.last_message_at or at, at)
    if preview:
        conv.preview = preview
    if is_auto:
        return False
    conv.last_inbound_at = max(conv.last_inbound_at or at, at)
    if conv.waiting_since is None:
        conv.waiting_since = at
    reopened = False
    if conv.status != ConversationStatus.OPEN.value and reopen:
        reopened = conv.status == ConversationStatus.RESOLVED.value
        reopens.record(conv, at, reopens.CUSTOMER)  # the reopen rate's event (docs/kpis.md)
        conv.status = ConversationStatus.OPEN.value
        conv.snoozed_until = None
        conv.resolved_at = None
    return reopened


def add_tag(conv: m.Conversation, tag: str) -> None:
    tags = list(conv.tags or [])
    if tag not in tags:
        conv.tags = [*tags, tag]
