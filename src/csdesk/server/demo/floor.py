"""The demo floor: each demo colleague's status now and three days of status history, so the
supervisor's board and the time-per-status figures have something believable to show.

Working days of about eight hours from 08:00 (UTC), with short breaks, a lunch, some time away
and in training, and offline outside those hours; today's last span runs into the present.
The signed-in demo agent starts Available. While the demo's simulator runs, the colleagues
stay connected (``server.floor.colleagues``); without it their desks go Offline after the TTL
like anyone's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.agent_status import AgentStatus
from csdesk.server.demo.staff import DEMO_USERS
from csdesk.server.feed import log as feed
from csdesk.storage import models as m

A, W, B, T, C, OFF = (
    AgentStatus.AVAILABLE,
    AgentStatus.AWAY,
    AgentStatus.ON_BREAK,
    AgentStatus.IN_TRAINING,
    AgentStatus.ON_CALL,
    AgentStatus.OFFLINE,
)

#: A working day as (status, minutes); the pattern shifts a little per person.
_DAY: tuple[tuple[AgentStatus, int], ...] = (
    (A, 95), (C, 12), (A, 40), (B, 15), (A, 70), (W, 8), (A, 35), (B, 45),
    (A, 60), (T, 30), (A, 50), (C, 9), (A, 25), (B, 15), (A, 40),
)  # fmt: skip

#: Who is what right now, and since how many minutes.
NOW: dict[str, tuple[AgentStatus, int]] = {
    "demo": (A, 3),
    "alex": (B, 7),
    "priya": (A, 26),
    "mateo": (W, 4),
    "sam": (A, 48),
    "trainee": (T, 35),
}
#: Those the simulator keeps connected (everyone seeded online but the agent you sign in as).
COLLEAGUES = frozenset(NOW) - {"demo"}


def seed_floor(s: Session, now: datetime) -> int:
    """Statuses and spans for the demo staff; the number of feed entries written."""
    users = {
        u.username: u
        for u in s.scalars(
            select(m.User).where(m.User.username.in_([d.username for d in DEMO_USERS]))
        )
    }
    rows = []
    for n, (username, (status, minutes)) in enumerate(sorted(NOW.items())):
        user = users.get(username)
        if user is None:
            continue
        since = now - timedelta(minutes=minutes)
        _history(s, user.id, now, since, shift=n * 7)
        s.add(m.AgentStatusSpan(user_id=user.id, status=status.value, started_at=since))
        row = m.AgentStatusRow(
            id=user.id,
            status=status.value,
            chosen=status.value if status != C else A.value,
            on_call=False,
            online=True,
            since=since,
            set_by_id=user.id,
            seen_at=now,
            created_at=now - timedelta(days=3),
            updated_at=since,
        )
        s.add(row)
        rows.append(row)
    s.flush()
    feed.append(s, [feed.item_for(r) for r in rows])
    return len(rows)


def _history(s: Session, user_id: str, now: datetime, until: datetime, shift: int) -> None:
    """Three working days before ``until``, offline in between; no span overlaps another."""
    day0 = (now - timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    at = day0 - timedelta(hours=12)
    spans: list[tuple[AgentStatus, datetime]] = [(OFF, at)]
    for d in range(4):
        start = day0 + timedelta(days=d, minutes=shift)
        if start >= until:
            break
        t = start
        for status, minutes in _DAY:
            if t >= until:
                break
            spans.append((status, t))
            t += timedelta(minutes=minutes + (shift % 5))
        if t < until:
            spans.append((OFF, t))
    spans = [(st, t) for st, t in spans if t < until]
    for (status, start), (_next, end) in zip(spans, [*spans[1:], (OFF, until)], strict=True):
        if end > start:
            s.add(
                m.AgentStatusSpan(
                    user_id=user_id, status=status.value, started_at=start, ended_at=end
                )
            )
