"""Push mutations for phone calls: take a ringing call, wrap one up.

Registered in ``server.sync.mutations.HANDLERS`` (which imports this module, so ``Reject`` is
imported when a mutation is refused, as in ``agent_mutations``). ``take`` is also what the
Twilio answer hook does for the agent whose phone picked up (:func:`assign_agent`), so a call
answered on a desk phone and one answered on the desk end the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.calls import (
    MAX_NOTES,
    CallOutcome,
    Disposition,
    callback_problem,
    trail_problem,
)
from csdesk.domain.enums import ConversationStatus, Direction, Role
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.channels import calls
from csdesk.server.channels import conversations as threads
from csdesk.server.deps import realm_of
from csdesk.server.kpis import reopens
from csdesk.server.refusals import Param, Phrase
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

#: Roles that may wrap up a call someone else took (or nobody took).
_OVERSEERS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _saying(code: RejectCode, phrase: Phrase) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.saying(code, phrase)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


Id = Field(min_length=1, max_length=36)


class TakeArgs(_Args):
    call_id: str = Id


class WrapUpArgs(_Args):
    call_id: str = Id
    disposition: Disposition
    notes: str = Field(default="", max_length=MAX_NOTES)
    trail: list[dict[str, Any]] = Field(default_factory=list)
    script_id: str | None = Field(default=None, max_length=36)
    #: With disposition "callback_scheduled": when to call back (required, in the future).
    callback_at: datetime | None = None

    @field_validator("trail")
    @classmethod
    def _trail(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        problem = trail_problem(value)
        if problem:
            raise ValueError(problem)
        return value


def _call(session: Session, user: m.User, call_id: str) -> m.Call:
    call = session.get(m.Call, call_id, with_for_update=True)
    if call is None or call.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This call does not exist.")
    return call


def _name(session: Session, user_id: str) -> str:
    user = session.get(m.User, user_id)
    return user.display_name if user is not None else "Another agent"


def assign_agent(session: Session, call: m.Call, user: m.User) -> bool:
    """Make ``user`` the call's agent and the conversation theirs if nobody has it; False
    (nothing changed) when the call already is theirs."""
    if call.agent_id == user.id:
        return False
    now = utcnow()
    call.agent_id = user.id
    call.answered_at = call.answered_at or now
    if call.outcome == CallOutcome.RINGING.value:
        call.outcome = CallOutcome.ANSWERED.value
    conv = session.get(m.Conversation, call.conversation_id, with_for_update=True)
    if conv is not None:
        if conv.assignee_id is None:
            conv.assignee_id = user.id
        if call.direction == Direction.IN.value:
            conv.waiting_since = None  # an agent is talking to the caller
            if conv.first_response_at is None:
                conv.first_response_at = now
    calls.rewrite(session, call)
    return True


def answered_by(session: Session, call_sid: str, username: str) -> str:
    """Twilio's answer hook: ``username``'s phone or client picked up ``call_sid``. Returns
    what happened, for the log. The first answer wins, as with ``call.take``."""
    call = calls.find(session, call_sid, lock=True)
    if call is None:
        return "unknown call"
    user = session.scalars(select(m.User).where(m.User.username == username)).first()
    if user is None or not user.active:
        return f"unknown agent {username!r}"
    if realm_of(user) != call.realm:
        # A trainee's phone in voice_dial by mistake: never the agent of a real call.
        return f"agent {username!r} cannot take calls of the {call.realm} realm"
    if call.agent_id is not None:
        return "already taken"
    assign_agent(session, call, user)
    audit.record(session, user.id, "call.answered", "call", call.id, None, {"agent_id": user.id})
    return f"taken by {username}"


def take(session: Session, user: m.User, a: TakeArgs) -> None:
    """First desk wins: like ``conversation.claim``, a lost race is a typed rejection that
    names the winner."""
    call = _call(session, user, a.call_id)
    if call.agent_id not in (None, user.id):
        raise _reject(
            RejectCode.ALREADY_ASSIGNED,
            "{name} has already taken this call.",
            name=_name(session, call.agent_id),
        )
    if call.agent_id is None and (
        call.ended_at is not None or call.outcome != CallOutcome.RINGING.value
    ):
        raise _reject(RejectCode.CALL_ENDED, "This call ended before it was answered.")
    if assign_agent(session, call, user):
        audit.record(
            session,
            user.id,
            MutationType.CALL_TAKE,
            "call",
            call.id,
            {"agent_id": None},
            {"agent_id": user.id},
        )


def wrap_up(session: Session, user: m.User, a: WrapUpArgs) -> None:
    """Only the call's agent, or a supervisor, may wrap it up; wrapping up again replaces the
    earlier notes (the audit log keeps both)."""
    call = _call(session, user, a.call_id)
    if call.agent_id != user.id and user.role not in _OVERSEERS:
        if call.agent_id is None:
            raise _reject(
                RejectCode.FORBIDDEN, "Nobody took this call; only a supervisor can wrap it up."
            )
        raise _reject(
            RejectCode.FORBIDDEN,
            "Only {name} or a supervisor can wrap up this call.",
            name=_name(session, call.agent_id),
        )
    now = utcnow()
    callback = a.disposition == Disposition.CALLBACK_SCHEDULED
    if callback and (problem := callback_problem(a.callback_at, now)) is not None:
        raise _saying(RejectCode.INVALID, problem)
    before = {
        "disposition": call.disposition,
        "notes": call.wrapup_notes,
        "wrapped_up_at": call.wrapped_up_at.isoformat() if call.wrapped_up_at else None,
    }
    call.callback_at = a.callback_at if callback else None
    call.disposition = a.disposition.value
    call.wrapup_notes = a.notes.strip()
    call.script_trail = list(a.trail)
    call.script_id = a.script_id
    call.wrapped_up_at = now
    if call.ended_at is None:
        # The agent ended it on the desk before the provider reported (or there is no
        # provider: the simulator). The provider's later report still sets the final status.
        call.ended_at = now
        if call.outcome == CallOutcome.RINGING.value and call.direction == Direction.OUT.value:
            call.outcome = CallOutcome.MISSED.value  # ended on the desk before anyone answered
        if call.duration_seconds is None and call.answered_at is not None:
            call.duration_seconds = max(0, int((now - call.answered_at).total_seconds()))
    calls.rewrite(session, call)
    if callback:
        _schedule_callback(session, call, user)
        # The callback as a task too: listed on every desk, due on time, queued if unseen.
        from csdesk.server.callbacks.service import from_wrap_up

        from_wrap_up(session, call, user)
    else:
        from csdesk.server.callbacks.service import drop_wrap_up_callback

        drop_wrap_up_callback(session, call, user)
    audit.record(
        session,
        user.id,
        MutationType.CALL_WRAP_UP,
        "call",
        call.id,
        before,
        {"disposition": call.disposition, "notes": call.wrapup_notes, "trail": call.script_trail}
        | ({"callback_at": call.callback_at.isoformat()} if call.callback_at else {}),
    )


def _schedule_callback(session: Session, call: m.Call, user: m.User) -> None:
    """The callback as a task that comes back on time: the conversation is snoozed until
    ``callback_at``, tagged ``callback`` and given to the call's agent; the server's snooze
    waker (``server.sync.snooze``) reopens it then and that agent's desk announces it."""
    conv = session.get(m.Conversation, call.conversation_id, with_for_update=True)
    if conv is None or call.callback_at is None:
        return
    before = {"status": conv.status, "assignee_id": conv.assignee_id, "tags": list(conv.tags)}
    threads.add_tag(conv, calls.CALLBACK_TAG)
    reopens.record(conv, utcnow(), reopens.CALLBACK, by_user_id=user.id, session=session)
    conv.status = ConversationStatus.SNOOZED.value
    conv.snoozed_until = call.callback_at
    conv.resolved_at = None
    conv.assignee_id = call.agent_id or user.id
    audit.record(
        session,
        user.id,
        "conversation.callback",
        "conversation",
        conv.id,
        before,
        {
            "status": conv.status,
            "snoozed_until": call.callback_at.isoformat(),
            "assignee_id": conv.assignee_id,
            "tags": list(conv.tags),
        },
    )
