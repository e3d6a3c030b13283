"""Taking a customer's answer: once, into ``survey_answers`` and everywhere it shows.

``take`` claims the survey with a conditional ``UPDATE … WHERE answered_at IS NULL AND
expires_at > now``: of two submits racing (two tabs, two server processes, a digit reply and
the page), exactly one updates the row and files the answer; the other is told it was already
answered. The answer then goes to:

- ``survey_answers`` (the KPIs read CSAT, NPS and CES from it: docs/kpis.md);
- the conversation, as an automatic internal note the agent reads in the thread
  ("Customer rated 4/5: …", plain text);
- the customer's timeline, as a ``survey_answered`` event;
- for a low score (``CSDESK_SURVEY_LOW_CSAT`` / ``_NPS``), a follow-up for the supervisor of
  the conversation's team: a callback task of kind ``survey_follow_up``, due now, assigned to
  them (the queue when the team has no supervisor), which their desk lists and announces as a
  follow-up, with the customer's answer as its note.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from csdesk.domain.callbacks import MAX_NOTE, CallbackKind, CallbackStatus
from csdesk.domain.enums import (
    Channel,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    IdentityKind,
    Role,
)
from csdesk.server.conversation_merge.follow import live
from csdesk.server.surveys.rules import SurveyRules
from csdesk.storage import audit
from csdesk.storage import models as m

AUTO_KIND = "survey_answer"
EVENT_KIND = "survey_answered"
MAX_COMMENT = 2000
AUTHOR = "Satisfaction survey"
FOLLOW_UP_DETAIL = "Low survey score: follow up with the customer."


@dataclass(frozen=True, slots=True)
class Scores:
    csat: int
    nps: int | None = None
    ces: int | None = None
    comment: str = ""


def sentence(scores: Scores) -> str:
    """The thread's line: "Customer rated 4/5 (NPS 9/10, effort 2/7): comment"."""
    extra = []
    if scores.nps is not None:
        extra.append(f"NPS {scores.nps}/10")
    if scores.ces is not None:
        extra.append(f"effort {scores.ces}/7")
    text = f"Customer rated {scores.csat}/5"
    if extra:
        text += f" ({', '.join(extra)})"
    # One line: the customer's line breaks must not let their comment pass for lines of
    # its own in the note ("Supervisor: refund approved"); the answer row keeps them.
    comment = " ".join(scores.comment.split())
    return f"{text}: {comment}" if comment else f"{text}."


