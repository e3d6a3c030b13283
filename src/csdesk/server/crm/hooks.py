"""Keeping the customer record current in the transaction of every change.

``install`` hooks the server's write sessions: each flush notes the customers whose orders,
returns, refund actions, conversations or messages changed (both owners when a row moved
from one customer to another) and turns new profile-change audit entries into timeline
events; just before commit — before the change feed is written, so the figures go out with
the change — their figures are recomputed. Writers that bypass the ORM (the fast reply path)
name their customers with ``mark``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, event, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from csdesk.protocol import Entity
from csdesk.server.crm import events, stats
from csdesk.server.feed.log import FeedItem
from csdesk.storage import models as m
from csdesk.storage.bulk import dicts_by_id
from csdesk.storage.types import utcnow
from csdesk.storage.wire import row_to_wire


def _table() -> Table:
    table = m.CustomerStats.__table__
    assert isinstance(table, Table)
    return table


_STATS = _table()
# The statements of ``contact`` (every pushed reply), built once: building them per push cost
# more than running them (issue 10).
_READ_STATS = (
    select(_STATS).where(_STATS.c.id.in_(bindparam("ids", expanding=True))).order_by(_STATS.c.id)
)
_LOCK_STATS = _READ_STATS.with_for_update()
_MOVE_CONTACT = (
    update(_STATS)
    .where(_STATS.c.id == bindparam("b_id"))
    .values(last_contact_at=bindparam("b_at"), updated_at=bindparam("b_now"))
)

_DIRTY = "csdesk_crm_dirty"
#: The shop's currency, in the ``info`` of every session of a hooked factory.
_CURRENCY = "csdesk_crm_currency"
#: Rounds of recomputing before commit (a round's own flush may name more customers).
_MAX_ROUNDS = 4


def mark(session: Session, customer_ids: Iterable[str | None]) -> None:
    """Recompute these customers' figures before this transaction commits."""
    dirty: set[str] = session.info.setdefault(_DIRTY, set())
    dirty.update(c for c in customer_ids if c)


def contact(session: Session, contacts: dict[str, datetime]) -> list[FeedItem]:
    """New replies (not notes) at ``contacts[customer_id]`` in live conversations: the one
    figure they move is the last contact, so it is set in place (``last_contact_at = at``
    where it was older) rather than every figure recomputed; returns the rows' feed items.

    A customer whose figures are not there yet (or in another currency, or the session is
    not hooked) is ``mark``-ed for the full recompute instead. On PostgreSQL the rows are
    locked before they are read, as ``stats.refresh`` does, so the figures sent out with the
    new last contact are the committed ones."""
    currency = session.info.get(_CURRENCY)
    if not contacts:
        return []
    if not isinstance(currency, str):
        mark(session, contacts)
        return []
    ids = sorted(contacts)
    locking = session.get_bind().dialect.name == "postgresql"
    rows = dicts_by_id(
        session.connection().execute(_LOCK_STATS if locking else _READ_STATS, {"ids": ids})
    )
    full = [cid for cid in ids if cid not in rows or rows[cid]["currency"] != currency]
    mark(session, full)
    now = utcnow()
    moved: list[dict[str, Any]] = []
    for cid, row in rows.items():
        at = contacts[cid]
        last = stats.aware(row["last_contact_at"])
        if row["currency"] == currency and (last is None or last < at):
            row["last_contact_at"], row["updated_at"] = at, now
            moved.append(row)
    if moved:
        session.connection().execute(
            _MOVE_CONTACT,
            [{"b_id": r["id"], "b_at": r["last_contact_at"], "b_now": now} for r in moved],
        )
    return [
        FeedItem(
            Entity.CUSTOMER_STATS,
            r["id"],
            r["realm"],
            False,
            row_to_wire(Entity.CUSTOMER_STATS, r),
        )
        for r in moved
    ]


def _owners(obj: Any, attr: str) -> list[str]:
    """The value of ``attr`` now and, when it changed in this flush, before."""
    hist = inspect(obj).attrs[attr].history
    values = [getattr(obj, attr), *hist.deleted]
    return [str(v) for v in values if v]


def _moved(conv: m.Conversation) -> bool:
    """Filed under another customer, or deleted/restored: its messages count elsewhere."""
    state = inspect(conv)
    return any(state.attrs[a].history.has_changes() for a in ("customer_id", "deleted_at"))


def _order_customer(session: Session, order_id: str | None) -> str | None:
    order = session.get(m.Order, order_id) if order_id else None
    return order.customer_id if order is not None else None


def _conversation_customer(session: Session, conversation_id: str | None) -> str | None:
    conv = session.get(m.Conversation, conversation_id) if conversation_id else None
    return conv.customer_id if conv is not None else None


def _status_change(order: m.Order) -> list[m.CustomerEvent]:
    """The order's status change in this flush as a timeline event (none if unchanged)."""
    hist = inspect(order).attrs["status"].history
    if not hist.has_changes() or not hist.deleted or not order.customer_id:
        return []
    before = str(hist.deleted[0] or "")
    if not before or before == order.status:
        return []
    return [events.order_status_event(order, before)]


def collect(session: Session) -> None:
    """Note the customers this flush concerns; add the events of new profile-change audits."""
    ids: set[str] = set()
    added: list[m.CustomerEvent] = []
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            fresh = obj in session.new or obj in session.deleted
            if isinstance(obj, m.Order) or (
                isinstance(obj, m.Conversation) and (fresh or _moved(obj))
            ):
                ids.update(_owners(obj, "customer_id"))
                if isinstance(obj, m.Order) and not fresh:
                    added.extend(_status_change(obj))
            elif isinstance(obj, m.Return | m.OrderAction):
                ids.update(c for c in [_order_customer(session, obj.order_id)] if c)
            elif isinstance(obj, m.Message) and fresh:
                # A new message is a contact; a delivery status changing is not news here.
                ids.update(c for c in [_conversation_customer(session, obj.conversation_id)] if c)
            elif isinstance(obj, m.AuditEntry) and obj in session.new:
                added.extend(events.events_for(session, obj))
    for ev in added:
        session.add(ev)
    if ids:
        mark(session, ids)


def refresh_marked(session: Session, currency: str) -> None:
    """Recompute the figures of every customer marked so far in this transaction."""
    for _round in range(_MAX_ROUNDS):
        session.flush()  # commit runs ``before_commit`` before its own flush: mark what is pending
        dirty: set[str] = session.info.pop(_DIRTY, set())
        if not dirty:
            return
        stats.refresh(session, dirty, currency)


def install(factory: sessionmaker[Session], currency: str) -> None:
    """Hook ``factory``'s sessions (its recompute runs before the feed's publish whatever the
    order of installing). Marks outlive a rollback on purpose: recomputing a customer whose
    figures did not change writes nothing, while clearing on a savepoint's rollback would
    forget the customers of the push's other mutations."""
    factory.configure(info={**(factory.kw.get("info") or {}), _CURRENCY: currency})

    @event.listens_for(factory, "before_flush")
    def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
        collect(session)

    @event.listens_for(factory, "before_commit", insert=True)
    def _refresh(session: Session) -> None:
        refresh_marked(session, currency)
