"""The floor on the desk: my status, teammates' statuses, the live board and supervisors'
messages (Qt-free; run on workers). Everything reads the local cache, which the change feed
keeps current, so the board follows every change without asking the server.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from csdesk.app.present import channel_label
from csdesk.app.server_notes import note_text
from csdesk.app.workstation import Workstation
from csdesk.domain import agent_status
from csdesk.domain.access import can_be_assigned
from csdesk.domain.agent_status import AgentStatus
from csdesk.domain.callbacks import OPEN_STATUSES, CallbackKind
from csdesk.domain.enums import Realm
from csdesk.domain.floor import QueueFigures, queues
from csdesk.domain.sla import duration_text
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity, MutationType
from csdesk.storage import floor_facts
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.sync.events import ChangeSet

#: Who sees the floor and may message agents.
OVERSEER_ROLES = frozenset({"supervisor", "admin"})


def status_label(status: AgentStatus | str | None) -> str:
    return _(agent_status.LABELS[agent_status.parse(status if isinstance(status, str) else None)])


def span_text(seconds: float) -> str:
    """ "12 min", "1 h 5 min"; under a minute "less than a minute"."""
    minutes = int(max(seconds, 0) // 60)
    return duration_text(minutes, ngettext=ngettext) if minutes else _("less than a minute")


# --- my status ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MyStatus:
    status: AgentStatus
    chosen: AgentStatus
    since: datetime | None

    def text(self, now: datetime) -> str:
        label = status_label(self.status)
        if self.since is None:
            return _("Status: {status}").format(status=label)
        return _("Status: {status} for {time}").format(
            status=label, time=span_text((now - self.since).total_seconds())
        )


def my_status(ws: Workstation) -> MyStatus:
    with ws.cache.session() as s:
        row = s.get(m.AgentStatusRow, ws.me.id)
    if row is None:
        return MyStatus(AgentStatus.AVAILABLE, AgentStatus.AVAILABLE, None)
    return MyStatus(agent_status.parse(row.status), agent_status.parse(row.chosen), row.since)


def set_my_status(ws: Workstation, status: AgentStatus) -> ChangeSet:
    """Through the outbox like every action: shown at once, synced to every desk."""
    if status not in agent_status.CHOOSABLE:
        raise ValueError(f"{status} is set by the server, not chosen")
    ws.engine.enqueue(MutationType.AGENT_SET_STATUS, {"status": status.value})
    return ChangeSet.of([(Entity.AGENT_STATUS, ws.me.id)])


def assignees_with_status(ws: Workstation, conversation_id: str) -> list[tuple[str, str, str]]:
    """``Workstation.assignees`` with each teammate's status label: (id, name, status label),
    available teammates first, then the others (``agent_status.rank``), each by name."""
    with ws.cache.session() as s:
        conv = s.get(m.Conversation, conversation_id)
        if conv is None:
            return []
        statuses = {r.id: r.status for r in s.scalars(select(m.AgentStatusRow))}
        people = [
            (u.id, u.display_name, statuses.get(u.id))
            for u in s.scalars(select(m.User).where(m.User.active.is_(True)))
            if can_be_assigned(u.role, conv.realm)
        ]
    people.sort(key=lambda p: (agent_status.rank(p[2]), p[1].casefold(), p[0]))
    return [(uid, name, status_label(st)) for uid, name, st in people]


# --- the board ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueLine:
    name: str
    figures: QueueFigures

    def cells(self) -> list[str]:
        f = self.figures
        oldest = span_text(f.oldest_wait.total_seconds()) if f.oldest_wait is not None else "—"
        return [self.name, str(f.waiting), oldest, str(f.at_risk), str(f.breached), str(f.open)]

    def sentence(self) -> str:
        f = self.figures
        waiting = ngettext("{n} waiting", "{n} waiting", f.waiting).format(n=f.waiting)
        parts = [waiting]
        if f.oldest_wait is not None:
            parts.append(
                _("the oldest for {time}").format(time=span_text(f.oldest_wait.total_seconds()))
            )
        parts.append(ngettext("{n} at risk", "{n} at risk", f.at_risk).format(n=f.at_risk))
        parts.append(ngettext("{n} breached", "{n} breached", f.breached).format(n=f.breached))
        parts.append(ngettext("{n} open", "{n} open", f.open).format(n=f.open))
        return _("{queue}: {figures}.").format(queue=self.name, figures=", ".join(parts))


@dataclass(frozen=True, slots=True)
class AgentLine:
    row: floor_facts.AgentRow
    call_customer: str

    def time_in_status(self, now: datetime) -> str:
        since = self.row.since
        return span_text((now - since).total_seconds()) if since is not None else "—"

    def call_text(self, now: datetime) -> str:
        if self.row.call_conversation_id is None:
            return ""
        who = self.call_customer or self.row.call_with or _("a caller")
        if self.row.call_since is None:
            return _("with {who}").format(who=who)
        return _("with {who}, {time}").format(
            who=who, time=span_text((now - self.row.call_since).total_seconds())
        )

    def cells(self, now: datetime) -> list[str]:
        r = self.row
        return [
            r.name,
            status_label(r.status),
            self.time_in_status(now),
            str(r.open),
            self.call_text(now) or "—",
        ]

    def sentence(self, now: datetime) -> str:
        r = self.row
        text = _("{name}: {status} for {time}, {open}").format(
            name=r.name,
            status=status_label(r.status),
            time=self.time_in_status(now),
            open=ngettext("{n} open conversation", "{n} open conversations", r.open).format(
                n=r.open
            ),
        )
        call = self.call_text(now)
        if call:
            text += ", " + _("on a call {call}").format(call=call)
        return text + "."


@dataclass(frozen=True, slots=True)
class Board:
    at: datetime
    queues: list[QueueLine]
    agents: list[AgentLine]
    #: Open low-survey-score follow-ups that are mine or the queue's (docs/surveys.md).
    follow_ups: int = 0

    def summary(self) -> str:
        unassigned = self.queues[0].figures if self.queues else None
        available = sum(1 for a in self.agents if a.row.status == AgentStatus.AVAILABLE)
        waiting = unassigned.waiting if unassigned else 0
        text = _("{available} of {agents} available; {waiting} unassigned and waiting.").format(
            available=available, agents=len(self.agents), waiting=waiting
        )
        if self.follow_ups:
            more = ngettext(
                "{n} low survey score follow-up to do (Shift+F4 lists it).",
                "{n} low survey score follow-ups to do (Shift+F4 lists them).",
                self.follow_ups,
            ).format(n=self.follow_ups)
            text = f"{text} {more}"
        return text


def _queue_name(q: QueueFigures, teams: dict[str, str]) -> str:
    if q.kind == "unassigned":
        return _("Unassigned")
    if q.kind == "channel":
        return channel_label(q.key)
    return _("Team: {name}").format(name=teams.get(q.key, _("unknown team")))


def board(ws: Workstation, now: datetime | None = None) -> Board:
    now = now or utcnow()
    with ws.cache.session() as s:
        convs = floor_facts.conversations(s, Realm.PRODUCTION.value)
        rows = floor_facts.agents(s, convs)
        teams = {t.id: t.name for t in s.scalars(select(m.Team))}
        names: dict[str, str] = {}
        for r in rows:
            if r.call_conversation_id is not None:
                conv = s.get(m.Conversation, r.call_conversation_id)
                cust = s.get(m.Customer, conv.customer_id) if conv is not None else None
                names[r.user_id] = cust.name if cust is not None and cust.name else ""
        follow_ups = open_follow_ups(s, ws.me.id)
    return Board(
        now,
        [QueueLine(_queue_name(q, teams), q) for q in queues(convs, now)],
        [AgentLine(r, names.get(r.user_id, "")) for r in rows],
        follow_ups,
    )


def open_follow_ups(s: Session, me: str) -> int:
    """Open survey follow-ups that are mine or in the queue (what Shift+F4 lists)."""
    cb = m.Callback
    count = s.scalar(
        select(func.count())
        .select_from(cb)
        .where(
            cb.kind == CallbackKind.SURVEY_FOLLOW_UP.value,
            cb.status.in_(sorted(OPEN_STATUSES)),
            or_(cb.assignee_id == me, cb.assignee_id.is_(None)),
        )
    )
    return int(count or 0)


def queue_conversations(ws: Workstation, line: QueueLine) -> list[tuple[str, str]]:
    """The queue's conversations (id, a sentence), longest waiting first, for "open"."""
    with ws.cache.session() as s:
        out = []
        for cid in line.figures.conversation_ids:
            conv = s.get(m.Conversation, cid)
            if conv is None:
                continue
            cust = s.get(m.Customer, conv.customer_id)
            who = cust.name if cust is not None and cust.name else _("Unknown customer")
            subject = conv.subject or conv.preview or _("(no subject)")
            out.append(
                (
                    conv,
                    _("{who} by {channel}: {subject}").format(
                        who=who, channel=channel_label(conv.channel), subject=subject
                    ),
                )
            )
    out.sort(key=lambda p: (p[0].waiting_since is None, p[0].waiting_since or p[0].last_message_at))
    return [(c.id, text) for c, text in out]


