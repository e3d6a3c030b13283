"""The customer's orders as the order-action dialogs need them (lines and what is left of
each, what can still be refunded), the actions taken on them in sentences, and the refunds
waiting for a supervisor. Read from the local cache on a worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.app import formats
from csdesk.domain.carriers import tracking_url
from csdesk.domain.enums import OrderStatus
from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.domain.order_rules import has_left, refunded, taken
from csdesk.i18n import _
from csdesk.storage import models as m

_UNFULFILLED = (OrderStatus.PLACED.value, OrderStatus.PAID.value)


@dataclass(frozen=True, slots=True)
class LineChoice:
    id: str
    title: str
    sku: str
    quantity: int  # ordered
    unit_price_cents: int
    left: dict[str, int]  # per action kind: how many can still be refunded/returned/resent


@dataclass(frozen=True, slots=True)
class ShipmentLink:
    carrier: str
    tracking_number: str
    status: str
    url: str | None  # the carrier's tracking page, when the carrier is known


@dataclass(frozen=True, slots=True)
class ActionLine:
    id: str
    kind: str
    status: str
    sentence: str  # what the order shows: kind, amount, state, detail


@dataclass(frozen=True, slots=True)
class OrderChoice:
    id: str
    number: str
    status: str
    total_cents: int
    currency: str
    store: str | None
    placed_at: datetime
    fulfilled: bool
    refundable_cents: int
    lines: tuple[LineChoice, ...]
    shipments: tuple[ShipmentLink, ...]
    actions: tuple[ActionLine, ...]  # newest first

    @property
    def cancelled(self) -> bool:
        return self.status == OrderStatus.CANCELLED.value

    def label(self) -> str:
        """One line for a chooser: number, state, total."""
        return _("Order {number}, {status}, {total}").format(
            number=self.number,
            status=self.status,
            total=formats.money(self.total_cents, self.currency),
        )


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    id: str
    order_number: str
    customer_name: str
    amount_cents: int
    currency: str
    requested_by: str
    reason: str
    created_at: datetime

    def sentence(self) -> str:
        text = _("Refund of {amount} on order {number} for {customer}, asked by {agent}").format(
            amount=formats.money(self.amount_cents, self.currency),
            number=self.order_number,
            customer=self.customer_name,
            agent=self.requested_by,
        )
        return f"{text}: {self.reason}" if self.reason else text


def kind_label(kind: str) -> str:
    return {
        OrderActionKind.REFUND.value: _("Refund"),
        OrderActionKind.RETURN.value: _("Return"),
        OrderActionKind.EXCHANGE.value: _("Exchange"),
        OrderActionKind.CANCEL.value: _("Cancellation"),
        OrderActionKind.RESEND.value: _("Resend"),
        OrderActionKind.ADDRESS.value: _("Address change"),
        OrderActionKind.NOTE.value: _("Note"),
    }.get(kind, kind)


def status_label(status: str) -> str:
    return {
        OrderActionStatus.QUEUED.value: _("waiting to be sent"),
        OrderActionStatus.AWAITING_APPROVAL.value: _("awaiting a supervisor's approval"),
        OrderActionStatus.DECLINED.value: _("declined"),
        OrderActionStatus.SENDING.value: _("being sent to the store"),
        OrderActionStatus.DONE.value: _("done"),
        OrderActionStatus.REFUSED.value: _("refused by the store"),
    }.get(status, status.replace("_", " "))


def action_sentence(a: m.OrderAction) -> str:
    what = kind_label(a.kind)
    if a.amount_cents:
        what = _("{what} of {amount}").format(
            what=what, amount=formats.money(a.amount_cents, a.currency or "")
        )
    text = _("{what}: {status}").format(what=what, status=status_label(a.status))
    if a.kind == OrderActionKind.NOTE.value and (note := str((a.args or {}).get("note") or "")):
        text += f" — {note[:300]}"
    if a.detail:
        text += f". {a.detail}"
    return text


def _fulfilled(order: m.Order, shipped: bool) -> bool:
    if order.status not in _UNFULFILLED:
        return order.status != OrderStatus.CANCELLED.value
    return shipped


def customer_orders(session: Session, customer_id: str, limit: int = 20) -> list[OrderChoice]:
    orders = session.scalars(
        select(m.Order)
        .where(m.Order.customer_id == customer_id)
        .order_by(m.Order.placed_at.desc(), m.Order.id)
        .limit(limit)
    ).all()
    ids = [o.id for o in orders]
    lines: dict[str, list[m.OrderLine]] = {}
    for line in session.scalars(
        select(m.OrderLine).where(m.OrderLine.order_id.in_(ids)).order_by(m.OrderLine.sku)
    ):
        lines.setdefault(line.order_id, []).append(line)
    ships: dict[str, list[m.Shipment]] = {}
    for ship in session.scalars(select(m.Shipment).where(m.Shipment.order_id.in_(ids))):
        ships.setdefault(ship.order_id, []).append(ship)
    acts: dict[str, list[m.OrderAction]] = {}
    for act in session.scalars(
        select(m.OrderAction)
        .where(m.OrderAction.order_id.in_(ids))
        .order_by(m.OrderAction.created_at.desc(), m.OrderAction.id)
    ):
        acts.setdefault(act.order_id, []).append(act)
    out = []
    for o in orders:
        earlier = acts.get(o.id, [])
        took = {k.value: taken(earlier, k.value) for k in _LINE_KINDS}
        out.append(
            OrderChoice(
                id=o.id,
                number=o.number,
                status=o.status,
                total_cents=o.total_cents,
                currency=o.currency,
                store=o.store,
                placed_at=o.placed_at,
                fulfilled=_fulfilled(
                    o, any(has_left(x.status, x.shipped_at) for x in ships.get(o.id, []))
                ),
                refundable_cents=max(o.total_cents - refunded(earlier), 0),
                lines=tuple(
                    LineChoice(
                        id=ln.id,
                        title=ln.title,
                        sku=ln.sku,
                        quantity=ln.quantity,
                        unit_price_cents=ln.unit_price_cents,
                        left={k: max(ln.quantity - t.get(ln.id, 0), 0) for k, t in took.items()},
                    )
                    for ln in lines.get(o.id, [])
                    if ln.quantity > 0  # removed from the order at the store
                ),
                shipments=tuple(
                    ShipmentLink(
                        s.carrier,
                        s.tracking_number,
                        s.status,
                        tracking_url(s.carrier, s.tracking_number),
                    )
                    for s in ships.get(o.id, [])
                ),
                actions=tuple(
                    ActionLine(a.id, a.kind, a.status, action_sentence(a)) for a in earlier
                ),
            )
        )
    return out


_LINE_KINDS = (
    OrderActionKind.REFUND,
    OrderActionKind.RETURN,
    OrderActionKind.RESEND,
)


def pending_approvals(session: Session, limit: int = 200) -> list[ApprovalRequest]:
    rows = session.execute(
        select(m.OrderAction, m.Order.number, m.Customer.name, m.User.display_name)
        .join(m.Order, m.Order.id == m.OrderAction.order_id)
        .join(m.Customer, m.Customer.id == m.OrderAction.customer_id)
        .outerjoin(m.User, m.User.id == m.OrderAction.requested_by_id)
        .where(m.OrderAction.status == OrderActionStatus.AWAITING_APPROVAL.value)
        .order_by(m.OrderAction.created_at, m.OrderAction.id)
        .limit(limit)
    ).all()
    return [
        ApprovalRequest(
            id=a.id,
            order_number=number,
            customer_name=customer,
            amount_cents=a.amount_cents or 0,
            currency=a.currency or "",
            requested_by=agent or _("an agent"),
            reason=str((a.args or {}).get("reason") or ""),
            created_at=a.created_at,
        )
        for a, number, customer, agent in rows
    ]


def action_states(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(status, sentence) of the actions ``ids``, for announcing a change of state."""
    out: dict[str, tuple[str, str]] = {}
    for a in session.scalars(select(m.OrderAction).where(m.OrderAction.id.in_(list(ids)))):
        out[a.id] = (a.status, action_sentence(a))
    return out


def lines_arg(chosen: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"line_id": lid, "quantity": q} for lid, q in chosen if q > 0]
