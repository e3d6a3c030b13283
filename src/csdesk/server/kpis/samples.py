"""What each KPI counts: one SELECT per group of figures, a row per counted item.

Every sample has the columns ``conversation_id``, ``agent``, ``team``, ``channel``, ``queue``
and ``at`` (the instant that puts the row in a period and a day), plus its own values. The
tables (``kpis.tables``) group and aggregate these in SQL; the drill-down
(``kpis.drill``) lists their conversation ids. The rules are written out in docs/kpis.md;
the comments here point at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    Select,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    null,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from csdesk.domain.enums import Channel, ConversationStatus, Direction, Realm
from csdesk.server.kpis.period import Period
from csdesk.server.kpis.sqltime import clamp, instant, seconds_between
from csdesk.storage import models as m

C = m.Conversation
M = m.Message
K = m.Call
R = m.ConversationReopen
S = m.SurveyAnswer

#: A messaging reply counts at most this much agent work (docs/kpis.md, "handle time").
REPLY_WORK_CAP: Final = 600.0
#: A call's wrap-up counts at most this long after the call ended.
WRAP_UP_CAP: Final = 1800.0
#: Conversation tags that mean "not a contact": filed machine mail and spam.
NOT_CONTACT_TAGS: Final = ("auto", "spam")
_OPEN_STATES: Final = (
    ConversationStatus.OPEN.value,
    ConversationStatus.PENDING.value,
    ConversationStatus.SNOOZED.value,
)
_RESOLVED: Final = ConversationStatus.RESOLVED.value


@dataclass(frozen=True, slots=True)
class Ctx:
    period: Period
    now: datetime
    dialect: str

    def within(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= instant(self.period.start), column < instant(self.period.end))

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[float]:
        return seconds_between(later, earlier, self.dialect)


def counted() -> ColumnElement[bool]:
    """A conversation KPIs look at: production (never the training sandbox), not deleted,
    not filed machine mail or spam."""
    tags = cast(C.tags, Text)
    return and_(
        C.realm == Realm.PRODUCTION.value,
        C.deleted_at.is_(None),
        *[not_(tags.like(f'%"{tag}"%')) for tag in NOT_CONTACT_TAGS],
    )


def not_merged() -> ColumnElement[bool]:
    """Not merged into another conversation: a merge closes its source, but that is not a
    resolution, nor a contact of its own; its messages (and the work on them) count in the
    conversation it went into (docs/kpis.md)."""
    return C.merged_into_id.is_(None)


def _keys(agent: Any) -> list[Any]:
    return [
        C.id.label("conversation_id"),
        agent.label("agent"),
        C.team_id.label("team"),
        C.channel.label("channel"),
        func.coalesce(C.team_id, literal("")).concat(":").concat(C.channel).label("queue"),
    ]


def _customer_wrote_first() -> ColumnElement[bool]:
    """The first response answered something: a customer's own message (not an auto-reply,
    not a note) came in no later than it. Conversations an agent started do not count."""
    return exists().where(
        M.conversation_id == C.id,
        M.direction == Direction.IN.value,
        M.is_auto.is_(False),
        M.is_note.is_(False),
        M.created_at <= C.first_response_at,
    )


def contacts(ctx: Ctx) -> Select[Any]:
    """Conversations created in the period: contacts, first response, resolution rate and
    the SLA attainment of both targets (due times from ``domain.sla_targets``)."""
    answered = and_(C.first_response_at.is_not(None), _customer_wrote_first())
    frt = case((answered, clamp(ctx.seconds(C.first_response_at, C.created_at), 0.0)), else_=None)
    now = instant(ctx.now)
    first_due = C.first_response_due_at
    fr_state = case(
        (first_due.is_(None), null()),
        (answered, case((C.first_response_at <= first_due, 1), else_=0)),
        (C.first_response_at.is_not(None), null()),  # an agent wrote first: no target ran
        (first_due < now, 0),
        else_=null(),  # still running
    )
    resolved = C.status == _RESOLVED
    res_due = C.resolution_due_at
    res_state = case(
        (res_due.is_(None), null()),
        (and_(resolved, C.resolved_at.is_not(None)), case((C.resolved_at <= res_due, 1), else_=0)),
        (res_due < now, 0),
        else_=null(),
    )
    return select(
        *_keys(C.assignee_id),
        C.created_at.label("at"),
        case((resolved, 1), else_=0).label("resolved"),
        frt.label("frt"),
        fr_state.label("fr_state"),
        res_state.label("res_state"),
    ).where(counted(), not_merged(), ctx.within(C.created_at))


def resolved(ctx: Ctx) -> Select[Any]:
    """Conversations resolved in the period (their current resolution): resolution time and
    first-contact resolution."""
    replies = (
        select(func.count(M.id))
        .where(
            M.conversation_id == C.id,
            M.direction == Direction.OUT.value,
            M.is_note.is_(False),
            M.is_auto.is_(False),
            M.author_user_id.is_not(None),
            M.channel != Channel.PHONE.value,
        )
        .scalar_subquery()
    )
    calls = (
        select(func.count(K.id))
        .where(K.conversation_id == C.id, K.answered_at.is_not(None))
        .scalar_subquery()
    )
    touches = replies + calls
    reopened = exists().where(R.conversation_id == C.id)
    return select(
        *_keys(C.assignee_id),
        C.resolved_at.label("at"),
        clamp(ctx.seconds(C.resolved_at, C.created_at), 0.0).label("resolution"),
        case((touches >= 1, 1), else_=0).label("fcr_eligible"),
        case((and_(touches == 1, not_(reopened)), 1), else_=0).label("fcr"),
    ).where(counted(), not_merged(), C.status == _RESOLVED, ctx.within(C.resolved_at))


def resolutions(ctx: Ctx) -> Select[Any]:
    """Every resolution made in the period, kept or undone: the reopen rate."""
    kept = select(*_keys(C.assignee_id), C.resolved_at.label("at"), literal(0).label("reopened"))
    kept = kept.where(counted(), not_merged(), C.status == _RESOLVED, ctx.within(C.resolved_at))
    undone = select(*_keys(R.assignee_id), R.resolved_at.label("at"), literal(1).label("reopened"))
    undone = undone.select_from(R).join(C, C.id == R.conversation_id)
    undone = undone.where(counted(), ctx.within(R.resolved_at))
    inner = union_all(kept, undone).subquery("resolutions")
    return select(*inner.c)


def backlog(ctx: Ctx) -> Select[Any]:
    """Conversations not resolved now (open, pending or snoozed), whatever the period."""
    return select(*_keys(C.assignee_id), C.created_at.label("at")).where(
        counted(), C.status.in_(_OPEN_STATES)
    )


def calls(ctx: Ctx) -> Select[Any]:
    """Answered calls that ended in the period: talk time plus wrap-up, per answering agent."""
    talk = clamp(ctx.seconds(K.ended_at, K.answered_at), 0.0)
    wrap = case(
        (K.wrapped_up_at.is_(None), literal(0.0)),
        else_=clamp(ctx.seconds(K.wrapped_up_at, K.ended_at), 0.0, WRAP_UP_CAP),
    )
    return (
        select(*_keys(K.agent_id), K.ended_at.label("at"), (talk + wrap).label("handle"))
        .select_from(K)
        .join(C, C.id == K.conversation_id)
        .where(
            counted(),
            K.agent_id.is_not(None),
            K.answered_at.is_not(None),
            K.ended_at.is_not(None),
            ctx.within(K.ended_at),
        )
    )


def messaging(ctx: Ctx) -> Select[Any]:
    """Agent replies (not calls, notes or auto-replies) written in the period: each counts the
    time since the message before it, at most ``REPLY_WORK_CAP``; a row per conversation and
    agent, at the agent's last reply in the period."""
    cap = timedelta(seconds=REPLY_WORK_CAP)
    previous = func.lag(M.created_at).over(
        partition_by=M.conversation_id, order_by=(M.created_at, M.id)
    )
    # Only gaps below the cap matter, so the window starts one cap before the period.
    window = (
        select(
            M.conversation_id,
            M.author_user_id,
            M.direction,
            M.created_at,
            previous.label("previous_at"),
        )
        .where(
            M.realm == Realm.PRODUCTION.value,
            M.is_note.is_(False),
            M.is_auto.is_(False),
            M.channel != Channel.PHONE.value,
            M.created_at >= instant(ctx.period.start - cap),
            M.created_at < instant(ctx.period.end),
        )
        .subquery("timeline")
    )
    work = case(
        (window.c.previous_at.is_(None), literal(REPLY_WORK_CAP)),
        else_=clamp(
            seconds_between(window.c.created_at, window.c.previous_at, ctx.dialect),
            0.0,
            REPLY_WORK_CAP,
        ),
    )
    replies = (
        select(
            window.c.conversation_id,
            window.c.author_user_id.label("agent_id"),
            func.sum(work).label("handle"),
            func.max(window.c.created_at).label("last_at"),
        )
        .where(
            window.c.direction == Direction.OUT.value,
            window.c.author_user_id.is_not(None),
            window.c.created_at >= instant(ctx.period.start),
        )
        .group_by(window.c.conversation_id, window.c.author_user_id)
        .subquery("replies")
    )
    return (
        select(
            *_keys(replies.c.agent_id),
            replies.c.last_at.label("at"),
            replies.c.handle.label("handle"),
        )
        .select_from(replies)
        .join(C, C.id == replies.c.conversation_id)
        .where(counted())
    )


