"""Proactive outreach: which orders are late, the sentence that says how, and where a customer
may be written to first. Standard library only; the server's detector and the desk share it.

The best shops tell a customer about a delay before the customer asks. An order is late when
its parcel is past the carrier's estimate and not delivered, when the carrier has said nothing
for ``stale_days``, when the carrier reports an exception, or when it has not been shipped
within the promised ``ship_days``. One order has at most one reason (the most telling, in the
order of ``DelayReason``); the server keeps one outreach record per order and reason, and
never writes twice about one order.

Writing first is not allowed everywhere: WhatsApp allows free text only within 24 hours of the
customer's last message (an approved template otherwise); Telegram only once the customer has
started the bot (a chat id); Messenger only within 24 hours of the customer's last message
(a page may not open a conversation, and the HUMAN_AGENT tag is for answers, not news).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from csdesk.domain.phrase import Phrase

#: Carrier states that mean the parcel has arrived (nothing to tell the customer).
DELIVERED_STATES: Final = frozenset({"delivered"})
#: Carrier states that report a problem (customs, address, damaged, returned to sender).
EXCEPTION_STATES: Final = frozenset({"exception", "failed_attempt", "returned"})
#: Order states that no longer need shipping (or never will).
DONE_ORDER_STATES: Final = frozenset({"shipped", "delivered", "cancelled"})
WINDOW: Final = timedelta(hours=24)


class DelayReason(StrEnum):
    """Why an order is late, most telling first."""

    EXCEPTION = "exception"  # the carrier reports a problem
    PAST_ETA = "past_eta"  # the estimated delivery passed without delivery
    STALE = "stale"  # no carrier update for ``stale_days``
    UNSHIPPED = "unshipped"  # not shipped within the promised time


class OutreachStatus(StrEnum):
    OPEN = "open"  # to review and send
    SENT = "sent"  # a conversation was started about it
    DISMISSED = "dismissed"  # an agent decided not to write
    CLEARED = "cleared"  # the delay resolved itself before anyone wrote (delivered, shipped)


@dataclass(frozen=True, slots=True)
class ShipmentFacts:
    status: str
    eta: datetime | None
    last_update_at: datetime | None  # the carrier's last scan or status change
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class OrderFacts:
    status: str
    placed_at: datetime
    shipments: tuple[ShipmentFacts, ...]


@dataclass(frozen=True, slots=True)
class Delay:
    reason: DelayReason
    #: Since when the order is late (the ETA, the last update, the promised ship date).
    since: datetime
    days: int


def find_delay(
    order: OrderFacts, now: datetime, *, stale_days: int, ship_days: int
) -> Delay | None:
    """The order's delay at ``now``, or None when it is on time (or done, or cancelled)."""
    if order.status == "cancelled" or order.status == "delivered":
        return None
    live = [
        s for s in order.shipments if s.status not in DELIVERED_STATES and s.delivered_at is None
    ]
    if not order.shipments or all(s.status == "label_created" for s in order.shipments):
        if order.status in DONE_ORDER_STATES:
            return None
        promised = order.placed_at + timedelta(days=ship_days)
        if now > promised:
            return Delay(DelayReason.UNSHIPPED, promised, _days(now - promised))
        return None
    if not live:
        return None
    for s in live:
        if s.status in EXCEPTION_STATES:
            since = s.last_update_at or s.eta or order.placed_at
            return Delay(DelayReason.EXCEPTION, since, _days(now - since))
    for s in live:
        if s.eta is not None and s.eta < now:
            return Delay(DelayReason.PAST_ETA, s.eta, _days(now - s.eta))
    for s in live:
        if s.last_update_at is not None and now - s.last_update_at > timedelta(days=stale_days):
            return Delay(DelayReason.STALE, s.last_update_at, _days(now - s.last_update_at))
    return None


def _days(span: timedelta) -> int:
    return max(span.days, 0)


