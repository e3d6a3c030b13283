"""The desk's use cases for scheduled replies and follow-up reminders
(docs/scheduled-send.md). Qt-free; queries run on workers.

Everything goes through the outbox like any action, so scheduling works offline; the
*server* holds a scheduled reply and sends it at its time (the desk may be closed by then),
and makes a reminder due, which reaches only its owner's desk.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from csdesk.app import formats
from csdesk.domain.scheduled import ReminderStatus, ScheduledStatus
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation


def when_text(at: datetime) -> str:
    """ "Mon 7 Dec 09:00" in the desk's time zone."""
    local = at.astimezone()
    return f"{formats.day_text(local)} {formats.time_text(local)}"


@dataclass(frozen=True, slots=True)
class ScheduledView:
    id: str
    conversation_id: str
    body_text: str
    send_at: datetime
    status: str
    author_id: str
    author_name: str
    failure_reason: str

    @property
    def held(self) -> bool:
        return self.status == ScheduledStatus.SCHEDULED.value

    def heading(self) -> str:
        """ "Scheduled for Mon 7 Dec 09:00" (plain text, shown above the composer)."""
        return _("Scheduled for {when}").format(when=when_text(self.send_at))

    def sentence(self) -> str:
        """One sentence for the list and the screen reader."""
        first = self.body_text.strip().splitlines()[0] if self.body_text.strip() else ""
        if len(first) > 120:
            first = first[:119] + "…"
        return _("{heading}, by {author}: {text}").format(
            heading=self.heading(), author=self.author_name, text=first
        )


@dataclass(frozen=True, slots=True)
class ReminderView:
    id: str
    conversation_id: str
    customer_name: str
    subject: str
    due_at: datetime
    status: str
    only_if_no_reply: bool
    note: str

    @property
    def due(self) -> bool:
        return self.status == ReminderStatus.DUE.value

    def sentence(self) -> str:
        when = when_text(self.due_at)
        about = self.subject or _("no subject")
        if self.due:
            text = _("Due since {when}: follow up with {name} about {subject}.").format(
                when=when, name=self.customer_name, subject=about
            )
        else:
            text = _("At {when}: follow up with {name} about {subject}.").format(
                when=when, name=self.customer_name, subject=about
            )
            if self.only_if_no_reply:
                only = _("Only if they have not replied by then.")  # extracted: not in an f-string
                text = f"{text} {only}"
        if self.note:
            note = _("Note: {note}").format(note=self.note)
            text = f"{text} {note}"
        return text


def _scheduled_view(row: m.ScheduledMessage) -> ScheduledView:
    return ScheduledView(
        id=row.id,
        conversation_id=row.conversation_id,
        body_text=row.body_text or "",
        send_at=row.send_at,
        status=row.status,
        author_id=row.author_id,
        author_name=row.author_name or "",
        failure_reason=row.failure_reason or "",
    )


class Scheduling:
    """Scheduled replies and reminders for one signed-in desk."""

    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    # --- queries (workers) -----------------------------------------------------------------

    def held(self, conversation_id: str) -> list[ScheduledView]:
        """The replies still waiting for their time in this conversation, soonest first."""
        S = m.ScheduledMessage
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(S)
                .where(
                    S.conversation_id == conversation_id,
                    S.status == ScheduledStatus.SCHEDULED.value,
                )
                .order_by(S.send_at, S.id)
            ).all()
            return [_scheduled_view(r) for r in rows]

    def reminders(self) -> list[ReminderView]:
        """My reminders still to act on (pending or due): due ones first, then by time."""
        R = m.Reminder
        me = self.ws.me.id
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(R)
                .where(
                    R.owner_id == me,
                    R.status.in_([ReminderStatus.PENDING.value, ReminderStatus.DUE.value]),
                )
                .order_by(R.due_at, R.id)
            ).all()
            views = []
            for r in rows:
                conv = s.get(m.Conversation, r.conversation_id)
                cust = s.get(m.Customer, conv.customer_id) if conv is not None else None
                views.append(
                    ReminderView(
                        id=r.id,
                        conversation_id=r.conversation_id,
                        customer_name=(cust.name if cust is not None and cust.name else "")
                        or _("Unknown customer"),
                        subject=conv.subject if conv is not None else "",
                        due_at=r.due_at,
                        status=r.status,
                        only_if_no_reply=bool(r.only_if_no_reply),
                        note=r.note or "",
                    )
                )
        return sorted(views, key=lambda v: (not v.due, v.due_at))

    def due_reminders(self) -> list[ReminderView]:
        return [v for v in self.reminders() if v.due]

    # --- actions (the outbox) --------------------------------------------------------------

    def schedule(
        self, conversation_id: str, body: str, send_at: datetime, subject: str = ""
    ) -> tuple[str, ChangeSet]:
        sid = str(uuid.uuid4())
        args: dict[str, object] = {
            "scheduled_id": sid,
            "conversation_id": conversation_id,
            "body_text": body,
            "send_at": send_at.isoformat(),
        }
        if subject:
            args["subject"] = subject
        self.ws.engine.enqueue(MutationType.SCHEDULED_SEND, args)
        return sid, ChangeSet.of([(Entity.SCHEDULED_MESSAGE, sid)])

    def edit(self, scheduled_id: str, body: str, send_at: datetime) -> ChangeSet:
        args = {"scheduled_id": scheduled_id, "body_text": body, "send_at": send_at.isoformat()}
        self.ws.engine.enqueue(MutationType.SCHEDULED_EDIT, args)
        return ChangeSet.of([(Entity.SCHEDULED_MESSAGE, scheduled_id)])

    def cancel(self, scheduled_id: str) -> ChangeSet:
        self.ws.engine.enqueue(MutationType.SCHEDULED_CANCEL, {"scheduled_id": scheduled_id})
        return ChangeSet.of([(Entity.SCHEDULED_MESSAGE, scheduled_id)])

    def remind(
        self, conversation_id: str, due_at: datetime, *, only_if_no_reply: bool, note: str = ""
    ) -> str:
        rid = str(uuid.uuid4())
        args: dict[str, object] = {
            "reminder_id": rid,
            "conversation_id": conversation_id,
            "due_at": due_at.isoformat(),
            "only_if_no_reply": only_if_no_reply,
            "note": note.strip(),
        }
        self.ws.engine.enqueue(MutationType.REMINDER_SET, args)
        return rid

    def dismiss(self, reminder_id: str) -> ChangeSet:
        self.ws.engine.enqueue(MutationType.REMINDER_DISMISS, {"reminder_id": reminder_id})
        return ChangeSet.of([(Entity.REMINDER, reminder_id)])
