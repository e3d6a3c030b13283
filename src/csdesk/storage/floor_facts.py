"""What the live board reads, from the server's database or the desk's cache alike (both
have the same tables): the live conversations as ``domain.floor.ConvFacts`` and one row per
agent. See ``domain.floor`` for the figures made from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.agent_status import AgentStatus, parse, rank
from csdesk.domain.enums import Role
from csdesk.domain.floor import LIVE, ConvFacts, open_per_agent
from csdesk.storage import models as m

#: Roles whose status the board shows (everyone who works conversations).
STAFF_ROLES = frozenset({Role.AGENT.value, Role.SUPERVISOR.value, Role.TRAINEE.value})


def conversations(session: Session, realm: str | None = None) -> list[ConvFacts]:
    C = m.Conversation
    q = select(
        C.id,
        C.channel,
        C.status,
        C.assignee_id,
        C.team_id,
        C.waiting_since,
        C.created_at,
        C.first_response_due_at,
        C.resolution_due_at,
        C.first_response_at,
    ).where(C.status.in_(sorted(LIVE)), C.deleted_at.is_(None))
    if realm is not None:
        q = q.where(C.realm == realm)
    return [ConvFacts(**row._asdict()) for row in session.execute(q)]


@dataclass(frozen=True, slots=True)
class AgentRow:
    user_id: str
    name: str
    role: str
    team_id: str | None
    status: AgentStatus
    since: datetime | None
    open: int
    call_conversation_id: str | None
    call_with: str  # the other party's number, or ""
    call_since: datetime | None


def agents(
    session: Session, convs: list[ConvFacts] | None = None, realm: str | None = None
) -> list[AgentRow]:
    """Every active staff member, available ones first, then by name."""
    convs = conversations(session, realm) if convs is None else convs
    open_counts = open_per_agent(convs)
    statuses = {r.id: r for r in session.scalars(select(m.AgentStatusRow))}
    K = m.Call
    calls: dict[str, m.Call] = {}
    for live in session.scalars(
        select(K).where(K.agent_id.is_not(None), K.ended_at.is_(None)).order_by(K.started_at)
    ):
        if live.agent_id is not None:
            calls[live.agent_id] = live
    rows = []
    for u in session.scalars(select(m.User).where(m.User.active.is_(True))):
        if u.role not in STAFF_ROLES:
            continue
        st = statuses.get(u.id)
        call = calls.get(u.id)
        other = ""
        if call is not None:
            other = call.from_number if call.direction == "in" else call.to_number
        rows.append(
            AgentRow(
                user_id=u.id,
                name=u.display_name,
                role=u.role,
                team_id=u.team_id,
                status=parse(st.status if st is not None else None),
                since=st.since if st is not None else None,
                open=open_counts.get(u.id, 0),
                call_conversation_id=call.conversation_id if call is not None else None,
                call_with=other or "",
                call_since=(call.answered_at or call.started_at) if call is not None else None,
            )
        )
    rows.sort(key=lambda r: (rank(r.status), r.name.casefold(), r.user_id))
    return rows
