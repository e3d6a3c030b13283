"""An agent's status row and its history of spans, kept together in one transaction.

Every change of the shown status closes the agent's open span and opens one for the new
status, so the time spent in each status is on record (``history``). The three facts behind
the status (chosen, on a call, online) are set independently — the agent, the call hooks and
the desk-presence sweeper each set one — and :func:`domain.agent_status.effective` says what
follows from them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.agent_status import AgentStatus, effective, parse
from csdesk.storage import models as m


def ensure(session: Session, user_id: str, now: datetime) -> m.AgentStatusRow:
    """The agent's row, locked; created (offline, having chosen Available) on first use.

    Two processes creating the same agent's row race on the primary key: the loser's
    savepoint rolls back and it reads the winner's row."""
    row = session.get(m.AgentStatusRow, user_id, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = m.AgentStatusRow(
                id=user_id,
                status=AgentStatus.OFFLINE.value,
                chosen=AgentStatus.AVAILABLE.value,
                on_call=False,
                online=False,
                since=now,
            )
            session.add(row)
            session.add(
                m.AgentStatusSpan(user_id=user_id, status=AgentStatus.OFFLINE.value, started_at=now)
            )
    except IntegrityError:
        row = session.get(m.AgentStatusRow, user_id, with_for_update=True, populate_existing=True)
        assert row is not None
    return row


def change(
    session: Session,
    user_id: str,
    now: datetime,
    *,
    chosen: AgentStatus | None = None,
    on_call: bool | None = None,
    online: bool | None = None,
    by: str | None = None,
) -> bool:
    """Set any of the three facts; True when the shown status changed (a span was closed
    and another opened)."""
    row = ensure(session, user_id, now)
    if chosen is not None:
        row.chosen = chosen.value
    if on_call is not None:
        row.on_call = on_call
    if online is not None:
        row.online = online
    new = effective(parse(row.chosen), on_call=row.on_call, online=row.online)
    if new.value == row.status:
        if chosen is not None and by is not None:
            row.set_by_id = by
        return False
    start = max(now, row.since)  # a clock step back never makes a span end before it began
    S = m.AgentStatusSpan
    session.execute(
        update(S)
        .where(S.user_id == user_id, S.ended_at.is_(None))
        .values(ended_at=start)
        .execution_options(synchronize_session=False)
    )
    session.add(m.AgentStatusSpan(user_id=user_id, status=new.value, started_at=start))
    row.status = new.value
    row.since = start
    row.set_by_id = by
    return True


def mark_seen(session: Session, user_id: str, at: datetime) -> None:
    """When the agent's desk was last heard from (Core: not a change anyone syncs)."""
    R = m.AgentStatusRow
    session.execute(
        update(R)
        .where(R.id == user_id, (R.seen_at.is_(None)) | (R.seen_at < at))
        .values(seen_at=at)
        .execution_options(synchronize_session=False)
    )
