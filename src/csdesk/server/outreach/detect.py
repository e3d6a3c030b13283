"""The delay detector: opens an outreach record for each late order (``domain.outreach``).

One round reads the orders that are not done (placed, paid, shipped) with their parcels, asks
``find_delay`` about each, and

* opens a record (order, reason, a sentence, the channel to write on, the proposed message)
  for a late order that has none open and was never written to about;
* clears the open records whose order is no longer late (delivered, shipped meanwhile), so
  the list holds only what is still worth saying.

A parcel's last carrier update is its row's ``updated_at`` (connectors rewrite the row when
the carrier reports). The unique (realm, order, reason) key makes two processes' rounds safe:
the second insert of a record fails and that round retries next time; an order already
written to about is never written to again (see ``outreach.send``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.outreach import (
    CHANNEL_KIND,
    DelayReason,
    FirstContact,
    OrderFacts,
    OutreachStatus,
    ShipmentFacts,
    channel_candidates,
    delay_sentence,
    find_delay,
    first_contact,
)
from csdesk.server.channels.customers import new_id
from csdesk.server.outreach.proposal import propose
from csdesk.storage import models as m

log = logging.getLogger(__name__)

#: Orders read per query (a big store is scanned in pages).
PAGE: Final = 1000
ACTIVE_ORDER_STATES: Final = ("placed", "paid", "shipped")


@dataclass(frozen=True, slots=True)
class Scan:
    opened: int
    cleared: int


def _channel_for(session: Session, customer: m.Customer, now: datetime) -> tuple[str | None, str]:
    """(channel, detail): where to write to ``customer`` first, and what the desk must know."""
    kinds: dict[str, bool] = {}
    for kind, verified in session.execute(
        select(m.CustomerIdentity.kind, m.CustomerIdentity.verified).where(
            m.CustomerIdentity.customer_id == customer.id
        )
    ):
        kinds[str(kind)] = kinds.get(str(kind), False) or bool(verified)
    if customer.email and "email" not in kinds:
        kinds["email"] = False
    inbound = dict(
        session.execute(
            select(m.Conversation.channel, func.max(m.Conversation.last_inbound_at))
            .where(m.Conversation.customer_id == customer.id, m.Conversation.deleted_at.is_(None))
            .group_by(m.Conversation.channel)
        ).all()
    )
    last_used = session.scalar(
        select(m.Conversation.channel)
        .where(m.Conversation.customer_id == customer.id, m.Conversation.deleted_at.is_(None))
        .order_by(m.Conversation.last_message_at.desc())
        .limit(1)
    )
    for channel in channel_candidates(last_used, kinds):
        how, why = first_contact(
            channel, inbound.get(channel), now, has_address=CHANNEL_KIND[channel] in kinds
        )
        if how is FirstContact.REFUSED:
            continue
        unverified = not kinds.get(CHANNEL_KIND[channel], False)
        detail = why.text if how is FirstContact.TEMPLATE and why is not None else ""
        if unverified:
            detail = (detail + " " if detail else "") + "The address is not verified."
        return channel, detail
    return None, "The customer has no address the shop may write to first."


def scan(session: Session, now: datetime, *, stale_days: int, ship_days: int) -> Scan:
    """One round of the detector (see the module docstring). The caller commits."""
    opened = cleared = 0
    # Only the open records are kept in memory across pages (for clearing); the others are
    # read page by page with their orders.
    still_open = {
        rec.id: rec
        for rec in session.scalars(
            select(m.Outreach).where(m.Outreach.status == OutreachStatus.OPEN.value)
        )
    }
    late: set[str] = set()
    after = ""
    while True:
        orders = list(
            session.scalars(
                select(m.Order)
                .where(m.Order.status.in_(ACTIVE_ORDER_STATES), m.Order.id > after)
                .order_by(m.Order.id)
                .limit(PAGE)
            )
        )
        if not orders:
            break
        after = orders[-1].id
        parcels: dict[str, list[m.Shipment]] = defaultdict(list)
        for ship in session.scalars(
            select(m.Shipment).where(m.Shipment.order_id.in_([o.id for o in orders]))
        ):
            parcels[ship.order_id].append(ship)
        records: dict[str, list[m.Outreach]] = defaultdict(list)
        for rec in session.scalars(
            select(m.Outreach).where(m.Outreach.order_id.in_([o.id for o in orders]))
        ):
            records[rec.order_id].append(rec)
        for order in orders:
            facts = OrderFacts(
                order.status,
                order.placed_at,
                tuple(
                    ShipmentFacts(s.status, s.eta, s.updated_at, s.delivered_at)
                    for s in parcels[order.id]
                ),
            )
            delay = find_delay(facts, now, stale_days=stale_days, ship_days=ship_days)
            if delay is None:
                continue
            late.add(order.id)
            mine = records[order.id]
            if any(r.status != OutreachStatus.CLEARED.value for r in mine):
                continue  # open, written to or dismissed already: never a second record
            if any(r.reason == delay.reason.value for r in mine):
                continue  # cleared once for this reason, late again: the key allows one
            customer = session.get(m.Customer, order.customer_id)
            if customer is None or customer.merged_into_id is not None:
                continue
            parcel = _parcel(parcels[order.id], delay.reason)
            language, subject, message = propose(session, customer, order, parcel, delay.reason)
            channel, detail = _channel_for(session, customer, now)
            if customer.contact_opt_out:
                detail = "The customer asked not to be contacted first."
            rec = m.Outreach(
                id=new_id(),
                realm=order.realm,
                order_id=order.id,
                customer_id=customer.id,
                reason=delay.reason.value,
                delay=delay_sentence(order.number, delay, parcel.carrier if parcel else None),
                channel=channel,
                language=language,
                subject=subject,
                message=message,
                status=OutreachStatus.OPEN.value,
                detail=detail[:500],
                created_at=now,
                updated_at=now,
            )
            session.add(rec)
            opened += 1
    for rec in still_open.values():
        if rec.order_id not in late:
            rec.status = OutreachStatus.CLEARED.value
            rec.detail = "The order is no longer late."
            rec.updated_at = now
            cleared += 1
    session.flush()
    return Scan(opened, cleared)


def _parcel(ships: list[m.Shipment], reason: DelayReason) -> m.Shipment | None:
    if reason == DelayReason.UNSHIPPED or not ships:
        return None
    live = [s for s in ships if s.delivered_at is None and s.status != "delivered"]
    return (live or ships)[0]