def agent_conversations(ws: Workstation, user_id: str) -> list[tuple[str, str]]:
    """An agent's open conversations (id, a sentence), for "open" and "reassign"."""
    with ws.cache.session() as s:
        C = m.Conversation
        convs = s.scalars(
            select(C)
            .where(C.assignee_id == user_id, C.status.in_(("open", "pending")))
            .where(C.deleted_at.is_(None))
            .order_by(C.last_message_at.desc())
        ).all()
        out = []
        for conv in convs:
            cust = s.get(m.Customer, conv.customer_id)
            who = cust.name if cust is not None and cust.name else _("Unknown customer")
            subject = conv.subject or conv.preview or _("(no subject)")
            out.append(
                (
                    conv.id,
                    _("{who} by {channel}: {subject}").format(
                        who=who, channel=channel_label(conv.channel), subject=subject
                    ),
                )
            )
        return out


# --- messages to an agent's desk ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FloorNote:
    id: str
    from_name: str
    body: str
    at: datetime

    def sentence(self) -> str:
        return _("Message from {who}: {text}").format(who=self.from_name, text=self.body)


def message_agent(ws: Workstation, user_id: str, body: str) -> ChangeSet:
    text = body.strip()
    if not text:
        raise ValueError("empty message")
    mid = str(uuid.uuid4())
    ws.engine.enqueue(
        MutationType.FLOOR_MESSAGE_SEND, {"message_id": mid, "to_user_id": user_id, "body": text}
    )
    return ChangeSet.of([(Entity.FLOOR_MESSAGE, mid)])


