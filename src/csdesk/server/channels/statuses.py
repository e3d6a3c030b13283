"""Delivery receipts applied to the messages we sent, never moving a status backwards.

Providers deliver receipts out of order and more than once (a late "delivered" after "read",
a retry of "sent"); ``domain.delivery.advance`` decides what to keep.  A receipt can also
arrive before the dispatcher recorded the provider's id for the send it answers; it is parked
in ``early_statuses`` and applied when the id is stored (``apply_early``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from csdesk.domain.delivery import advance
from csdesk.domain.enums import Channel, DeliveryStatus, Direction, IdentityKind, Realm
from csdesk.server.channels.email_report import failure_reason
from csdesk.server.channels.inbound import DeliveryReport, StatusUpdate
from csdesk.server.channels.ingest import find_message
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

_WATERMARK_KINDS = {
    Channel.MESSENGER: IdentityKind.MESSENGER,
    Channel.INSTAGRAM: IdentityKind.INSTAGRAM,
}
#: Receipts for ids we never learn (messages sent from the provider's console) are dropped
#: after this long.
EARLY_STATUS_TTL = timedelta(hours=6)
_GENERIC_FAILURE = "The provider could not deliver the message"


def failure_text(error_code: str | None, error_reason: str | None) -> str:
    """What the agent reads under a failed message."""
    if error_reason:
        return error_reason[:500]
    if error_code:
        return f"{_GENERIC_FAILURE} (error {error_code})"[:500]
    return _GENERIC_FAILURE


def apply_to(
    msg: m.Message,
    status: DeliveryStatus,
    at: datetime,
    *,
    error_code: str | None = None,
    error_reason: str | None = None,
) -> bool:
    """Move ``msg`` to ``status`` if that is forward; True when something changed."""
    if msg.direction != Direction.OUT.value or msg.is_note:
        return False
    current = DeliveryStatus(msg.delivery_status)
    new = advance(current, status)
    if new == current:
        return False
    msg.delivery_status = new.value
    if new == DeliveryStatus.FAILED:
        msg.failure_reason = failure_text(error_code, error_reason)
    elif new in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ):
        msg.failure_reason = None
        if msg.sent_at is None:
            msg.sent_at = at
    return True


def apply_status(session: Session, update: StatusUpdate) -> int:
    """Apply one receipt; the number of messages whose status changed."""
    if not update.provider_message_id:
        return _apply_watermark(session, update)
    msg = find_message(session, update.channel, update.provider_message_id)
    if msg is None:
        session.add(
            m.EarlyStatus(
                channel=update.channel.value,
                provider_message_id=update.provider_message_id[:255],
                status=update.status.value,
                at=update.at,
                error_code=(update.error_code or None) and update.error_code[:64],
                error_reason=(update.error_reason or None) and update.error_reason[:500],
            )
        )
        return 0
    changed = apply_to(
        msg,
        update.status,
        update.at,
        error_code=update.error_code,
        error_reason=update.error_reason,
    )
    return int(changed)


def apply_bounce(
    session: Session, report: DeliveryReport, at: datetime, *, conversation_id: str
) -> m.Message | None:
    """Mark the message a bounce returns failed, naming the recipient and the status.

    Only our own outbound message in the conversation the bounce was filed in, and only for a
    permanent failure ("delayed" reports leave it as it is). The message it marked, if any.
    """
    if not report.failed or not report.original_message_id:
        return None
    msg = find_message(session, Channel.EMAIL, report.original_message_id)
    if msg is None or msg.conversation_id != conversation_id:
        return None
    return (
        msg
        if apply_to(msg, DeliveryStatus.FAILED, at, error_reason=failure_reason(report))
        else None
    )


def _apply_watermark(session: Session, update: StatusUpdate) -> int:
    """Messenger/Instagram: every message to ``recipient`` sent up to the watermark."""
    kind = _WATERMARK_KINDS.get(update.channel)
    if kind is None or update.watermark is None or not update.recipient:
        return 0
    identity = session.scalars(
        select(m.CustomerIdentity).where(
            m.CustomerIdentity.realm == Realm.PRODUCTION.value,
            m.CustomerIdentity.kind == kind.value,
            m.CustomerIdentity.value == update.recipient,
        )
    ).first()
    if identity is None:
        return 0
    candidates = session.scalars(
        select(m.Message)
        .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
        .where(
            m.Conversation.customer_id == identity.customer_id,
            m.Message.channel == update.channel.value,
            m.Message.direction == Direction.OUT.value,
            m.Message.delivery_status.in_(
                [DeliveryStatus.SENT.value, DeliveryStatus.DELIVERED.value]
            ),
            m.Message.sent_at <= update.watermark,
        )
    )
    return sum(apply_to(msg, update.status, update.at) for msg in candidates)


def apply_early(session: Session, msg: m.Message) -> None:
    """Apply receipts that arrived before ``msg`` got its provider id, then forget them."""
    if not msg.provider_message_id:
        return
    early = list(
        session.scalars(
            select(m.EarlyStatus)
            .where(
                m.EarlyStatus.channel == msg.channel,
                m.EarlyStatus.provider_message_id == msg.provider_message_id,
            )
            .order_by(m.EarlyStatus.id)
        )
    )
    for row in early:
        apply_to(
            msg,
            DeliveryStatus(row.status),
            row.at,
            error_code=row.error_code,
            error_reason=row.error_reason,
        )
        session.delete(row)


def prune_early(session: Session) -> None:
    session.execute(
        delete(m.EarlyStatus).where(m.EarlyStatus.received_at < utcnow() - EARLY_STATUS_TTL)
    )
