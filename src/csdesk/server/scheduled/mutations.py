"""Scheduled replies and follow-up reminders as push mutations (registered in
``server.sync.mutations.HANDLERS``).

Anyone who may reply in a conversation may schedule a reply there (not on a phone
conversation: there is nothing to send a text on); its author, a supervisor or an
administrator may change or cancel it until it has gone, and a refusal then says it has
gone. A reminder is its owner's alone: another user's answers "not found", as if it did not
exist (it never reached their desk). Every change is an audit entry and goes through the
change feed like any write.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from csdesk.domain import scheduled as rules
from csdesk.domain.enums import Channel, Role
from csdesk.domain.scheduled import ReminderStatus, ScheduledStatus
from csdesk.domain.storable import check_storable
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.conversation_merge.follow import follow
from csdesk.server.deps import realm_of
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

_ID = Field(min_length=1, max_length=36)
_LEADS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def _reject(code: RejectCode, message: str) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message)


_clean = check_storable


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class ScheduleArgs(_Args):
    scheduled_id: str = _ID
    conversation_id: str = _ID
    body_text: str = Field(min_length=1, max_length=rules.MAX_TEXT)
    subject: str = Field(default="", max_length=300)
    send_at: datetime

    _text = field_validator("body_text", "subject")(_clean)

    @field_validator("body_text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("cannot be blank")
        return value


class EditArgs(_Args):
    scheduled_id: str = _ID
    body_text: str | None = Field(default=None, min_length=1, max_length=rules.MAX_TEXT)
    send_at: datetime | None = None

    @field_validator("body_text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None:
            _clean(value)
            if not value.strip():
                raise ValueError("cannot be blank")
        return value


class ScheduledArgs(_Args):
    scheduled_id: str = _ID


class ReminderArgs(_Args):
    reminder_id: str = _ID
    conversation_id: str = _ID
    due_at: datetime
    only_if_no_reply: bool = True
    note: str = Field(default="", max_length=rules.MAX_NOTE)

    _text = field_validator("note")(_clean)


class ReminderItemArgs(_Args):
    reminder_id: str = _ID


def _check_time(at: datetime, now: datetime) -> None:
    problem = rules.time_problem(at, now)
    if problem is None:
        return
    bad = RejectCode.INVALID
    if "time zone" in problem:
        raise _reject(bad, "The time needs a time zone.")
    if "past" in problem:
        raise _reject(bad, "That time is in the past.")
    raise _reject(bad, "That is more than a year ahead.")


def _conversation(session: Session, user: m.User, cid: str) -> m.Conversation:
    conv = session.get(m.Conversation, cid)
    if conv is None or conv.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This conversation does not exist.")
    if conv.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    return conv


def _snapshot(row: m.ScheduledMessage) -> dict[str, Any]:
    return {"status": row.status, "send_at": row.send_at.isoformat(), "chars": len(row.body_text)}


def schedule(session: Session, user: m.User, a: ScheduleArgs) -> None:
    conv = _conversation(session, user, a.conversation_id)
    if conv.channel == Channel.PHONE.value:
        raise _reject(RejectCode.INVALID, "A reply cannot be scheduled on a phone conversation.")
    if session.get(m.ScheduledMessage, a.scheduled_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A scheduled reply with this id already exists.")
    if session.get(m.Message, a.scheduled_id) is not None:  # it becomes the message's id
        raise _reject(RejectCode.CONFLICT, "A message with this id already exists.")
    if conv.merged_into_id is not None:  # where the conversation lives now
        conv = follow(session, conv)
    _check_time(a.send_at, utcnow())
    row = m.ScheduledMessage(
        id=a.scheduled_id,
        realm=conv.realm,
        conversation_id=conv.id,
        author_id=user.id,
        author_name=user.display_name,
        body_text=a.body_text,
        subject=a.subject,
        send_at=a.send_at,
        status=ScheduledStatus.SCHEDULED.value,
    )
    session.add(row)
    audit.record(
        session, user.id, MutationType.SCHEDULED_SEND, "scheduled_message", row.id,
        None, _snapshot(row) | {"conversation_id": conv.id},
    )  # fmt: skip


def _held(session: Session, user: m.User, sid: str) -> m.ScheduledMessage:
    """The scheduled reply ``sid`` if ``user`` may change it and it has not gone yet."""
    row = session.get(m.ScheduledMessage, sid, with_for_update=True)
    if row is None or row.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This scheduled reply does not exist.")
    if row.author_id != user.id and user.role not in _LEADS:
        raise _reject(
            RejectCode.FORBIDDEN,
            "Only its author, a supervisor or an administrator may change a scheduled reply.",
        )
    if row.status == ScheduledStatus.SENT.value:
        raise _reject(
            RejectCode.CONFLICT,
            "Too late: this reply has already been sent, so it can no longer be changed.",
        )
    if row.status == ScheduledStatus.FAILED.value:
        raise _reject(
            RejectCode.CONFLICT,
            "Too late: this reply's time came and it could not be sent; see the message.",
        )
    if row.status == ScheduledStatus.CANCELLED.value:
        raise _reject(RejectCode.CONFLICT, "This scheduled reply was already cancelled.")
    return row


def edit(session: Session, user: m.User, a: EditArgs) -> None:
    if a.body_text is None and a.send_at is None:
        raise _reject(RejectCode.INVALID, "Change the text, the time or both.")
    row = _held(session, user, a.scheduled_id)
    before = _snapshot(row)
    if a.send_at is not None:
        _check_time(a.send_at, utcnow())
        row.send_at = a.send_at
    if a.body_text is not None:
        row.body_text = a.body_text
    audit.record(
        session, user.id, MutationType.SCHEDULED_EDIT, "scheduled_message", row.id,
        before, _snapshot(row),
    )  # fmt: skip


def cancel(session: Session, user: m.User, a: ScheduledArgs) -> None:
    row = _held(session, user, a.scheduled_id)
    before = _snapshot(row)
    row.status = ScheduledStatus.CANCELLED.value
    audit.record(
        session, user.id, MutationType.SCHEDULED_CANCEL, "scheduled_message", row.id,
        before, _snapshot(row),
    )  # fmt: skip


def set_reminder(session: Session, user: m.User, a: ReminderArgs) -> None:
    conv = _conversation(session, user, a.conversation_id)
    if session.get(m.Reminder, a.reminder_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A reminder with this id already exists.")
    _check_time(a.due_at, utcnow())
    session.add(
        m.Reminder(
            id=a.reminder_id,
            realm=conv.realm,
            owner_id=user.id,
            conversation_id=conv.id,
            due_at=a.due_at,
            only_if_no_reply=a.only_if_no_reply,
            note=a.note.strip(),
            status=ReminderStatus.PENDING.value,
            scope="personal",
        )
    )
    audit.record(
        session, user.id, MutationType.REMINDER_SET, "reminder", a.reminder_id, None,
        {"conversation_id": conv.id, "due_at": a.due_at.isoformat(),
         "only_if_no_reply": a.only_if_no_reply},
    )  # fmt: skip


def dismiss_reminder(session: Session, user: m.User, a: ReminderItemArgs) -> None:
    row = session.get(m.Reminder, a.reminder_id, with_for_update=True)
    if row is None or row.owner_id != user.id:
        raise _reject(RejectCode.NOT_FOUND, "This reminder does not exist.")
    if row.status == ReminderStatus.DISMISSED.value:
        return
    before = {"status": row.status}
    row.status = ReminderStatus.DISMISSED.value
    audit.record(
        session, user.id, MutationType.REMINDER_DISMISS, "reminder", row.id, before,
        {"status": row.status},
    )  # fmt: skip


def handlers() -> dict[str, tuple[type[BaseModel], Any]]:
    """The scheduled-send and reminder mutation types and their handlers (for the registry)."""
    return {
        MutationType.SCHEDULED_SEND: (ScheduleArgs, schedule),
        MutationType.SCHEDULED_EDIT: (EditArgs, edit),
        MutationType.SCHEDULED_CANCEL: (ScheduledArgs, cancel),
        MutationType.REMINDER_SET: (ReminderArgs, set_reminder),
        MutationType.REMINDER_DISMISS: (ReminderItemArgs, dismiss_reminder),
    }
