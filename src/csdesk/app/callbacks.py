"""Use cases for click-to-call and callback tasks on the desk (Qt-free, run on workers).

Scheduling, changing, taking and cancelling a callback go through the outbox like every
action, so they work offline. Placing a call does too, but the window refuses it while
offline: a call queued for hours would ring the agent's phone long after they meant it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from csdesk.app import formats
from csdesk.app.workstation import Workstation
from csdesk.domain.callbacks import OPEN_STATUSES, CallbackKind, CallbackStatus, is_dialable
from csdesk.domain.enums import IdentityKind
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.sync.events import ChangeSet


@dataclass(frozen=True, slots=True)
class CallbackView:
    id: str
    customer_id: str
    customer_name: str
    conversation_id: str | None
    phone: str
    due_at: datetime
    status: str
    assignee_id: str | None
    assignee_name: str
    note: str
    detail: str
    seen_at: datetime | None
    kind: str = CallbackKind.CALLBACK.value

    @property
    def due(self) -> bool:
        return self.status == CallbackStatus.DUE.value

    @property
    def is_follow_up(self) -> bool:
        """A low survey score's follow-up for the supervisor, not a promised call."""
        return self.kind == CallbackKind.SURVEY_FOLLOW_UP.value

    def due_text(self) -> str:
        """What the desk says when it comes due (assertively, and in the tray)."""
        if self.is_follow_up:
            text = _("Low survey score follow-up due: {name}.").format(name=self.customer_name)
            if self.note:
                text = f"{text} {self.note}"
            return text + " " + _("Shift+F4 lists your callbacks.")
        return _("Callback due: {name} on {number}. Shift+F4 lists your callbacks.").format(
            name=self.customer_name, number=self.phone or _("no phone number")
        )

    def sentence(self, me: str, now: datetime | None = None) -> str:
        """One full sentence for the list and the screen reader."""
        at = self.due_at.astimezone()
        when = formats.day_text(at) + " " + formats.time_text(at)
        if self.due or self.due_at <= (now or utcnow()):
            head = _("Due now (since {when})").format(when=when)
        else:
            head = _("At {when}").format(when=when)
        whose = (
            _("yours")
            if self.assignee_id == me
            else _("in the queue")
            if self.assignee_id is None
            else self.assignee_name
        )
        if self.is_follow_up:
            return self._follow_up_sentence(head, whose)
        number = self.phone or _("no phone number")
        text = _("{head}: call back {name} on {number}, {whose}.").format(
            head=head, name=self.customer_name, number=number, whose=whose
        )
        if self.note:
            note = _("Note: {note}").format(note=self.note)  # extracted: not in an f-string
            text = f"{text} {note}"
        if self.detail:
            text = f"{text} {self.detail}"
        return text

    def _follow_up_sentence(self, head: str, whose: str) -> str:
        """ "Due now (since …): low survey score follow-up with Kim Berg, yours. Customer rated
        2/5: Took ages. Phone: +44…" — the customer's answer is the note, as they wrote it."""
        text = _("{head}: low survey score follow-up with {name}, {whose}.").format(
            head=head, name=self.customer_name, whose=whose
        )
        if self.note:
            text = f"{text} {self.note}"
        if self.phone:
            text = f"{text} " + _("Phone: {number}.").format(number=self.phone)
        return text


def _view(session: object, cb: m.Callback) -> CallbackView:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    cust = session.get(m.Customer, cb.customer_id)
    user = session.get(m.User, cb.assignee_id) if cb.assignee_id else None
    return CallbackView(
        id=cb.id,
        customer_id=cb.customer_id,
        customer_name=cust.name if cust is not None and cust.name else _("Unknown customer"),
        conversation_id=cb.conversation_id,
        phone=cb.phone or "",
        due_at=cb.due_at,
        status=cb.status,
        assignee_id=cb.assignee_id,
        assignee_name=user.display_name if user is not None else "",
        note=cb.note or "",
        detail=cb.detail or "",
        seen_at=cb.seen_at,
        kind=cb.kind or CallbackKind.CALLBACK.value,
    )


