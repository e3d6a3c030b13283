"""Evaluating the routing rules on one conversation and carrying out their actions.

Called by ``channels.ingest`` in the ingest's own transaction when an inbound message opens a
conversation or wakes one (resolved, pending or snoozed back to open); never for a machine's
message (auto-reply, bounce). Each action taken is an audit entry (``routing.<action>``) and
the lot is summed up in one internal note on the conversation, which every desk shows.

Agents are chosen only among those whose status is Available (``domain.agent_status``), who
may be given the conversation's realm, whose skills cover its language and channel and, when
the conversation has a team, who are in it. Nobody qualifying: the conversation stays
unassigned in its team's queue. A conversation that already has an Available assignee keeps
them (a reopened case goes back to whoever knows it).

Concurrency: a rule's choice of agent takes the rule's ``routing_pointers`` row under a row
lock (PostgreSQL ``SELECT … FOR UPDATE``; SQLite has one writer at a time and the ingest has
already written), so two server processes never hand the same turn out twice, and least-load
counts read after the lock see the other process's committed assignment.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain import agent_status
from csdesk.domain import routing as rules
from csdesk.domain.access import can_be_assigned
from csdesk.domain.enums import Channel, ConversationStatus, DeliveryStatus, Direction, Priority
from csdesk.domain.phrase import Phrase
from csdesk.domain.tags import edit_tags
from csdesk.server.routing import facts as fact_reader
from csdesk.server.sla import store as sla_store
from csdesk.server.sla.escalation_queue import escalation_team_id
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.storage.upsert import insert_for

#: The name the note and the automatic reply are written under.
AUTHOR = "Routing rules"
#: Channels an automatic reply can be written on (a phone call has no text to send).
_REPLY_CHANNELS = frozenset(c.value for c in Channel) - {Channel.PHONE.value}
_WORKING = (ConversationStatus.OPEN.value, ConversationStatus.PENDING.value)


@dataclass(frozen=True, slots=True)
class Step:
    """One action a rule took, for the audit log and the note."""

    rule: rules.Rule
    action: str
    detail: dict[str, str | None]
    sentence: str
    #: The note's line for this step in the agent's language (issue 13): a whole sentence
    #: naming the rule, its template a literal (docs/server-notes.md).
    said: Phrase


def _priority_line(rule: str, priority: str) -> Phrase:
    """One literal sentence per priority (a translator sees the word, not a code)."""
    if priority == Priority.LOW.value:
        return Phrase("Rule “{rule}” set the priority to low.", rule=rule)
    if priority == Priority.HIGH.value:
        return Phrase("Rule “{rule}” set the priority to high.", rule=rule)
    if priority == Priority.URGENT.value:
        return Phrase("Rule “{rule}” set the priority to urgent.", rule=rule)
    return Phrase("Rule “{rule}” set the priority to normal.", rule=rule)


def load_rules(session: Session) -> list[rules.Rule]:
    R = m.RoutingRule
    return [
        to_rule(r)
        for r in session.scalars(
            select(R).where(R.deleted_at.is_(None), R.enabled.is_(True)).order_by(R.position, R.id)
        )
    ]


def to_rule(r: m.RoutingRule) -> rules.Rule:
    return rules.Rule(
        id=r.id,
        name=r.name,
        position=r.position,
        enabled=r.enabled,
        stop=r.stop,
        conditions=rules.Conditions.of(r.conditions),
        actions=rules.Actions.of(r.actions),
    )


def on_arrival(session: Session, conversation_id: str, message_id: str, at: datetime) -> int:
    """Apply the matching rules to the conversation ``message_id`` just arrived in; the
    number of actions taken."""
    msg = session.get(m.Message, message_id)
    conv = session.get(m.Conversation, conversation_id)
    if msg is None or conv is None or msg.is_auto or msg.direction != Direction.IN.value:
        return 0
    active = load_rules(session)
    if not active:
        return 0
    found = rules.matching(active, fact_reader.for_message(session, conv, msg, at))
    # What the rules write comes after the message that triggered them in the thread.
    at = max(at, utcnow())
    steps: list[Step] = []
    for rule in found:
        steps += _apply(session, conv, rule, at)
    for step in steps:
        audit.record(
            session,
            None,
            f"routing.{step.action}",
            "conversation",
            conv.id,
            after={"rule_id": step.rule.id, "rule": step.rule.name, **step.detail},
        )
    if steps:
        _note(session, conv, steps, at)
    return len(steps)


def _apply(session: Session, conv: m.Conversation, rule: rules.Rule, at: datetime) -> list[Step]:
    a = rule.actions
    steps: list[Step] = []
    if a.team_id and conv.team_id != a.team_id:
        team = session.get(m.Team, a.team_id)
        if team is not None:
            conv.team_id = team.id
            steps.append(
                Step(
                    rule,
                    "team",
                    {"team_id": team.id},
                    f"put it in the team {team.name}",
                    Phrase(
                        "Rule “{rule}” put it in the team {team}.", rule=rule.name, team=team.name
                    ),
                )
            )
    if a.escalate:
        team_id = escalation_team_id(session)
        if team_id is not None and conv.team_id != team_id:
            conv.team_id = team_id
            steps.append(
                Step(
                    rule,
                    "escalate",
                    {"team_id": team_id},
                    "sent it to the escalation queue",
                    Phrase("Rule “{rule}” sent it to the escalation queue.", rule=rule.name),
                )
            )
    if a.priority and a.priority in {p.value for p in Priority} and conv.priority != a.priority:
        conv.priority = a.priority
        steps.append(
            Step(
                rule,
                "priority",
                {"priority": a.priority},
                f"set the priority to {a.priority}",
                _priority_line(rule.name, a.priority),
            )
        )
    if a.add_tags:
        tags = edit_tags(list(conv.tags or []), a.add_tags)
        added = [t for t in tags if t not in (conv.tags or [])]
        if added:
            conv.tags = tags
            steps.append(
                Step(
                    rule,
                    "tags",
                    {"tags": ", ".join(added)},
                    "tagged it " + ", ".join(added),
                    Phrase(
                        "Rule “{rule}” tagged it {tags}.", rule=rule.name, tags=", ".join(added)
                    ),
                )
            )
    if a.assign is not None:
        step = _assign(session, conv, rule, a.assign)
        if step is not None:
            steps.append(step)
    if any(step.action in {"team", "escalate", "priority"} for step in steps):
        sla_store.follow_changes(session, conv)  # the clocks follow the new priority/calendar
    if a.auto_reply.strip():
        step = _auto_reply(session, conv, rule, at)
        if step is not None:
            steps.append(step)
    return steps


def candidates(session: Session, conv: m.Conversation) -> list[str]:
    """Users who may take ``conv`` now: active, Available, allowed in its realm, skilled for
    its language and channel, in its team when it has one."""
    U = m.User
    query = select(U).where(U.active.is_(True))
    if conv.team_id:
        query = query.where(U.team_id == conv.team_id)
    users = [u for u in session.scalars(query) if can_be_assigned(u.role, conv.realm)]
    if not users:
        return []
    ids = [u.id for u in users]
    statuses = {
        r.id: r.status
        for r in session.scalars(select(m.AgentStatusRow).where(m.AgentStatusRow.id.in_(ids)))
    }
    skills = {
        s.id: s for s in session.scalars(select(m.AgentSkills).where(m.AgentSkills.id.in_(ids)))
    }
    out: list[str] = []
    for uid in ids:
        if not agent_status.is_available(statuses.get(uid)):
            continue
        sk = skills.get(uid)
        langs = [x for x in (sk.languages if sk else []) if isinstance(x, str)]
        chans = [x for x in (sk.channels if sk else []) if isinstance(x, str)]
        if rules.qualifies(langs, chans, conv.language, conv.channel):
            out.append(uid)
    return out


def _pointer(session: Session, rule_id: str) -> m.RoutingPointer:
    """The rule's pointer row, locked until commit (created first if missing)."""
    P = m.RoutingPointer
    dialect = session.get_bind().dialect.name
    session.execute(
        insert_for(dialect, P.__table__)
        .values(rule_id=rule_id, last_user_id=None, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["rule_id"])
    )
    row = session.scalars(
        select(P)
        .where(P.rule_id == rule_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return row


def loads(session: Session, user_ids: Sequence[str]) -> dict[str, int]:
    """Open and pending conversations per user (0 for those with none)."""
    C = m.Conversation
    counts = dict(
        session.execute(
            select(C.assignee_id, func.count())
            .where(C.assignee_id.in_(user_ids), C.status.in_(_WORKING), C.deleted_at.is_(None))
            .group_by(C.assignee_id)
        ).all()
    )
    return {u: int(counts.get(u, 0)) for u in user_ids}


def _assign(
    session: Session, conv: m.Conversation, rule: rules.Rule, strategy: rules.Strategy
) -> Step | None:
    if conv.assignee_id is not None:
        row = session.get(m.AgentStatusRow, conv.assignee_id)
        if agent_status.is_available(row.status if row else None):
            return None  # keep whoever has it while they are there
    pointer = _pointer(session, rule.id)
    pool = candidates(session, conv)
    if strategy == rules.Strategy.ROUND_ROBIN:
        chosen = rules.pick_round_robin(pool, pointer.last_user_id)
    else:
        chosen = rules.pick_least_load(loads(session, pool), pointer.last_user_id)
    if chosen is None:
        if conv.assignee_id is None:
            return Step(
                rule,
                "unassigned",
                {"strategy": strategy.value, "team_id": conv.team_id},
                "found no Available agent with the skills: it waits in the queue",
                Phrase(
                    "Rule “{rule}” found no Available agent with the skills: it waits in the "
                    "queue.",
                    rule=rule.name,
                ),
            )
        before = conv.assignee_id
        conv.assignee_id = None  # its agent is away: back to the queue, not left with them
        return Step(
            rule,
            "unassigned",
            {"strategy": strategy.value, "from": before, "team_id": conv.team_id},
            "found no Available agent with the skills: it went back to the queue",
            Phrase(
                "Rule “{rule}” found no Available agent with the skills: it went back to the "
                "queue.",
                rule=rule.name,
            ),
        )
    pointer.last_user_id = chosen
    previous = conv.assignee_id
    conv.assignee_id = chosen
    user = session.get(m.User, chosen)
    name = user.display_name if user else chosen
    robin = strategy == rules.Strategy.ROUND_ROBIN
    how = "round robin" if robin else "least load"
    return Step(
        rule,
        "assign",
        {"assignee_id": chosen, "from": previous, "strategy": strategy.value},
        f"assigned it to {name} ({how})",
        Phrase("Rule “{rule}” assigned it to {name} (round robin).", rule=rule.name, name=name)
        if robin
        else Phrase("Rule “{rule}” assigned it to {name} (least load).", rule=rule.name, name=name),
    )


def _auto_reply(
    session: Session, conv: m.Conversation, rule: rules.Rule, at: datetime
) -> Step | None:
    if conv.channel not in _REPLY_CHANNELS:
        return None
    message_id = str(uuid.uuid4())
    savepoint = session.begin_nested()
    try:
        session.add(
            m.RoutingAutoReply(
                conversation_id=conv.id, rule_id=rule.id, message_id=message_id, sent_at=at
            )
        )
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return None  # this conversation had its automatic reply already
    savepoint.commit()
    subject = ""
    if conv.channel == Channel.EMAIL.value:
        base = " ".join((conv.subject or "").split())[:280]
        subject = base if base.lower().startswith("re:") else f"Re: {base}" if base else ""
    session.add(
        m.Message(
            id=message_id,
            realm=conv.realm,
            conversation_id=conv.id,
            channel=conv.channel,
            direction=Direction.OUT.value,
            author_name=AUTHOR,
            subject=subject,
            body_text=rule.actions.auto_reply,
            delivery_status=DeliveryStatus.QUEUED.value,
            created_at=at,
            is_auto=True,
            auto_kind=rules.AUTO_REPLY_KIND,
        )
    )
    conv.message_count = (conv.message_count or 0) + 1
    conv.last_message_at = max(conv.last_message_at or at, at)
    return Step(
        rule,
        "auto_reply",
        {"message_id": message_id},
        "sent the automatic reply",
        Phrase("Rule “{rule}” sent the automatic reply.", rule=rule.name),
    )


def _note(session: Session, conv: m.Conversation, steps: Sequence[Step], at: datetime) -> None:
    lines: list[str] = []
    for rule_id in dict.fromkeys(s.rule.id for s in steps):
        mine = [s for s in steps if s.rule.id == rule_id]
        lines.append(f"Rule “{mine[0].rule.name}” " + "; ".join(s.sentence for s in mine) + ".")
    session.add(
        m.Message(
            id=str(uuid.uuid4()),
            realm=conv.realm,
            conversation_id=conv.id,
            channel=conv.channel,
            direction=Direction.OUT.value,
            is_note=True,
            author_name=AUTHOR,
            body_text="\n".join(lines),
            body_phrases=[s.said.as_json() for s in steps],
            delivery_status=DeliveryStatus.SENT.value,
            created_at=at,
        )
    )
    conv.message_count = (conv.message_count or 0) + 1