def delay_sentence(number: str, delay: Delay, carrier: str | None = None) -> str:
    """What the agent reads in the outreach list: one full sentence (English, like the audit).

    The customer's message comes from a canned response in their language; this sentence is
    for the desk."""
    days = delay.days
    span = "less than a day" if days == 0 else f"{days} day{'s' if days != 1 else ''}"
    who = carrier or "The carrier"
    if delay.reason == DelayReason.EXCEPTION:
        return f"Order {number}: {who} reports a delivery problem (for {span})."
    if delay.reason == DelayReason.PAST_ETA:
        return (
            f"Order {number} is {span} past its estimated delivery of "
            f"{delay.since:%Y-%m-%d} and not delivered."
        )
    if delay.reason == DelayReason.STALE:
        return f"Order {number}: {who} has reported nothing for {span}."
    return (
        f"Order {number} has not shipped; it was promised to ship by "
        f"{delay.since:%Y-%m-%d} ({span} ago)."
    )


class FirstContact(StrEnum):
    """Whether a desk may open a conversation on a channel, and how."""

    FREE = "free"  # free text is fine
    TEMPLATE = "template"  # WhatsApp outside the window: an approved template only
    REFUSED = "refused"  # the provider does not let the shop write first


def first_contact(
    channel: str, last_inbound_at: datetime | None, now: datetime, *, has_address: bool
) -> tuple[FirstContact, Phrase | None]:
    """May the shop write first on ``channel``? With the reason the agent is told when not
    (in the desk's language: a ``Phrase``).

    ``last_inbound_at`` is the customer's latest message on that channel (any conversation);
    ``has_address`` whether they have an identity there (for Telegram: a chat id)."""
    within = last_inbound_at is not None and now - last_inbound_at <= WINDOW
    if not has_address:
        if channel == "telegram":
            return FirstContact.REFUSED, Phrase(
                "Telegram lets a bot write only to people who started it; this customer "
                "has no Telegram chat with the shop's bot."
            )
        return FirstContact.REFUSED, Phrase(
            "The customer has no {channel} address.", channel=channel
        )
    if channel in ("chat", "phone"):
        return FirstContact.REFUSED, Phrase(
            "A live chat or a phone call cannot be started as a written conversation; "
            "choose email, SMS, WhatsApp, Messenger or Telegram."
        )
    if channel == "instagram":
        return FirstContact.REFUSED, Phrase(
            "Instagram does not let a business write first; wait for the customer or use "
            "another channel."
        )
    if channel == "whatsapp" and not within:
        return FirstContact.TEMPLATE, Phrase(
            "WhatsApp allows free text only within 24 hours of the customer's last message; "
            "send an approved template."
        )
    if channel == "messenger" and not within:
        return FirstContact.REFUSED, Phrase(
            "Messenger lets a page write first only within 24 hours of the customer's last "
            "message (a message tag is for answers, not news); use another channel."
        )
    return FirstContact.FREE, None


#: The order channels are preferred in when the customer's last contact says nothing.
CHANNEL_PREFERENCE: Final = ("email", "sms", "whatsapp", "telegram", "messenger")
#: The identity kind a channel writes to.
CHANNEL_KIND: Final = {
    "email": "email",
    "sms": "phone",
    "whatsapp": "whatsapp",
    "telegram": "telegram",
    "messenger": "messenger",
    "instagram": "instagram",
}


def channel_candidates(last_used: str | None, kinds: dict[str, bool]) -> list[str]:
    """Channels to write on, best first: the last one the customer used if they still have an
    address there, then verified ones in ``CHANNEL_PREFERENCE``, then the unverified rest.
    ``kinds`` maps identity kinds the customer has to whether one is verified. The caller
    takes the first that ``first_contact`` does not refuse."""
    out: list[str] = []
    if last_used is not None and CHANNEL_KIND.get(last_used) in kinds:
        out.append(last_used)
    for verified_only in (True, False):
        for channel in CHANNEL_PREFERENCE:
            kind = CHANNEL_KIND[channel]
            if kind in kinds and (kinds[kind] or not verified_only) and channel not in out:
                out.append(channel)
    return out
