"""The shape of a demo inbox: which stories, channels and statuses.

Kept apart from the thread text so the numbers an instructor may want to tune (how many
conversations wait unassigned, which channels customers pick) sit in one short file; the SLA
targets are the live ones from ``csdesk.domain.sla_targets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate

from csdesk.domain.enums import Channel, ConversationStatus, Priority

# The SLA targets live in the domain (live ingestion uses them too); re-exported for the demo.
from csdesk.domain.sla_targets import DAY as DAY
from csdesk.domain.sla_targets import FIRST_RESPONSE as FIRST_RESPONSE
from csdesk.domain.sla_targets import HOUR as HOUR
from csdesk.domain.sla_targets import MINUTE as MINUTE
from csdesk.domain.sla_targets import RESOLUTION as RESOLUTION
from csdesk.domain.sla_targets import sla_class as sla_class

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

BUMP = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


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
