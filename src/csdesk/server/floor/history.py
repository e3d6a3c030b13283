"""Time spent in each status per agent over a period, from the spans (KPI-ready).

A span overlapping the period counts for its overlap only; the open span counts up to ``now``.
Summed here rather than in SQL: an agent has a few dozen spans a day, and clamping to the
period is the same code on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from csdesk.storage import models as m


def time_in_status(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    user_ids: Iterable[str] | None = None,
) -> dict[str, dict[str, float]]:
    """``{user_id: {status: seconds}}`` within ``[start, end)``."""
    S = m.AgentStatusSpan
    q = select(S.user_id, S.status, S.started_at, S.ended_at).where(
        S.started_at < end, or_(S.ended_at.is_(None), S.ended_at > start)
    )
    if user_ids is not None:
        q = q.where(S.user_id.in_(list(user_ids)))
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for user_id, status, began, ended in session.execute(q):
        lo = max(began, start)
        hi = min(ended or now, end, now)
        if hi > lo:
            out[user_id][status] += (hi - lo).total_seconds()
    return {u: dict(v) for u, v in out.items()}
