"""Push mutations for callback tasks: schedule, change, cancel, take; and the callback a
wrap-up promises.

Registered in ``server.sync.mutations.HANDLERS``; ``Reject`` is imported when a mutation is
refused (as in ``channels.call_mutations``), so this module does not import the registry.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.access import can_read
from csdesk.domain.callbacks import MAX_NOTE, OPEN_STATUSES, CallbackStatus, is_dialable
from csdesk.domain.calls import callback_problem
from csdesk.domain.enums import IdentityKind, Role
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.deps import realm_of
from csdesk.server.refusals import Param
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

#: The audit action of a callback the wrap-up scheduled (the mutation is ``call.wrap_up``).
FROM_WRAP_UP = "callback.from_wrap_up"


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


Id = Field(min_length=1, max_length=36)


class ScheduleArgs(_Args):
    callback_id: str = Id
    customer_id: str = Id
    conversation_id: str | None = Field(default=None, min_length=1, max_length=36)
    #: The number to call (E.164); empty: the customer's phone, if they have one.
    phone: str = Field(default="", max_length=32)
    due_at: datetime
    #: Who calls back; None: the queue (whoever takes it first).
    assignee_id: str | None = Field(default=None, min_length=1, max_length=36)
    note: str = Field(default="", max_length=MAX_NOTE)


class UpdateArgs(_Args):
    callback_id: str = Id
    due_at: datetime | None = None
    assignee_id: str | None = Field(default=None, min_length=1, max_length=36)
    #: With ``assignee_id`` None: give it to the queue (without it, the assignee is kept).
    set_assignee: bool = False
    note: str | None = Field(default=None, max_length=MAX_NOTE)


class CallbackArgs(_Args):
    callback_id: str = Id


def _snapshot(cb: m.Callback) -> dict[str, Any]:
    return {
        "status": cb.status,
        "due_at": cb.due_at.isoformat(),
        "assignee_id": cb.assignee_id,
        "note": cb.note,
    }


def _name(session: Session, user_id: str | None) -> str:
    user = session.get(m.User, user_id) if user_id else None
    return user.display_name if user is not None else "another agent"


def _assignee(session: Session, user: m.User, assignee_id: str | None, realm: str) -> str | None:
    if assignee_id is None:
        return None
    if user.role == Role.TRAINEE.value and assignee_id != user.id:
        raise _reject(RejectCode.FORBIDDEN, "Trainees can only give callbacks to themselves.")
    target = session.get(m.User, assignee_id)
    if target is None or not target.active:
        raise _reject(RejectCode.NOT_FOUND, "That teammate does not exist or is disabled.")
    if not can_read(target.role, realm):
        raise _reject(
            RejectCode.ASSIGNEE_CANNOT_READ,
            "{name} cannot see this customer.",
            name=target.display_name,
        )
    return target.id


def _due_problem(at: datetime, now: datetime) -> Reject | None:
    """Why ``at`` cannot be the callback's time, one literal sentence per case."""
    problem = callback_problem(at, now)
    if problem is None:
        return None
    bad = RejectCode.INVALID
    if "time zone" in problem.text:
        return _reject(bad, "The callback's time needs a time zone.")
    if "past" in problem.text:
        return _reject(bad, "The callback's time is in the past.")
    if "year" in problem.text:
        return _reject(bad, "A callback can be scheduled at most a year ahead.")
    return _reject(bad, "A scheduled callback needs the date and time to call back.")


def customer_phone(session: Session, customer_id: str) -> str:
    """The customer's phone to call back on: a verified one first, else any."""
    rows = session.scalars(
        select(m.CustomerIdentity)
        .where(
            m.CustomerIdentity.customer_id == customer_id,
            m.CustomerIdentity.kind == IdentityKind.PHONE.value,
        )
        .order_by(m.CustomerIdentity.verified.desc(), m.CustomerIdentity.created_at)
    ).all()
    return next((r.value for r in rows if is_dialable(r.value)), "")


def _callback(session: Session, user: m.User, callback_id: str) -> m.Callback:
    cb = session.get(m.Callback, callback_id, with_for_update=True)
    if cb is None or cb.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This callback does not exist.")
    return cb


def _open(session: Session, user: m.User, callback_id: str) -> m.Callback:
    cb = _callback(session, user, callback_id)
    if cb.status not in OPEN_STATUSES:
        if cb.status == CallbackStatus.DONE.value:
            raise _reject(RejectCode.CONFLICT, "This callback was already made.")
        raise _reject(RejectCode.CONFLICT, "This callback was already cancelled.")
    return cb


