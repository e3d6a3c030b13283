"""The desk's use cases for scheduled replies and follow-up reminders
(docs/scheduled-send.md). Qt-free; queries run on workers.

Everything goes through the outbox like any action, so scheduling works offline; the
*server* holds a scheduled reply and sends it at its time (the desk may be closed by then),
and makes a reminder due, which reaches only its owner's desk.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select

from csdesk.app import formats
from csdesk.domain.scheduled import ReminderStatus, ScheduledStatus
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet
from csdesk.sync.tables import get_state, set_state

#: The due reminders this desk has announced (sync state in the cache): each is said once.
ANNOUNCED_KEY = "announced_reminders"

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation


def zone_named(name: str | None) -> tzinfo | None:
    """The agent's time zone setting as a zone (None: unset or unknown, the system's)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # a setting from another machine's zone list
        return None


def when_text(at: datetime, zone: tzinfo | None = None) -> str:
    """ "Mon 7 Dec 09:00" in the agent's time zone (``zone``; None: the system's)."""
    local = at.astimezone(zone)
    return f"{formats.day_text(local)} {formats.time_text(local, zone)}"


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
    zone: tzinfo | None = None  # the agent's time zone setting (None: the system's)

    @property
    def held(self) -> bool:
        return self.status == ScheduledStatus.SCHEDULED.value

    def heading(self) -> str:
        """ "Scheduled for Mon 7 Dec 09:00" (plain text, shown above the composer)."""
        return _("Scheduled for {when}").format(when=when_text(self.send_at, self.zone))

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
    zone: tzinfo | None = None  # the agent's time zone setting (None: the system's)

    @property
    def due(self) -> bool:
        return self.status == ReminderStatus.DUE.value

    def sentence(self) -> str:
        when = when_text(self.due_at, self.zone)
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


def _scheduled_view(row: m.ScheduledMessage, zone: tzinfo | None = None) -> ScheduledView:
    return ScheduledView(
        id=row.id,
        conversation_id=row.conversation_id,
        body_text=row.body_text or "",
        send_at=row.send_at,
        status=row.status,
        author_id=row.author_id,
        author_name=row.author_name or "",
        failure_reason=row.failure_reason or "",
        zone=zone,
    )


class Scheduling:
    """Scheduled replies and reminders for one signed-in desk."""

    def __init__(self, ws: Workstation, zone: Callable[[], tzinfo | None] = lambda: None) -> None:
        """``zone``: the agent's time zone now (their setting; None: the system's)."""
        self.ws = ws
        self.zone = zone

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
            zone = self.zone()
            return [_scheduled_view(r, zone) for r in rows]

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
            views, zone = [], self.zone()
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
                        zone=zone,
                    )
                )
        return sorted(views, key=lambda v: (not v.due, v.due_at))

    def due_reminders(self) -> list[ReminderView]:
        return [v for v in self.reminders() if v.due]

    def to_announce(self) -> list[ReminderView]:
        """The due reminders this desk has not announced yet, now marked announced (in the
        cache, so a restart does not announce them again). Run on the writer lane."""
        due = self.due_reminders()
        ids = {v.id for v in due}
        with self.ws.cache.session() as s:
            said = set(get_state(s, ANNOUNCED_KEY) or [])
        fresh = [v for v in due if v.id not in said]
        if fresh or said - ids:
            with self.ws.cache.write() as s:
                # Only the ones still due are kept: bounded, and one that is set again (pending,
                # then due once more) is announced again.
                said = set(get_state(s, ANNOUNCED_KEY) or []) & ids
                set_state(s, ANNOUNCED_KEY, sorted(said | {v.id for v in fresh}))
        return fresh

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