class Callbacks:
    """Click-to-call and callbacks for one signed-in desk."""

    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    # --- queries (run on workers) ----------------------------------------------------------

    def listing(self) -> list[CallbackView]:
        """Open callbacks that are mine or in the queue: due ones first, then by time."""
        me = self.ws.me.id
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(m.Callback)
                .where(
                    m.Callback.status.in_(sorted(OPEN_STATUSES)),
                    or_(m.Callback.assignee_id == me, m.Callback.assignee_id.is_(None)),
                )
                .order_by(m.Callback.due_at, m.Callback.id)
            ).all()
            views = [_view(s, cb) for cb in rows]
        return sorted(views, key=lambda v: (not v.due, v.due_at))

    def to_announce(self) -> list[CallbackView]:
        """Due callbacks given to me that my desk has not acknowledged yet."""
        me = self.ws.me.id
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(m.Callback).where(
                    m.Callback.status == CallbackStatus.DUE.value,
                    m.Callback.assignee_id == me,
                    m.Callback.seen_at.is_(None),
                )
            ).all()
            return [_view(s, cb) for cb in rows]

    def phones(self, customer_id: str) -> list[str]:
        """The customer's phones a call can be placed to, verified first."""
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(m.CustomerIdentity)
                .where(
                    m.CustomerIdentity.customer_id == customer_id,
                    m.CustomerIdentity.kind == IdentityKind.PHONE.value,
                )
                .order_by(m.CustomerIdentity.verified.desc(), m.CustomerIdentity.value)
            ).all()
            return [r.value for r in rows if is_dialable(r.value)]

    # --- actions (the outbox) ----------------------------------------------------------------

    def place_call(
        self,
        customer_id: str,
        number: str,
        conversation_id: str | None = None,
        callback_id: str | None = None,
    ) -> str:
        """Queue ``call.place``; the call's id. The window checks it is online first."""
        call_id = str(uuid.uuid4())
        args: dict[str, object] = {
            "call_id": call_id,
            "customer_id": customer_id,
            "number": number,
        }
        if conversation_id:
            args["conversation_id"] = conversation_id
        if callback_id:
            args["callback_id"] = callback_id
        self.ws.engine.enqueue(MutationType.CALL_PLACE, args)
        return call_id

    def schedule(
        self,
        customer_id: str,
        due_at: datetime,
        *,
        mine: bool,
        conversation_id: str | None = None,
        phone: str = "",
        note: str = "",
    ) -> tuple[str, ChangeSet]:
        cb_id = str(uuid.uuid4())
        args: dict[str, object] = {
            "callback_id": cb_id,
            "customer_id": customer_id,
            "due_at": due_at.isoformat(),
            "assignee_id": self.ws.me.id if mine else None,
            "phone": phone,
            "note": note.strip(),
        }
        if conversation_id:
            args["conversation_id"] = conversation_id
        self.ws.engine.enqueue(MutationType.CALLBACK_SCHEDULE, args)
        return cb_id, ChangeSet.of([(Entity.CALLBACK, cb_id)])

    def take(self, callback_id: str) -> ChangeSet:
        self.ws.engine.enqueue(MutationType.CALLBACK_TAKE, {"callback_id": callback_id})
        return ChangeSet.of([(Entity.CALLBACK, callback_id)])

    def reschedule(self, callback_id: str, due_at: datetime, *, mine: bool, note: str) -> ChangeSet:
        """Another time, who calls back (me or the queue) and note (``callback.update``)."""
        args: dict[str, object] = {
            "callback_id": callback_id,
            "due_at": due_at.isoformat(),
            "assignee_id": self.ws.me.id if mine else None,
            "set_assignee": True,
            "note": note.strip(),
        }
        self.ws.engine.enqueue(MutationType.CALLBACK_UPDATE, args)
        return ChangeSet.of([(Entity.CALLBACK, callback_id)])

    def cancel(self, callback_id: str) -> ChangeSet:
        self.ws.engine.enqueue(MutationType.CALLBACK_CANCEL, {"callback_id": callback_id})
        return ChangeSet.of([(Entity.CALLBACK, callback_id)])

    def set_call_phone(self, value: str) -> None:
        self.ws.engine.enqueue(MutationType.USER_SET_CALL_PHONE, {"call_phone": value.strip()})