def surveys(ctx: Ctx) -> Select[Any]:
    """Survey answers given in the period about counted conversations (scores outside their
    scale are ignored)."""

    def scored(column: Any, low: int, high: int) -> Any:
        return case((column.between(low, high), column), else_=null())

    return (
        select(
            *_keys(C.assignee_id),
            S.answered_at.label("at"),
            scored(S.csat, 1, 5).label("csat"),
            scored(S.nps, 0, 10).label("nps"),
            scored(S.ces, 1, 7).label("ces"),
        )
        .select_from(S)
        .join(C, C.id == S.conversation_id)
        .where(counted(), S.realm == Realm.PRODUCTION.value, ctx.within(S.answered_at))
    )


def qa_reviews(ctx: Ctx) -> Select[Any]:
    """Quality reviews made in the period (``reviewed_at``) of counted conversations that have
    a score (every criterion N/A: none) and were not deleted, per reviewed agent (docs/qa.md)."""
    Q = m.QaReview
    return (
        select(*_keys(Q.agent_id), Q.reviewed_at.label("at"), Q.score.label("qa"))
        .select_from(Q)
        .join(C, C.id == Q.conversation_id)
        .where(
            counted(),
            Q.realm == Realm.PRODUCTION.value,
            Q.score.is_not(None),
            Q.deleted_at.is_(None),  # a deleted review counts nowhere
            ctx.within(Q.reviewed_at),
        )
    )
