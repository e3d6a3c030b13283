"""A conversation's message-derived fields, recomputed from its messages.

A merge or a split moves messages between conversations, so the fields the inbox sorts and
filters on (``message_count``, ``last_message_at``, ``preview``, ``last_inbound_at``,
``waiting_since``) are recomputed from what the conversation now holds, by the same rules as
``channels.conversations.record_inbound`` and ``sync.mutations.send`` keep them one message
at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus, Direction
from csdesk.server.channels.conversations import preview_of
from csdesk.storage import models as m

#: What a merge records of each conversation, so an undo puts it back exactly.
FIELDS = (
    "status",
    "priority",
    "assignee_id",
    "team_id",
    "tags",
    "snoozed_until",
    "resolved_at",
    "first_response_at",
    "last_message_at",
    "last_inbound_at",
    "waiting_since",
    "message_count",
    "preview",
    "merged_into_id",
    "merged_at",
)
#: The fields a merge changes on the conversation merged into (its own status, assignee and
#: tags are the agents' and stay as they are).
COUNTED = (
    "last_message_at",
    "last_inbound_at",
    "waiting_since",
    "message_count",
    "preview",
)
#: What a merge changes on the target when it reopened it (an open question came in).
REOPENED = ("status", "snoozed_until", "resolved_at")
_TIMES = frozenset(
    {"snoozed_until", "resolved_at", "first_response_at", "last_message_at",
     "last_inbound_at", "waiting_since", "merged_at"}
)  # fmt: skip


def snapshot(conv: m.Conversation) -> dict[str, Any]:
    """``FIELDS`` of ``conv`` as JSON values (times as ISO text)."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(conv, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def restore(conv: m.Conversation, snap: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Put ``fields`` of ``conv`` back as ``snapshot`` recorded them."""
    for name in fields:
        if name not in snap:
            continue
        value = snap[name]
        if name in _TIMES and isinstance(value, str):
            value = datetime.fromisoformat(value)
        setattr(conv, name, list(value) if isinstance(value, list) else value)


def message_count(session: Session, conversation_id: str) -> int:
    return len(
        session.scalars(
            select(m.Message.id).where(m.Message.conversation_id == conversation_id)
        ).all()
    )


def recount(session: Session, conv: m.Conversation) -> None:
    """Recompute ``conv``'s message-derived fields from the messages it holds now."""
    session.flush()
    rows = session.execute(
        select(
            m.Message.created_at,
            m.Message.direction,
            m.Message.is_note,
            m.Message.is_auto,
            m.Message.body_text,
        )
        .where(m.Message.conversation_id == conv.id)
        .order_by(m.Message.created_at, m.Message.id)
    ).all()
    conv.message_count = len(rows)
    if not rows:
        return
    conv.last_message_at = rows[-1].created_at
    visible = [r for r in rows if not r.is_note]
    shown = [r for r in visible if r.body_text.strip()]
    if shown:
        conv.preview = preview_of(shown[-1].body_text)
    inbound = [r.created_at for r in visible if r.direction == Direction.IN.value and not r.is_auto]
    outbound = [r.created_at for r in visible if r.direction == Direction.OUT.value]
    conv.last_inbound_at = max(inbound) if inbound else None
    last_out = max(outbound) if outbound else None
    waiting = [t for t in inbound if last_out is None or t > last_out]
    if conv.status == ConversationStatus.RESOLVED.value:
        conv.waiting_since = None
    else:
        conv.waiting_since = min(waiting) if waiting else None
