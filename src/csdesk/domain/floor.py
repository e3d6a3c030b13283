"""The live board's figures, from plain facts (standard library only).

The server (``GET /api/v1/floor``) and the supervisor's desk (from its local cache, live)
compute the board with these same functions, so both say the same thing. A queue is a group of
open conversations: the unassigned ones ("Unassigned"), one per channel, one per team.
Waiting counts conversations whose customer waits for an answer (``waiting_since`` set); the
oldest wait is the longest of those; SLA at risk and breached reuse ``domain.sla``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from csdesk.domain.enums import ConversationStatus
from csdesk.domain.sla import SlaStatus, sla_state

#: Conversations the floor watches (the rest are done or parked).
LIVE = frozenset({ConversationStatus.OPEN.value, ConversationStatus.PENDING.value})


@dataclass(frozen=True, slots=True)
class ConvFacts:
    id: str
    channel: str
    status: str
    assignee_id: str | None
    team_id: str | None
    waiting_since: datetime | None
    created_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None


@dataclass(slots=True)
class QueueFigures:
    """One row of the queues table. ``kind`` is "unassigned", "channel" or "team"; ``key`` the
    channel or team id (empty for unassigned)."""

    kind: str
    key: str
    open: int = 0
    waiting: int = 0
    oldest_wait: timedelta | None = None
    at_risk: int = 0
    breached: int = 0
    conversation_ids: list[str] = field(default_factory=list)


def sla_of(c: ConvFacts, now: datetime) -> SlaStatus:
    return sla_state(
        now,
        status=c.status,
        first_response_due_at=c.first_response_due_at,
        resolution_due_at=c.resolution_due_at,
        first_response_at=c.first_response_at,
        started_at=c.created_at,
    ).status


def _add(q: QueueFigures, c: ConvFacts, sla: SlaStatus, now: datetime) -> None:
    q.open += 1
    q.conversation_ids.append(c.id)
    if c.waiting_since is not None:
        q.waiting += 1
        wait = max(now - c.waiting_since, timedelta(0))
        if q.oldest_wait is None or wait > q.oldest_wait:
            q.oldest_wait = wait
    if sla == SlaStatus.AT_RISK:
        q.at_risk += 1
    elif sla == SlaStatus.BREACHED:
        q.breached += 1


def queues(convs: Iterable[ConvFacts], now: datetime) -> list[QueueFigures]:
    """Unassigned first, then channels, then teams (each alphabetical by key); only the live
    conversations count."""
    unassigned = QueueFigures("unassigned", "")
    by_channel: dict[str, QueueFigures] = {}
    by_team: dict[str, QueueFigures] = {}
    for c in convs:
        if c.status not in LIVE:
            continue
        sla = sla_of(c, now)
        if c.assignee_id is None:
            _add(unassigned, c, sla, now)
        _add(by_channel.setdefault(c.channel, QueueFigures("channel", c.channel)), c, sla, now)
        if c.team_id is not None:
            _add(by_team.setdefault(c.team_id, QueueFigures("team", c.team_id)), c, sla, now)
    return [
        unassigned,
        *(by_channel[k] for k in sorted(by_channel)),
        *(by_team[k] for k in sorted(by_team)),
    ]


def open_per_agent(convs: Iterable[ConvFacts]) -> Mapping[str, int]:
    out: dict[str, int] = {}
    for c in convs:
        if c.status in LIVE and c.assignee_id is not None:
            out[c.assignee_id] = out.get(c.assignee_id, 0) + 1
    return out
