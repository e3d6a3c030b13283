"""Replies to side conversations: matched before a mail is filed as a customer's, and kept in
the side conversation, never in the customer's thread and never as a new conversation.

A mail belongs to a side conversation when its In-Reply-To or References name the Message-ID
of a mail we sent there (``<side.<id>@…>``), or, for a mail client that drops those headers,
when its subject carries the side conversation's token (``[#S…]``). A bounce of our mail
threads the same way (its returned headers) and marks that mail failed, saying why. The
reply's text is kept as plain text, bounded; its files are named, not kept.
"""

from __future__ import annotations

import logging
import uuid
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain import side_mail as rules
from csdesk.domain.side_mail import SideStatus
from csdesk.server.channels.inbound import InboundMessage
from csdesk.server.channels.ingest import ThreadHint
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)

#: Message-IDs looked at per mail (In-Reply-To and the newest References).
_MAX_IDS: Final = 30


def _ours(ids: tuple[str, ...]) -> list[str]:
    return [i[:255] for i in ids[:_MAX_IDS] if i.startswith("<side.")]


def _match(
    s: Session, msg: InboundMessage, realm: str
) -> tuple[m.SideConversation, m.SideMessage | None] | None:
    hint = ThreadHint.from_email(msg)
    wanted = _ours(hint.provider_ids)
    if wanted:
        S = m.SideMessage
        sent = s.scalars(
            select(S).where(
                S.provider_message_id.in_(wanted),
                S.direction == rules.Direction.OUT.value,
                S.realm == realm,
            )
        ).first()
        if sent is not None:
            side = s.get(m.SideConversation, sent.side_conversation_id)
            if side is not None:
                return side, sent
    token = rules.token_in(msg.subject)
    if token is None and msg.report is not None:
        token = rules.token_in(msg.report.original_subject)
    if token is None:
        return None
    C = m.SideConversation
    side = s.scalars(select(C).where(C.token == token, C.realm == realm)).first()
    return (side, None) if side is not None else None


def _text(msg: InboundMessage) -> str:
    text = (msg.text or "").strip() or "(no text)"
    names = [a.filename for a in msg.attachments if a.filename]
    if names:
        text += "\n(Files not kept: " + ", ".join(names)[:500] + ")"
    return rules.bounded(text, rules.MAX_REPLY_CHARS)


def file_side_reply(s: Session, msg: InboundMessage, *, realm: str) -> bool:
    """Keep ``msg`` in its side conversation; False when it answers none (file it as usual)."""
    found = _match(s, msg, realm)
    if found is None:
        return False
    side, sent = found
    S = m.SideMessage
    pid = msg.provider_message_id[:255]
    already = s.scalar(
        select(S.id).where(
            S.side_conversation_id == side.id,
            S.direction == rules.Direction.IN.value,
            S.provider_message_id == pid,
        )
    )
    if already is not None:
        return True  # the same mail read again (a renumbered mailbox)
    count = s.scalar(select(func.count()).select_from(S).where(S.side_conversation_id == side.id))
    if (count or 0) >= rules.MAX_MESSAGES:
        log.warning(
            "side conversation %s is full (%d mails): %s not kept; it stays in the mailbox",
            side.id,
            rules.MAX_MESSAGES,
            pid[:200],
        )
        return True
    now = utcnow()
    if msg.report is not None and sent is not None and sent.status == SideStatus.SENT.value:
        sent.status = SideStatus.FAILED.value
        failed = msg.report.failed or msg.report.recipients
        why = "; ".join(f"{r.recipient} {r.status}".strip() for r in failed[:3]) or "undelivered"
        sent.failure_reason = f"Returned by the mail system: {why}"[:500]
    sender = msg.sender_handle.value if msg.sender_handle else ""
    s.add(
        S(
            id=str(uuid.uuid4()),
            realm=side.realm,
            side_conversation_id=side.id,
            conversation_id=side.conversation_id,
            direction=rules.Direction.IN.value,
            author_name=(msg.sender_name or sender or "Unknown sender")[:200],
            from_address=sender[:320],
            body_text=_text(msg),
            status=SideStatus.RECEIVED.value,
            provider_message_id=pid,
            sent_at=msg.sent_at,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
    )
    side.reply_count = (side.reply_count or 0) + 1
    side.last_in_at = now
    s.flush()
    log.info("email: %s filed in side conversation %s", pid[:200], side.id)
    return True