def read_notes(
    ws: Workstation, ids: frozenset[str], since: datetime | None = None
) -> list[FloorNote]:
    """The messages to me among ``ids`` (sent at or after ``since`` when given) with their
    words, oldest first. The change feed carries a message's words blank (the feed is the
    whole realm's and a message is one agent's), so they are asked of the server: needs a
    connection, runs on a worker. Old messages are not asked for at all."""
    mine = [n for n in notes_for_me(ws, ids) if since is None or n.at >= since]
    if not mine:
        return []
    told = {str(x.get("id")): x for x in ws.engine.api.floor_messages([n.id for n in mine])}
    return [
        FloorNote(
            n.id,
            str(w.get("from_name") or ""),
            note_text(w.get("body_phrases"), str(w.get("body") or "")),
            n.at,
        )
        for n in mine
        if (w := told.get(n.id)) is not None
    ]


def notes_for_me(ws: Workstation, ids: frozenset[str] | None = None) -> list[FloorNote]:
    """Messages to me (those among ``ids`` when given), oldest first, as the cache has them
    (their words blank when they came through the feed: :func:`read_notes`)."""
    with ws.cache.session() as s:
        F = m.FloorMessage
        q = select(F).where(F.to_user_id == ws.me.id).order_by(F.created_at)
        if ids is not None:
            q = q.where(F.id.in_(sorted(ids)))
        return [FloorNote(f.id, f.from_name, f.body, f.created_at) for f in s.scalars(q)]
