"""A customer's figures, computed from their orders, returns, refunds and messages.

In the shop's currency only: an order in another currency is counted in
``other_currency_orders`` and in no sum. A cancelled order is no order. Refunds are the
``refund_cents`` of refunded returns plus, for csdesk's own orders (``store IS NULL``), the
amounts of done refund actions: a store-connected order's refund comes back from the store
as a return, so counting its action too would count it twice. The figures follow the orders
(a merge moves orders, not the actions on them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from csdesk.domain.enums import OrderStatus, ReturnStatus
from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.storage.upsert import insert_for

#: Customers per aggregate query (bounded IN lists on both databases).
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Figures:
    order_count: int = 0
    gross_cents: int = 0
    refunded_cents: int = 0
    returned_orders: int = 0
    other_currency_orders: int = 0
    last_contact_at: datetime | None = None

    @property
    def lifetime_value_cents(self) -> int:
        return max(0, self.gross_cents - self.refunded_cents)

    @property
    def average_order_cents(self) -> int:
        return round(self.gross_cents / self.order_count) if self.order_count else 0

    @property
    def return_rate_bp(self) -> int:
        """Orders with a return (not rejected), per 10 000 orders."""
        if not self.order_count:
            return 0
        return min(10_000, round(self.returned_orders * 10_000 / self.order_count))


def _counted(currency: str) -> Any:
    return and_(m.Order.currency == currency, m.Order.status != OrderStatus.CANCELLED.value)


def compute(session: Session, customer_ids: Collection[str], currency: str) -> dict[str, Figures]:
    """The figures of ``customer_ids`` (every id answers, zeros when they have nothing)."""
    out: dict[str, dict[str, Any]] = {cid: {} for cid in customer_ids}
    ids = sorted(out)
    for start in range(0, len(ids), _CHUNK):
        _fill(session, ids[start : start + _CHUNK], currency, out)
    return {cid: Figures(**values) for cid, values in out.items()}


def _fill(session: Session, ids: list[str], currency: str, out: dict[str, dict[str, Any]]) -> None:
    o, r, a = m.Order, m.Return, m.OrderAction
    counted = _counted(currency)
    for cid, count, gross, other in session.execute(
        select(
            o.customer_id,
            func.sum(case((counted, 1), else_=0)),
            func.sum(case((counted, o.total_cents), else_=0)),
            func.sum(case((o.currency != currency, 1), else_=0)),
        )
        .where(o.customer_id.in_(ids))
        .group_by(o.customer_id)
    ):
        out[cid].update(
            order_count=int(count or 0),
            gross_cents=int(gross or 0),
            other_currency_orders=int(other or 0),
        )
    refunded: dict[str, int] = {}
    for cid, returned, back in session.execute(
        select(
            o.customer_id,
            func.count(distinct(case((r.status != ReturnStatus.REJECTED.value, o.id)))),
            func.sum(case((r.status == ReturnStatus.REFUNDED.value, r.refund_cents), else_=0)),
        )
        .join(o, o.id == r.order_id)
        .where(o.customer_id.in_(ids), counted)
        .group_by(o.customer_id)
    ):
        out[cid]["returned_orders"] = int(returned or 0)
        refunded[cid] = refunded.get(cid, 0) + int(back or 0)
    for cid, back in session.execute(
        select(o.customer_id, func.sum(a.amount_cents))
        .join(o, o.id == a.order_id)
        .where(
            o.customer_id.in_(ids),
            counted,
            o.store.is_(None),
            a.kind == OrderActionKind.REFUND.value,
            a.status == OrderActionStatus.DONE.value,
            a.amount_cents > 0,
            or_(a.currency.is_(None), a.currency == currency),
        )
        .group_by(o.customer_id)
    ):
        refunded[cid] = refunded.get(cid, 0) + int(back or 0)
    for cid, back in refunded.items():
        out[cid]["refunded_cents"] = back
    c, msg = m.Conversation, m.Message
    for cid, last in session.execute(
        select(c.customer_id, func.max(msg.created_at))
        .join(msg, msg.conversation_id == c.id)
        .where(c.customer_id.in_(ids), c.deleted_at.is_(None), msg.is_note.is_(False))
        .group_by(c.customer_id)
    ):
        out[cid]["last_contact_at"] = aware(last)


def aware(value: Any) -> datetime | None:
    """``max`` keeps the column's type; a text or naive value is read as UTC all the same."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def refresh(
    session: Session, customer_ids: Iterable[str], currency: str, at: datetime | None = None
) -> list[m.CustomerStats]:
    """Write the current figures of ``customer_ids`` (existing customers only) through the
    ORM, so a changed row reaches the change feed; returns the rows that changed. ``at``:
    the time new rows are stamped with (the demo's anchor: same seed, same rows).

    Safe beside concurrent writers on PostgreSQL: a missing row is inserted with ``ON
    CONFLICT DO NOTHING`` (two transactions may both find it missing), then the rows are
    locked in id order *before* the figures are read, so a transaction that waited for
    another's lock computes from what that one committed, never overwriting it with older
    figures."""
    ids = set(customer_ids)
    if not ids:
        return []
    realms: dict[str, str] = {
        str(cid): str(realm)
        for cid, realm in session.execute(
            select(m.Customer.id, m.Customer.realm).where(m.Customer.id.in_(ids))
        )
    }
    if not realms:
        return []
    _insert_missing(session, realms, at or utcnow())
    rows = {
        s.id: s
        for s in session.scalars(
            select(m.CustomerStats)
            .where(m.CustomerStats.id.in_(list(realms)))
            .order_by(m.CustomerStats.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    figures = compute(session, list(realms), currency)
    changed: list[m.CustomerStats] = []
    for cid, f in sorted(figures.items()):  # in id order: the same rows, the same feed
        values = {
            "currency": currency,
            "order_count": f.order_count,
            "gross_cents": f.gross_cents,
            "refunded_cents": f.refunded_cents,
            "lifetime_value_cents": f.lifetime_value_cents,
            "average_order_cents": f.average_order_cents,
            "returned_orders": f.returned_orders,
            "return_rate_bp": f.return_rate_bp,
            "other_currency_orders": f.other_currency_orders,
            "last_contact_at": f.last_contact_at,
        }
        row = rows[cid]
        if any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            if at is not None:
                row.updated_at = at
                flag_modified(row, "updated_at")  # equal to the insert's: still written
            changed.append(row)
    return changed


_STATS = m.CustomerStats.__table__


def _insert_missing(session: Session, realms: dict[str, str], at: datetime) -> None:
    """A placeholder row (no currency yet, so its first figures always go out on the feed)
    for each customer without one."""
    have = set(
        session.scalars(select(m.CustomerStats.id).where(m.CustomerStats.id.in_(list(realms))))
    )
    missing = sorted(set(realms) - have)
    if not missing:
        return
    session.flush()  # the customers may be new in this transaction
    dialect = session.get_bind().dialect.name
    stmt = insert_for(dialect, _STATS).on_conflict_do_nothing(index_elements=["id"])
    session.execute(
        stmt,
        [
            {
                "id": cid,
                "customer_id": cid,
                "realm": realms[cid],
                "created_at": at,
                "updated_at": at,
                "currency": "",
                "order_count": 0,
                "gross_cents": 0,
                "refunded_cents": 0,
                "lifetime_value_cents": 0,
                "average_order_cents": 0,
                "returned_orders": 0,
                "return_rate_bp": 0,
                "other_currency_orders": 0,
                "last_contact_at": None,
            }
            for cid in missing
        ],
    )


def refresh_all(
    session: Session, currency: str, batch: int = 2000, at: datetime | None = None
) -> list[m.CustomerStats]:
    """Every customer's figures (the demo load, a change of currency); the caller commits
    (and, outside the server's hooked sessions, feeds the rows returned: those that changed)."""
    changed: list[m.CustomerStats] = []
    last = ""
    while True:
        ids = list(
            session.scalars(
                select(m.Customer.id)
                .where(m.Customer.id > last)
                .order_by(m.Customer.id)
                .limit(batch)
            )
        )
        if not ids:
            return changed
        changed.extend(refresh(session, ids, currency, at))
        session.flush()
        last = ids[-1]
