"""A conversation's thread and the customer context beside it, read from the local cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.app import conversation_merge as merging
from csdesk.app.order_actions import action_sentence
from csdesk.app.server_notes import note_text
from csdesk.storage import models as m

MC = m.Message.__table__.c


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    direction: str
    is_note: bool
    author_name: str
    author_user_id: str | None
    channel: str
    subject: str
    body_text: str
    body_html: str | None
    attachments: tuple[dict[str, Any], ...]
    delivery_status: str
    failure_reason: str | None
    created_at: datetime
    is_auto: bool = False  # sent by a machine (auto-reply, delivery report, bulk)
    auto_kind: str | None = None
    sender_warning: str | None = None  # the receiving server's failed sender check
    language: str | None = None  # detected on the server (inbound messages), when confident
    #: Machine translations agents asked for, oldest first: {"target", "text", "provider", …}
    translations: tuple[dict[str, Any], ...] = ()
    # Merging conversations (docs/merge-split.md): where a merged-in message came from
    # ("from Email conversation of 3 Dec"); "" for the conversation's own messages.
    merged_from: str = ""


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: str
    channel: str
    subject: str
    status: str
    priority: str
    assignee_id: str | None
    team_id: str | None
    tags: tuple[str, ...]
    customer_id: str
    language: str
    last_inbound_at: datetime | None
    snoozed_until: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    messages: tuple[MessageView, ...]
    # Merging conversations (docs/merge-split.md): the merged conversation that was asked
    # for, when the desk landed on the one it was merged into instead.
    landed_from: str | None = None


@dataclass(frozen=True, slots=True)
class OrderView:
    number: str
    status: str
    total_cents: int
    currency: str
    placed_at: datetime
    shipments: tuple[tuple[str, str, str, datetime | None, datetime | None], ...]
    returns: tuple[tuple[str, str, int], ...]  # status, reason, refund cents
    id: str = ""
    #: The agent's actions on it, newest first, each a sentence with its state
    #: (``app.order_actions.action_sentence``).
    actions: tuple[str, ...] = ()
    #: What csdesk could not read whole of the store's order ("lines", "shipments",
    #: "refunds", "returns"; ``orders.store_incomplete``).
    incomplete: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimView:
    """An identity the customer typed (unproven) and who else has it, if anyone."""

    id: str
    kind: str
    value: str
    match_customer_id: str | None
    match_name: str | None


@dataclass(frozen=True, slots=True)
class StatsView:
    """The server's figures of a customer (``customer_stats``), in the shop's currency."""

    currency: str
    order_count: int
    lifetime_value_cents: int
    average_order_cents: int
    return_rate_bp: int
    other_currency_orders: int
    last_contact_at: datetime | None


@dataclass(frozen=True, slots=True)
class CustomerContext:
    id: str
    name: str
    email: str | None
    phone: str | None
    language: str
    timezone: str
    tags: tuple[str, ...]
    loyalty_tier: str
    loyalty_points: int
    identities: tuple[tuple[str, str], ...]
    orders: tuple[OrderView, ...]
    conversations: tuple[tuple[str, str, str, str, datetime], ...] = field(default=())
    # (id, channel, subject, status, last_message_at), newest first
    claims: tuple[ClaimView, ...] = field(default=())  # not yet acted on, newest first
    notes: str = ""
    since: datetime | None = None  # customer since (the profile's creation)
    verified: tuple[bool, ...] = ()  # beside ``identities``: proven (a reply reached it) or not
    merged_into: str | None = None  # this profile was folded into that one
    merged_here: tuple[tuple[str, str], ...] = ()  # (id, name) of profiles folded into this one
    stats: StatsView | None = None  # None: the server has not sent its figures yet
    store_credit_cents: int = 0  # goodwill credit csdesk granted


def conversation(session: Session, conversation_id: str) -> ConversationView | None:
    # Merging conversations (docs/merge-split.md): a merged one opens where it went.
    asked, conversation_id = conversation_id, merging.landing(session, conversation_id)
    conv = session.get(m.Conversation, conversation_id)
    if conv is None or conv.deleted_at is not None:
        return None
    msgs = (
        session.execute(
            select(m.Message)
            .where(MC.conversation_id == conversation_id)
            .order_by(MC.created_at, MC.id)
        )
        .scalars()
        .all()
    )
    origins = merging.origins(session, {x.merged_from_id for x in msgs if x.merged_from_id})
    return ConversationView(
        id=conv.id,
        channel=conv.channel,
        subject=conv.subject,
        status=conv.status,
        priority=conv.priority,
        assignee_id=conv.assignee_id,
        team_id=conv.team_id,
        tags=tuple(conv.tags or ()),
        customer_id=conv.customer_id,
        language=conv.language,
        last_inbound_at=conv.last_inbound_at,
        snoozed_until=conv.snoozed_until,
        first_response_due_at=conv.first_response_due_at,
        resolution_due_at=conv.resolution_due_at,
        first_response_at=conv.first_response_at,
        messages=tuple(
            MessageView(
                id=x.id,
                direction=x.direction,
                is_note=x.is_note,
                author_name=x.author_name,
                author_user_id=x.author_user_id,
                channel=x.channel,
                subject=x.subject,
                # A server note (SLA warning, split) in the agent's language, else as stored.
                body_text=note_text(x.body_phrases, x.body_text),
                body_html=x.body_html,
                attachments=tuple(x.attachments or ()),
                delivery_status=x.delivery_status,
                failure_reason=x.failure_reason,
                created_at=x.created_at,
                is_auto=bool(x.is_auto),
                auto_kind=x.auto_kind,
                sender_warning=x.sender_warning,
                language=x.language,
                translations=tuple(t for t in (x.translations or ()) if isinstance(t, dict)),
                merged_from=origins.get(x.merged_from_id or "", ""),
            )
            for x in msgs
        ),
        landed_from=asked if asked != conversation_id else None,
    )


def customer_context(
    session: Session, customer_id: str, *, orders: int = 5, conversations: int = 20
) -> CustomerContext | None:
    cust = session.get(m.Customer, customer_id)
    if cust is None:
        return None
    idents = session.execute(
        select(m.CustomerIdentity.kind, m.CustomerIdentity.value, m.CustomerIdentity.verified)
        .where(m.CustomerIdentity.customer_id == customer_id)
        .order_by(m.CustomerIdentity.kind, m.CustomerIdentity.value)
    ).all()
    order_rows = session.scalars(
        select(m.Order)
        .where(m.Order.customer_id == customer_id)
        .order_by(m.Order.placed_at.desc())
        .limit(orders)
    ).all()
    order_views = []
    for o in order_rows:
        ships = session.execute(
            select(
                m.Shipment.carrier,
                m.Shipment.tracking_number,
                m.Shipment.status,
                m.Shipment.eta,
                m.Shipment.delivered_at,
            ).where(m.Shipment.order_id == o.id)
        ).all()
        rets = session.execute(
            select(m.Return.status, m.Return.reason, m.Return.refund_cents).where(
                m.Return.order_id == o.id
            )
        ).all()
        acts = session.scalars(
            select(m.OrderAction)
            .where(m.OrderAction.order_id == o.id)
            .order_by(m.OrderAction.created_at.desc(), m.OrderAction.id)
            .limit(20)
        ).all()
        order_views.append(
            OrderView(
                id=o.id,
                actions=tuple(action_sentence(a) for a in acts),
                number=o.number,
                status=o.status,
                total_cents=o.total_cents,
                currency=o.currency,
                placed_at=o.placed_at,
                shipments=tuple(tuple(s) for s in ships),  # type: ignore[misc]
                returns=tuple(tuple(r) for r in rets),  # type: ignore[misc]
                incomplete=tuple(str(k) for k in (o.store_incomplete or ()) if k),
            )
        )
    convs = session.execute(
        select(
            m.Conversation.id,
            m.Conversation.channel,
            m.Conversation.subject,
            m.Conversation.status,
            m.Conversation.last_message_at,
        )
        .where(m.Conversation.customer_id == customer_id, m.Conversation.deleted_at.is_(None))
        .order_by(m.Conversation.last_message_at.desc())
        .limit(conversations)
    ).all()
    return CustomerContext(
        id=cust.id,
        name=cust.name,
        email=cust.email,
        phone=cust.phone,
        language=cust.language,
        timezone=cust.timezone,
        tags=tuple(cust.tags or ()),
        loyalty_tier=cust.loyalty_tier,
        loyalty_points=cust.loyalty_points,
        identities=tuple((k, v) for k, v, _verified in idents),
        orders=tuple(order_views),
        conversations=tuple(tuple(c) for c in convs),  # type: ignore[misc]
        claims=_claims(session, customer_id),
        notes=cust.notes or "",
        since=cust.created_at,
        verified=tuple(bool(x) for _k, _v, x in idents),
        merged_into=cust.merged_into_id,
        store_credit_cents=cust.store_credit_cents or 0,
        merged_here=tuple(
            (str(i), str(n))
            for i, n in session.execute(
                select(m.Customer.id, m.Customer.name)
                .where(m.Customer.merged_into_id == customer_id)
                .order_by(m.Customer.updated_at.desc(), m.Customer.id)
            )
        ),
        stats=_stats(session, customer_id),
    )


def _stats(session: Session, customer_id: str) -> StatsView | None:
    row = session.get(m.CustomerStats, customer_id)
    if row is None:
        return None
    return StatsView(
        currency=row.currency,
        order_count=row.order_count,
        lifetime_value_cents=row.lifetime_value_cents,
        average_order_cents=row.average_order_cents,
        return_rate_bp=row.return_rate_bp,
        other_currency_orders=row.other_currency_orders,
        last_contact_at=row.last_contact_at,
    )


def _claims(session: Session, customer_id: str) -> tuple[ClaimView, ...]:
    rows = session.scalars(
        select(m.IdentityClaim)
        .where(m.IdentityClaim.customer_id == customer_id, m.IdentityClaim.linked_at.is_(None))
        .order_by(m.IdentityClaim.updated_at.desc(), m.IdentityClaim.id)
        .limit(10)
    ).all()
    out = []
    for c in rows:
        match = session.get(m.Customer, c.match_customer_id) if c.match_customer_id else None
        out.append(
            ClaimView(
                c.id, c.kind, c.value, match.id if match else None, match.name if match else None
            )
        )
    return tuple(out)
