"""``/api/v1/floor``: the live board and the time agents spent in each status.

Supervisors and admins only (403 for agents and trainees). The desk's board computes the same
figures from its cache (``domain.floor``), live; these endpoints serve reports, scripts and
the KPI dashboard.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from csdesk.domain.enums import Realm, Role
from csdesk.domain.floor import queues
from csdesk.protocol import API_PREFIX
from csdesk.server.deps import CurrentUser, State, require
from csdesk.server.errors import ApiError
from csdesk.server.floor.history import time_in_status
from csdesk.storage import floor_facts
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

router = APIRouter(prefix=API_PREFIX, tags=["floor"])
Overseer = Annotated[m.User, Depends(require(Role.ADMIN, Role.SUPERVISOR))]
#: The longest period one question may cover.
MAX_PERIOD = timedelta(days=366)


class QueueOut(BaseModel):
    kind: str
    key: str
    open: int
    waiting: int
    oldest_wait_seconds: float | None
    at_risk: int
    breached: int


class AgentOut(BaseModel):
    user_id: str
    name: str
    role: str
    status: str
    since: datetime | None
    seconds_in_status: float | None
    open_conversations: int
    call_conversation_id: str | None


class BoardOut(BaseModel):
    at: datetime
    queues: list[QueueOut]
    agents: list[AgentOut]


@router.get("/floor", response_model=BoardOut, responses={401: {}, 403: {}})
def board(state: State, _user: Overseer) -> BoardOut:
    """The production floor now: per queue (unassigned, channel, team) and per agent."""
    now = utcnow()
    with state.reads() as s:
        convs = floor_facts.conversations(s, Realm.PRODUCTION.value)
        agents = floor_facts.agents(s, convs)
    return BoardOut(
        at=now,
        queues=[
            QueueOut(
                kind=q.kind,
                key=q.key,
                open=q.open,
                waiting=q.waiting,
                oldest_wait_seconds=q.oldest_wait.total_seconds() if q.oldest_wait else None,
                at_risk=q.at_risk,
                breached=q.breached,
            )
            for q in queues(convs, now)
        ],
        agents=[
            AgentOut(
                user_id=a.user_id,
                name=a.name,
                role=a.role,
                status=a.status.value,
                since=a.since,
                seconds_in_status=max((now - a.since).total_seconds(), 0.0) if a.since else None,
                open_conversations=a.open,
                call_conversation_id=a.call_conversation_id,
            )
            for a in agents
        ],
    )


class StatusTimeOut(BaseModel):
    user_id: str
    name: str
    seconds: dict[str, float]


class StatusTimesOut(BaseModel):
    start: datetime
    end: datetime
    agents: list[StatusTimeOut]


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ApiError(
            422, "invalid", "{name} needs a time zone (e.g. 2026-12-01T00:00:00Z)", name=name
        )
    # Years 0001 and 9999 overflow when moved to UTC; nobody asks about them anyway.
    if not 1970 <= value.year <= 2200:
        raise ApiError(422, "invalid", "{name} must be between 1970 and 2200", name=name)
    return value


@router.get(
    "/floor/status-time", response_model=StatusTimesOut, responses={401: {}, 403: {}, 422: {}}
)
def status_time(
    state: State,
    _user: Overseer,
    start: Annotated[datetime, Query(description="period start, with a time zone")],
    end: Annotated[datetime, Query(description="period end (exclusive), with a time zone")],
) -> StatusTimesOut:
    """Seconds each agent spent in each status within ``[start, end)``."""
    start, end = _aware("start", start), _aware("end", end)
    if end <= start:
        raise ApiError(422, "invalid", "end must be after start")
    if end - start > MAX_PERIOD:
        raise ApiError(422, "invalid", "the period may be at most 366 days")
    with state.reads() as s:
        times = time_in_status(s, start, end, utcnow())
        names = {u.id: u.display_name for u in s.query(m.User).filter(m.User.id.in_(list(times)))}
    return StatusTimesOut(
        start=start,
        end=end,
        agents=[
            StatusTimeOut(user_id=uid, name=names.get(uid, ""), seconds=secs)
            for uid, secs in sorted(times.items(), key=lambda kv: names.get(kv[0], "").casefold())
        ],
    )


class FloorMessageOut(BaseModel):
    id: str
    from_user_id: str
    from_name: str
    body: str
    #: A server notice's phrases (issue 13): the desk shows them in its language.
    body_phrases: list[dict[str, Any]] | None = None
    created_at: datetime


class FloorMessagesOut(BaseModel):
    messages: list[FloorMessageOut]


#: The most messages one question may name.
MAX_MESSAGE_IDS = 100


@router.get("/floor/messages", response_model=FloorMessagesOut, responses={401: {}, 422: {}})
def my_messages(
    state: State,
    user: CurrentUser,
    ids: Annotated[
        str, Query(max_length=MAX_MESSAGE_IDS * 40, description="comma-separated message ids")
    ],
) -> FloorMessagesOut:
    """The messages to the caller among ``ids``, with their words (the change feed carries a
    message's words blank: it is the whole realm's). Another user's message is simply not
    among the answers."""
    wanted = sorted({i.strip() for i in ids.split(",") if i.strip()})
    if len(wanted) > MAX_MESSAGE_IDS:
        raise ApiError(422, "invalid", "at most {n} ids at once", n=MAX_MESSAGE_IDS)
    if not wanted:
        return FloorMessagesOut(messages=[])
    with state.reads() as s:
        rows = s.scalars(
            select(m.FloorMessage)
            .where(m.FloorMessage.id.in_(wanted), m.FloorMessage.to_user_id == user.id)
            .order_by(m.FloorMessage.created_at)
        ).all()
        return FloorMessagesOut(
            messages=[
                FloorMessageOut(
                    id=r.id,
                    from_user_id=r.from_user_id,
                    from_name=r.from_name,
                    body=r.body,
                    body_phrases=r.body_phrases,
                    created_at=r.created_at,
                )
                for r in rows
            ]
        )
