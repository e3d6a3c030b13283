"""Escalation: conversations about to breach a target, or breached, are escalated once per
clock and level (docs/sla.md).

The scan runs at start and every ``CSDESK_SLA_SCAN_SECONDS`` (60; 0 turns it off), in the
shape of the outreach scanner. For each running clock of an open or pending production
conversation it finds the level reached now: *warning* once the policy's threshold is passed
(``Escalation.warn_at``), *breach* once the due time is. Each level is claimed by inserting an
``sla_escalations`` row under a unique key inside a savepoint: with several server processes on
one PostgreSQL, the second insert waits for the first to commit and then fails, so exactly one
process notifies. The escalation then

- tells the assignee and the team's supervisors (every supervisor when there is no team) with
  a floor message, which their desks show in the tray and announce (``ui.floor_desk``);
- on a breach, when the policy says so, raises the priority one step and/or moves the
  conversation to the escalation team (``escalation_queue.escalation_team_id``);
- writes an internal note in the thread and an audit entry, so it is on the conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.enums import (
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Priority,
    Realm,
    Role,
)
from csdesk.domain.phrase import Phrase
from csdesk.domain.sla import SlaClock
from csdesk.domain.sla_policy import SlaPolicy
from csdesk.server.deps import realm_of
from csdesk.server.sla import store
from csdesk.server.sla.escalation_queue import escalation_team_id
from csdesk.server.state import ServerState
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)

WARNING: Final = "warning"
BREACH: Final = "breach"
#: Who the notes and floor messages are from.
AUTHOR: Final = "SLA"
SENDER_ID: Final = "sla"
AUTO_KIND: Final = "sla"
ACTION: Final = "sla.escalate"
BATCH: Final = 2000
#: A clock that breached longer ago than this when the scan first sees it (history loaded in
#: bulk, a server that was down) is not escalated late: escalation is news, not an archive.
LOOKBACK: Final = timedelta(hours=1)
_RUNNING = (ConversationStatus.OPEN.value, ConversationStatus.PENDING.value)
_ORDER = list(Priority)  # low -> urgent


@dataclass(frozen=True, slots=True)
class Escalated:
    conversation_id: str
    clock: str
    level: str
    notified: tuple[str, ...]


def scan_seconds() -> float:
    raw = os.environ.get("CSDESK_SLA_SCAN_SECONDS", "").strip()
    try:
        return max(float(raw), 0.0) if raw else 60.0
    except ValueError:
        return 60.0


def _level(policy: SlaPolicy, started: datetime, due: datetime, now: datetime) -> str | None:
    if now > due:
        return BREACH
    if now >= policy.escalation.warn_at(started, due):
        return WARNING
    return None


def _candidates(session: Session, clock: str, now: datetime) -> list[m.Conversation]:
    C, E = m.Conversation, m.SlaEscalation
    breached = exists().where(E.conversation_id == C.id, E.clock == clock, E.level == BREACH)
    q = select(C).where(
        C.status.in_(_RUNNING),
        C.deleted_at.is_(None),
        C.realm == Realm.PRODUCTION.value,
        ~breached,
    )
    if clock == SlaClock.FIRST_RESPONSE.value:
        due_col = C.first_response_due_at
        q = q.where(C.first_response_at.is_(None), due_col.is_not(None))
    else:
        due_col = C.resolution_due_at
        q = q.where(due_col.is_not(None))
    q = q.where(due_col >= now - LOOKBACK)
    return list(session.scalars(q.order_by(due_col).limit(BATCH)))


def _claim(session: Session, conv_id: str, clock: str, level: str, due: datetime) -> bool:
    try:
        with session.begin_nested():
            session.add(
                m.SlaEscalation(conversation_id=conv_id, clock=clock, level=level, due_at=due)
            )
            session.flush()
    except IntegrityError:
        return False  # another process (or an earlier scan) escalated this level
    return True


def _recipients(session: Session, conv: m.Conversation) -> list[m.User]:
    U = m.User
    sup = select(U).where(U.role == Role.SUPERVISOR.value, U.active.is_(True))
    if conv.team_id is not None:
        sup = sup.where(U.team_id == conv.team_id)
    people = {u.id: u for u in session.scalars(sup.order_by(U.id))}
    if conv.assignee_id is not None:
        who = session.get(U, conv.assignee_id)
        if who is not None and who.active:
            people[who.id] = who
    return list(people.values())


def _phrase(conv: m.Conversation, clock: str, level: str, due: datetime) -> Phrase:
    """The notice, one literal sentence per clock and level (a translator sees whole
    sentences); the English text is the same as it always was."""
    what = (conv.subject or conv.preview or conv.channel)[:80]
    at = due.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    first = clock == SlaClock.FIRST_RESPONSE.value
    if level == BREACH:
        if first:
            return Phrase(
                "SLA breached: the first response of “{what}” was due {at}.", what=what, at=at
            )
        return Phrase("SLA breached: the resolution of “{what}” was due {at}.", what=what, at=at)
    if first:
        return Phrase("SLA at risk: the first response of “{what}” is due {at}.", what=what, at=at)
    return Phrase("SLA at risk: the resolution of “{what}” is due {at}.", what=what, at=at)


#: The note's line when the breach raised the priority, per new priority.
_RAISED: Final = {
    Priority.NORMAL.value: Phrase("Priority raised to normal."),
    Priority.HIGH.value: Phrase("Priority raised to high."),
    Priority.URGENT.value: Phrase("Priority raised to urgent."),
}
_MOVED: Final = Phrase("Moved to the escalation queue.")


def _escalate(
    session: Session, policy: SlaPolicy, conv: m.Conversation, clock: str, level: str, due: datetime
) -> Escalated:
    now = utcnow()
    said = _phrase(conv, clock, level, due)
    sentence = said.text
    phrases = [said]
    actions: list[str] = []
    before = {"priority": conv.priority, "team_id": conv.team_id}
    if level == BREACH and policy.escalation.raise_priority:
        at = _ORDER.index(Priority(conv.priority))
        if at + 1 < len(_ORDER):
            conv.priority = _ORDER[at + 1].value
            actions.append(f"priority raised to {conv.priority}")
            phrases.append(_RAISED[conv.priority])
    if level == BREACH and policy.escalation.move_to_queue:
        target = escalation_team_id(session)
        if target is not None and conv.team_id != target:
            conv.team_id = target
            actions.append("moved to the escalation queue")
            phrases.append(_MOVED)
    people = _recipients(session, conv)
    for person in people:
        session.add(
            m.FloorMessage(
                id=str(uuid.uuid4()),
                realm=realm_of(person),
                to_user_id=person.id,
                from_user_id=SENDER_ID,
                from_name=AUTHOR,
                body=sentence,
                body_phrases=[said.as_json()],
            )
        )
    note = sentence
    if actions:
        note += " " + "; ".join(actions).capitalize() + "."
    if people:
        names = ", ".join(p.display_name for p in people)
        note += " Notified: " + names + "."
        phrases.append(Phrase("Notified: {names}.", names=names))
    session.add(
        m.Message(
            id=str(uuid.uuid4()),
            realm=conv.realm,
            conversation_id=conv.id,
            channel=conv.channel,
            direction=Direction.OUT.value,
            is_note=True,
            author_name=AUTHOR,
            body_text=note,
            body_phrases=[p.as_json() for p in phrases],
            delivery_status=DeliveryStatus.SENT.value,
            created_at=now,
            is_auto=True,
            auto_kind=AUTO_KIND,
        )
    )
    conv.message_count = (conv.message_count or 0) + 1
    conv.updated_at = now
    audit.record(
        session,
        None,
        ACTION,
        "conversation",
        conv.id,
        before,
        {
            "clock": clock,
            "level": level,
            "due_at": due.isoformat(),
            "priority": conv.priority,
            "team_id": conv.team_id,
            "notified": [p.id for p in people],
        },
    )
    return Escalated(conv.id, clock, level, tuple(p.id for p in people))


def scan(session: Session, now: datetime) -> list[Escalated]:
    """Escalate every clock that reached a new level by ``now``; the caller commits."""
    policy = store.load_policy(session)
    done: list[Escalated] = []
    for clock in (SlaClock.FIRST_RESPONSE.value, SlaClock.RESOLUTION.value):
        for conv in _candidates(session, clock, now):
            due = (
                conv.first_response_due_at
                if clock == SlaClock.FIRST_RESPONSE.value
                else conv.resolution_due_at
            )
            assert due is not None  # the query's condition
            level = _level(policy, conv.created_at, due, now)
            if level is None or not _claim(session, conv.id, clock, level, due):
                continue
            done.append(_escalate(session, policy, conv, clock, level, due))
    return done


class EscalationScanner:
    """Runs ``scan`` at start and every ``scan_seconds()`` in a worker thread."""

    def __init__(self, state: ServerState, interval: float | None = None) -> None:
        self.state = state
        self.interval = scan_seconds() if interval is None else interval
        self.rounds = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="csdesk-sla-escalation")

    async def stop(self) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, 10)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def run_once(self, now: datetime | None = None) -> list[Escalated]:
        with self.state.writes() as s:
            done = scan(s, now or utcnow())
            s.commit()
        if done:
            log.info("sla: %d escalation(s)", len(done))
        return done

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # a lost race on the claim at commit: next round
                log.exception("the SLA escalation scan failed; trying again")
            self.rounds += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), max(self.interval, 0.05))
