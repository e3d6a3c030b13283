"""The facts rules are evaluated against, read from the database: for one conversation at
ingest, or for a few hundred at once for the dry run (a handful of queries, not one per row)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Direction, OrderStatus
from csdesk.domain.routing import TEXT_LIMIT, Facts
from csdesk.storage import models as m


def _largest_orders(session: Session, customer_ids: Sequence[str]) -> dict[str, int]:
    if not customer_ids:
        return {}
    Ord = m.Order
    rows = session.execute(
        select(Ord.customer_id, func.max(Ord.total_cents))
        .where(Ord.customer_id.in_(customer_ids), Ord.status != OrderStatus.CANCELLED.value)
        .group_by(Ord.customer_id)
    )
    return {cid: int(v or 0) for cid, v in rows}


def _lifetimes(session: Session, customer_ids: Sequence[str]) -> dict[str, int]:
    if not customer_ids:
        return {}
    S = m.CustomerStats
    rows = session.execute(select(S.id, S.lifetime_value_cents).where(S.id.in_(customer_ids)))
    return {cid: int(v or 0) for cid, v in rows}


def of(
    conv: m.Conversation, customer: m.Customer | None, text: str, largest: int, lifetime: int
) -> Facts:
    return Facts(
        channel=conv.channel,
        language=conv.language or (customer.language if customer else "") or "",
        subject=conv.subject or "",
        text=text[:TEXT_LIMIT],
        tier=customer.loyalty_tier if customer else "none",
        customer_tags=frozenset(
            t for t in ((customer.tags or []) if customer else []) if isinstance(t, str)
        ),
        largest_order_cents=largest,
        lifetime_cents=lifetime,
        at=conv.created_at,
    )


def for_message(session: Session, conv: m.Conversation, message: m.Message, at: datetime) -> Facts:
    """The facts when ``message`` arrives in ``conv`` at ``at``."""
    customer = session.get(m.Customer, conv.customer_id)
    largest = _largest_orders(session, [conv.customer_id]).get(conv.customer_id, 0)
    lifetime = _lifetimes(session, [conv.customer_id]).get(conv.customer_id, 0)
    facts = of(conv, customer, message.body_text or "", largest, lifetime)
    return replace(facts, subject=message.subject or conv.subject or "", at=at)


def recent(session: Session, realm: str, limit: int) -> list[Facts]:
    """The facts of the ``limit`` most recent conversations of ``realm`` as they arrived: the
    first inbound message's text, the customer as they are now."""
    C = m.Conversation
    convs = list(
        session.scalars(
            select(C)
            .where(C.realm == realm, C.deleted_at.is_(None))
            .order_by(C.created_at.desc(), C.id)
            .limit(limit)
        )
    )
    if not convs:
        return []
    ids = [c.id for c in convs]
    M = m.Message
    first = (
        select(M.conversation_id, func.min(M.created_at).label("at"))
        .where(M.conversation_id.in_(ids), M.direction == Direction.IN.value)
        .group_by(M.conversation_id)
        .subquery()
    )
    texts: dict[str, str] = {}
    for cid, body in session.execute(
        select(M.conversation_id, func.substr(M.body_text, 1, TEXT_LIMIT)).join(
            first, (M.conversation_id == first.c.conversation_id) & (M.created_at == first.c.at)
        )
    ):
        texts.setdefault(cid, body or "")
    cust_ids = sorted({c.customer_id for c in convs})
    customers = {
        c.id: c for c in session.scalars(select(m.Customer).where(m.Customer.id.in_(cust_ids)))
    }
    largest = _largest_orders(session, cust_ids)
    lifetime = _lifetimes(session, cust_ids)
    return [
        of(
            c,
            customers.get(c.customer_id),
            texts.get(c.id, c.preview or ""),
            largest.get(c.customer_id, 0),
            lifetime.get(c.customer_id, 0),
        )
        for c in convs
    ]