def schedule(session: Session, user: m.User, a: ScheduleArgs) -> None:
    realm = realm_of(user)
    if session.get(m.Callback, a.callback_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A callback with this id already exists.")
    cust = session.get(m.Customer, a.customer_id)
    if cust is None or cust.realm != realm:
        raise _reject(RejectCode.NOT_FOUND, "This customer does not exist.")
    if cust.merged_into_id is not None:
        raise _reject(RejectCode.DELETED, "This customer was merged into another profile.")
    if a.conversation_id is not None:
        conv = session.get(m.Conversation, a.conversation_id)
        if conv is None or conv.realm != realm or conv.customer_id != cust.id:
            raise _reject(RejectCode.NOT_FOUND, "This conversation is not this customer's.")
    now = utcnow()
    if (problem := _due_problem(a.due_at, now)) is not None:
        raise problem
    phone = a.phone.strip() or customer_phone(session, cust.id)
    if phone and not is_dialable(phone):
        raise _reject(RejectCode.INVALID, "The number to call back must be in +4420… form.")
    cb = m.Callback(
        id=a.callback_id,
        realm=realm,
        customer_id=cust.id,
        conversation_id=a.conversation_id,
        phone=phone,
        due_at=a.due_at,
        assignee_id=_assignee(session, user, a.assignee_id, realm),
        status=CallbackStatus.SCHEDULED.value,
        note=a.note.strip(),
        detail="",
        created_by_id=user.id,
        created_at=now,
    )
    session.add(cb)
    audit.record(
        session, user.id, MutationType.CALLBACK_SCHEDULE, "callback", cb.id, None, _snapshot(cb)
    )


def update(session: Session, user: m.User, a: UpdateArgs) -> None:
    cb = _open(session, user, a.callback_id)
    before = _snapshot(cb)
    if a.due_at is None and a.note is None and a.assignee_id is None and not a.set_assignee:
        raise _reject(RejectCode.INVALID, "Nothing to change.")
    if a.due_at is not None:
        if (problem := _due_problem(a.due_at, utcnow())) is not None:
            raise problem
        cb.due_at = a.due_at
        # Another time: it waits again, and comes due (and is announced) then.
        cb.status = CallbackStatus.SCHEDULED.value
        cb.fired_at = cb.seen_at = None
        cb.detail = ""
    if a.assignee_id is not None or a.set_assignee:
        cb.assignee_id = _assignee(session, user, a.assignee_id, cb.realm)
        cb.seen_at = None
        cb.detail = ""
    if a.note is not None:
        cb.note = a.note.strip()
    audit.record(
        session, user.id, MutationType.CALLBACK_UPDATE, "callback", cb.id, before, _snapshot(cb)
    )


def cancel(session: Session, user: m.User, a: CallbackArgs) -> None:
    cb = _open(session, user, a.callback_id)
    before = _snapshot(cb)
    cb.status = CallbackStatus.CANCELLED.value
    cb.done_at = utcnow()
    audit.record(
        session, user.id, MutationType.CALLBACK_CANCEL, "callback", cb.id, before, _snapshot(cb)
    )


def take(session: Session, user: m.User, a: CallbackArgs) -> None:
    """Take a callback from the queue, or acknowledge one given to me (its desk announced
    it): either way it stays mine and will not move to the queue."""
    cb = _open(session, user, a.callback_id)
    if cb.assignee_id not in (None, user.id):
        raise _reject(
            RejectCode.ALREADY_ASSIGNED,
            "{name} has already taken this callback.",
            name=_name(session, cb.assignee_id),
        )
    before = _snapshot(cb)
    changed = cb.assignee_id is None
    cb.assignee_id = user.id
    if cb.status == CallbackStatus.DUE.value and cb.seen_at is None:
        cb.seen_at = utcnow()
        changed = True
    if changed:
        audit.record(
            session, user.id, MutationType.CALLBACK_TAKE, "callback", cb.id, before, _snapshot(cb)
        )


def mark_done(session: Session, user: m.User, callback_id: str, call_id: str) -> None:
    """The callback's call was placed (``call.place`` with a ``callback_id``)."""
    cb = _open(session, user, callback_id)
    if cb.assignee_id not in (None, user.id):
        raise _reject(
            RejectCode.ALREADY_ASSIGNED,
            "{name} has this callback.",
            name=_name(session, cb.assignee_id),
        )
    before = _snapshot(cb)
    cb.assignee_id = user.id
    cb.status = CallbackStatus.DONE.value
    cb.done_at = utcnow()
    cb.done_call_id = call_id
    audit.record(session, user.id, "callback.done", "callback", cb.id, before, _snapshot(cb))


def from_wrap_up(session: Session, call: m.Call, user: m.User) -> m.Callback | None:
    """The callback a "callback scheduled" wrap-up promised, for the call's agent; a second
    wrap-up of the same call moves it rather than adding another."""
    conv = session.get(m.Conversation, call.conversation_id)
    if conv is None or call.callback_at is None:
        return None
    existing = session.scalars(
        select(m.Callback).where(
            m.Callback.call_id == call.id, m.Callback.status.in_(sorted(OPEN_STATUSES))
        )
    ).first()
    number = call.from_number if call.direction == "in" else call.to_number
    phone = number if is_dialable(number) else customer_phone(session, conv.customer_id)
    cb = existing or m.Callback(
        id=str(uuid.uuid4()),
        realm=call.realm,
        customer_id=conv.customer_id,
        conversation_id=conv.id,
        call_id=call.id,
        created_by_id=user.id,
        note="",
        detail="",
    )
    before = _snapshot(cb) if existing is not None else None
    cb.phone = phone
    cb.due_at = call.callback_at
    cb.assignee_id = call.agent_id or user.id
    cb.status = CallbackStatus.SCHEDULED.value
    cb.fired_at = cb.seen_at = None
    cb.note = (call.wrapup_notes or "")[:MAX_NOTE]
    if existing is None:
        session.add(cb)
    audit.record(session, user.id, FROM_WRAP_UP, "callback", cb.id, before, _snapshot(cb))
    return cb


def drop_wrap_up_callback(session: Session, call: m.Call, user: m.User) -> None:
    """A wrap-up redone without "callback scheduled" cancels the callback the first promised."""
    for cb in session.scalars(
        select(m.Callback).where(
            m.Callback.call_id == call.id, m.Callback.status.in_(sorted(OPEN_STATUSES))
        )
    ):
        before = _snapshot(cb)
        cb.status = CallbackStatus.CANCELLED.value
        cb.done_at = utcnow()
        audit.record(
            session, user.id, MutationType.CALLBACK_CANCEL, "callback", cb.id, before, _snapshot(cb)
        )
