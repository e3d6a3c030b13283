"""Callbacks come due on time, on the server, so every desk agrees whose they are.

Run in the snooze waker's round (``server.sync.snooze``), with the same shape: a conditional
``UPDATE … WHERE status='scheduled' AND due_at <= now`` so that several server processes on
one PostgreSQL make each callback due exactly once. A due callback stays its agent's; their
desk announces it and acknowledges it (``callback.take``). One nobody acknowledged within
``grace`` (the agent is offline or signed out), or whose agent was disabled, goes to the
queue, where any agent's desk lists it; ``detail`` says why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from csdesk.domain.callbacks import CallbackStatus
from csdesk.server.feed import log as feed_log
from csdesk.storage import audit
from csdesk.storage import models as m

DUE_ACTION: Final = "callback.due"
QUEUED_ACTION: Final = "callback.to_queue"
BATCH: Final = 500


def _fire(session: Session, now: datetime) -> list[m.Callback]:
    C = m.Callback
    due = (
        select(C.id)
        .where(C.status == CallbackStatus.SCHEDULED.value, C.due_at <= now)
        .order_by(C.due_at)
        .limit(BATCH)
        .scalar_subquery()
    )
    ids = list(
        session.scalars(
            update(C)
            .where(C.id.in_(due), C.status == CallbackStatus.SCHEDULED.value, C.due_at <= now)
            .values(status=CallbackStatus.DUE.value, fired_at=now, seen_at=None, updated_at=now)
            .returning(C.id)
            .execution_options(synchronize_session=False)
        )
    )
    fired = [cb for i in ids if (cb := session.get(C, i, populate_existing=True)) is not None]
    for cb in fired:
        audit.record(
            session, None, DUE_ACTION, "callback", cb.id, {"status": "scheduled"},
            {"status": cb.status, "assignee_id": cb.assignee_id},
        )  # fmt: skip
    return fired


def _unseen(session: Session, now: datetime, grace: timedelta) -> list[m.Callback]:
    """Due callbacks whose agent did not acknowledge them in time, or who was disabled."""
    C = m.Callback
    rows = session.scalars(
        select(C)
        .join(m.User, m.User.id == C.assignee_id)
        .where(
            C.status == CallbackStatus.DUE.value,
            C.assignee_id.is_not(None),
            C.seen_at.is_(None),
            (C.fired_at <= now - grace) | m.User.active.is_(False),
        )
        .order_by(C.due_at)
        .limit(BATCH)
        .with_for_update(of=C)
    ).all()
    moved = []
    for cb in rows:
        if cb.status != CallbackStatus.DUE.value or cb.seen_at is not None:
            continue  # acknowledged while this round waited for the lock
        user = session.get(m.User, cb.assignee_id)
        name = user.display_name if user is not None else "The agent"
        before = {"assignee_id": cb.assignee_id}
        cb.assignee_id = None
        cb.detail = f"{name} did not pick it up when it came due, so it went to the queue."[:300]
        audit.record(session, None, QUEUED_ACTION, "callback", cb.id, before, {"assignee_id": None})
        moved.append(cb)
    return moved


def wake_due(session: Session, now: datetime, grace: timedelta) -> list[str]:
    """Make the callbacks due at ``now`` due, and move unacknowledged ones to the queue; the
    ids changed. The caller commits."""
    changed = {cb.id: cb for cb in _fire(session, now)}
    changed |= {cb.id: cb for cb in _unseen(session, now, grace)}
    if not changed:
        return []
    session.flush()
    feed_log.append(session, [feed_log.item_for(cb) for cb in changed.values()])
    return list(changed)