def take(
    session: Session,
    survey: m.SurveyRequest,
    scores: Scores,
    now: datetime,
    rules: SurveyRules,
    *,
    via: str,
) -> m.SurveyAnswer | None:
    """File ``scores`` as the answer to ``survey``; None when it was answered already or
    has expired (nothing written). The caller commits."""
    answer_id = str(uuid.uuid4())
    R = m.SurveyRequest
    claimed = session.execute(
        update(R)
        .where(R.id == survey.id, R.answered_at.is_(None), R.expires_at > now)
        .values(answered_at=now, answer_id=answer_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    surveyed = session.get(m.Conversation, survey.conversation_id)
    assert surveyed is not None
    # Merged since the survey went out: the answer, its note and a follow-up go where the
    # conversation lives now (the merged-away one is closed and never shown to anyone); when
    # that one was deleted since, where a message to a deleted conversation goes.
    conv = live(session, surveyed) or _placed(session, survey, surveyed, now)
    answer = m.SurveyAnswer(
        id=answer_id,
        realm=survey.realm,
        conversation_id=conv.id,
        customer_id=conv.customer_id,
        csat=scores.csat,
        nps=scores.nps,
        ces=scores.ces,
        comment=scores.comment[:MAX_COMMENT],
        answered_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(answer)
    line = sentence(scores)
    session.add(
        m.Message(
            id=str(uuid.uuid4()),
            realm=survey.realm,
            conversation_id=conv.id,
            channel=conv.channel,
            direction=Direction.OUT.value,
            is_note=True,
            author_name=AUTHOR,
            body_text=line,
            delivery_status=DeliveryStatus.SENT.value,
            created_at=now,
            is_auto=True,
            auto_kind=AUTO_KIND,
        )
    )
    conv.message_count = (conv.message_count or 0) + 1
    conv.last_message_at = max(conv.last_message_at or now, now)
    session.add(
        m.CustomerEvent(
            id=str(uuid.uuid4()),
            realm=survey.realm,
            customer_id=conv.customer_id,
            kind=EVENT_KIND,
            actor_name="",
            conversation_id=conv.id,
            data={
                "csat": scores.csat,
                "nps": scores.nps,
                "ces": scores.ces,
                "comment": scores.comment[:300],
                "subject": conv.subject[:200],
                "channel": conv.channel,
            },
            created_at=now,
            updated_at=now,
        )
    )
    follow_up = None
    if rules.is_low(scores.csat, scores.nps):
        follow_up = _follow_up(session, conv, line, now)
    audit.record(
        session,
        None,
        "survey.answer",
        "survey_answer",
        answer_id,
        after={
            "survey_id": survey.id,
            "conversation_id": conv.id,
            "via": via,
            "follow_up_id": follow_up.id if follow_up is not None else None,
        },
    )
    return answer


def _placed(
    session: Session, survey: m.SurveyRequest, surveyed: m.Conversation, now: datetime
) -> m.Conversation:
    """Where an answer goes whose conversation was merged into one an administrator deleted
    since: inbound mail's rule for a filed (automatic) message (``channels.ingest``): the
    customer's live conversation on the survey's channel, else a new one born resolved
    (filed, not work; a low score's follow-up is the supervisor's task). Never the hidden
    merged-away shell (docs/merge-split.md)."""
    from csdesk.server.channels import conversations as threads

    channel = Channel(survey.channel)
    recent = threads.latest(session, survey.customer_id, channel)
    recent = live(session, recent) if recent is not None else None
    if recent is not None:
        return recent
    customer = session.get(m.Customer, survey.customer_id)
    assert customer is not None
    conv = threads.open_new(session, customer, channel, subject=surveyed.subject, at=now)
    conv.status, conv.resolved_at = ConversationStatus.RESOLVED.value, now
    threads.add_tag(conv, "survey")
    session.flush()
    return conv


def supervisor_for(session: Session, conv: m.Conversation) -> m.User | None:
    """The supervisor who follows up: of the conversation's team, else (no team, or a team
    with none) the assignee's team's, else none (the callback queue)."""
    teams = [t for t in (conv.team_id,) if t]
    if conv.assignee_id:
        assignee = session.get(m.User, conv.assignee_id)
        if assignee is not None and assignee.team_id and assignee.team_id not in teams:
            teams.append(assignee.team_id)
    for team_id in teams:
        found = session.scalars(
            select(m.User)
            .where(
                m.User.team_id == team_id,
                m.User.role == Role.SUPERVISOR.value,
                m.User.active.is_(True),
            )
            .order_by(m.User.username)
            .limit(1)
        ).first()
        if found is not None:
            return found
    return None


def _phone(session: Session, customer_id: str) -> str:
    found = session.scalars(
        select(m.CustomerIdentity.value)
        .where(
            m.CustomerIdentity.customer_id == customer_id,
            m.CustomerIdentity.kind == IdentityKind.PHONE.value,
        )
        .order_by(m.CustomerIdentity.verified.desc(), m.CustomerIdentity.created_at.desc())
        .limit(1)
    ).first()
    return (found or "")[:64]


def _follow_up(session: Session, conv: m.Conversation, line: str, now: datetime) -> m.Callback:
    boss = supervisor_for(session, conv)
    cb = m.Callback(
        id=str(uuid.uuid4()),
        realm=conv.realm,
        customer_id=conv.customer_id,
        conversation_id=conv.id,
        phone=_phone(session, conv.customer_id),
        due_at=now,
        assignee_id=boss.id if boss is not None else None,
        status=CallbackStatus.SCHEDULED.value,
        kind=CallbackKind.SURVEY_FOLLOW_UP.value,
        note=line[:MAX_NOTE],
        detail=FOLLOW_UP_DETAIL,
        created_at=now,
        updated_at=now,
    )
    session.add(cb)
    return cb
