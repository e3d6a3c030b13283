"""The floor's mutation handlers, registered in ``server.sync.mutations.HANDLERS``.

``agent.set_status``: the agent's own choice among the four choosable statuses (a push is
also proof the desk is connected). ``floor.message``: a supervisor's or admin's message to one
agent's desk; anyone else is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from csdesk.domain.agent_status import AgentStatus
from csdesk.domain.enums import Role
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.deps import realm_of
from csdesk.server.floor import status
from csdesk.server.refusals import Param
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

#: Who may watch the floor and message agents.
OVERSEERS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})
MAX_MESSAGE = 2000


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class SetStatusArgs(_Args):
    status: Literal["available", "away", "on_break", "in_training"]


class MessageArgs(_Args):
    message_id: str = Field(min_length=1, max_length=36)
    to_user_id: str = Field(min_length=1, max_length=36)
    body: str = Field(min_length=1, max_length=MAX_MESSAGE)


def set_status(session: Session, user: m.User, a: SetStatusArgs) -> None:
    now = utcnow()
    before = session.get(m.AgentStatusRow, user.id)
    old = before.chosen if before is not None else None
    status.change(session, user.id, now, chosen=AgentStatus(a.status), online=True, by=user.id)
    status.mark_seen(session, user.id, now)
    audit.record(
        session,
        user.id,
        MutationType.AGENT_SET_STATUS,
        "agent_status",
        user.id,
        {"chosen": old},
        {"chosen": a.status},
    )


def send_message(session: Session, user: m.User, a: MessageArgs) -> None:
    if user.role not in OVERSEERS:
        raise _reject(RejectCode.FORBIDDEN, "Only a supervisor can message agents on the floor.")
    body = a.body.strip()
    if not body:
        raise _reject(RejectCode.INVALID, "The message is empty.")
    target = session.get(m.User, a.to_user_id)
    if target is None or not target.active:
        raise _reject(RejectCode.NOT_FOUND, "That agent does not exist or is disabled.")
    if session.get(m.FloorMessage, a.message_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A message with this id already exists.")
    session.add(
        m.FloorMessage(
            id=a.message_id,
            realm=realm_of(target),
            to_user_id=target.id,
            from_user_id=user.id,
            from_name=user.display_name,
            body=body,
        )
    )
    audit.record(
        session,
        user.id,
        MutationType.FLOOR_MESSAGE_SEND,
        "floor_message",
        a.message_id,
        None,
        {"to_user_id": target.id},
    )
