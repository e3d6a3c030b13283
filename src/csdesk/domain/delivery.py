"""Delivery-status ordering: a late "delivered" never undoes "read"."""

from __future__ import annotations

from csdesk.domain.enums import DeliveryStatus

_RANK: dict[DeliveryStatus, int] = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.READ: 4,
    DeliveryStatus.RECEIVED: 4,
    # A failure can arrive after "sent" (the carrier gave up) but not after "read".
    DeliveryStatus.FAILED: 3,
}


def advance(current: DeliveryStatus, incoming: DeliveryStatus) -> DeliveryStatus:
    """Return the status to keep when ``incoming`` arrives while ``current`` is stored."""
    if incoming == DeliveryStatus.FAILED:
        return (
            incoming
            if current in (DeliveryStatus.PENDING, DeliveryStatus.QUEUED, DeliveryStatus.SENT)
            else current
        )
    if current == DeliveryStatus.FAILED and incoming in (DeliveryStatus.QUEUED,):
        return incoming  # an agent's retry re-queues a failed message
    return incoming if _RANK[incoming] > _RANK[current] else current
