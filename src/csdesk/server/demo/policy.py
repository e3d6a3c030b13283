"""The shape of a demo inbox: which stories, channels and statuses, and the SLA clock.

Kept apart from the thread text so the numbers an instructor may want to tune (how many
conversations wait unassigned, how quick a chat must be answered) sit in one short file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate

from csdesk.domain.enums import Channel, ConversationStatus, Priority

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

#: Relative frequency of each story when the customer's orders allow it.
SCENARIO_WEIGHTS: dict[str, float] = {
    "wismo": 18,
    "delayed": 16,
    "wrong_size": 10,
    "refund": 12,
    "damaged": 7,
    "address_change": 6,
    "cancel_order": 5,
    "discount_code": 6,
    "product_question": 6,
}
SCENARIO_TAGS: dict[str, str] = {
    "wismo": "where-is-my-order",
    "delayed": "delayed-shipment",
    "wrong_size": "exchange",
    "refund": "refund",
    "damaged": "damaged-item",
    "address_change": "address-change",
    "cancel_order": "cancellation",
    "discount_code": "discount-code",
    "product_question": "product-question",
}
#: How customers of an online store choose among the channels they have.
CHANNEL_WEIGHTS: dict[Channel, float] = {
    Channel.EMAIL: 34,
    Channel.CHAT: 16,
    Channel.PHONE: 7,
    Channel.SMS: 6,
    Channel.WHATSAPP: 16,
    Channel.MESSENGER: 8,
    Channel.INSTAGRAM: 8,
    Channel.TELEGRAM: 5,
}
RETURNS_TEAM = "Returns"
FRONT_TEAM = "Tier 1"
VIP_TEAM = "VIP"
TEAM_NAMES = (FRONT_TEAM, RETURNS_TEAM, VIP_TEAM)
RETURNS_SCENARIOS = frozenset({"wrong_size", "refund", "damaged"})

_REALTIME = frozenset({Channel.CHAT, Channel.PHONE})
#: First-response targets: a chat or call is expected within minutes, a message within
#: hours, an email within a working day.
FIRST_RESPONSE: dict[str, dict[Priority, timedelta]] = {
    "email": {
        Priority.URGENT: HOUR,
        Priority.HIGH: 4 * HOUR,
        Priority.NORMAL: 8 * HOUR,
        Priority.LOW: DAY,
    },
    "messaging": {
        Priority.URGENT: 30 * MINUTE,
        Priority.HIGH: HOUR,
        Priority.NORMAL: 2 * HOUR,
        Priority.LOW: 4 * HOUR,
    },
    "realtime": {
        Priority.URGENT: 10 * MINUTE,
        Priority.HIGH: 15 * MINUTE,
        Priority.NORMAL: 30 * MINUTE,
        Priority.LOW: HOUR,
    },
}
RESOLUTION: dict[Priority, timedelta] = {
    Priority.URGENT: 8 * HOUR,
    Priority.HIGH: DAY,
    Priority.NORMAL: 2 * DAY,
    Priority.LOW: 4 * DAY,
}
BUMP = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


def sla_class(channel: Channel) -> str:
    if channel == Channel.EMAIL:
        return "email"
    return "realtime" if channel in _REALTIME else "messaging"


@dataclass(frozen=True, slots=True)
class ThreadPolicy:
    """How a realm's inbox looks: the share of each status and of unassigned open work."""

    statuses: tuple[ConversationStatus, ...]
    status_cum: tuple[float, ...]
    unassigned_open: float
    max_age: timedelta

    @classmethod
    def of(
        cls, weights: dict[ConversationStatus, float], unassigned_open: float, max_age: timedelta
    ) -> ThreadPolicy:
        return cls(tuple(weights), tuple(accumulate(weights.values())), unassigned_open, max_age)


PRODUCTION_POLICY = ThreadPolicy.of(
    {
        ConversationStatus.OPEN: 26,
        ConversationStatus.PENDING: 14,
        ConversationStatus.SNOOZED: 8,
        ConversationStatus.RESOLVED: 52,
    },
    unassigned_open=0.45,
    max_age=60 * DAY,
)
TRAINING_POLICY = ThreadPolicy.of(
    {
        ConversationStatus.OPEN: 70,
        ConversationStatus.PENDING: 10,
        ConversationStatus.RESOLVED: 20,
    },
    unassigned_open=0.8,
    max_age=10 * DAY,
)
