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
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.crm import events, stats
from csdesk.storage import models as m

_DIRTY = "csdesk_crm_dirty"
#: Rounds of recomputing before commit (a round's own flush may name more customers).
_MAX_ROUNDS = 4


def mark(session: Session, customer_ids: Iterable[str | None]) -> None:
    """Recompute these customers' figures before this transaction commits."""
    dirty: set[str] = session.info.setdefault(_DIRTY, set())
    dirty.update(c for c in customer_ids if c)


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

    @event.listens_for(factory, "before_flush")
    def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
        collect(session)

    @event.listens_for(factory, "before_commit", insert=True)
    def _refresh(session: Session) -> None:
        refresh_marked(session, currency)
