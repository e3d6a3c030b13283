"""The satisfaction survey answered inside the chat widget (an inline CSAT rating).

When a chat conversation is resolved and the survey rules pick chat (``server.surveys.send``),
the survey message reaches the widget like any agent reply. The widget shows it as a rating
form (``rating`` on the wire: ``open``, ``answered`` or ``expired``) and posts the answer to
``POST /chat/api/rating`` with the visitor's session token. The answer is taken only for a
survey message the visitor can see (one of their own chats, merges followed), once, before
it expires, through the same ``surveys.answer.take`` as the survey page and a digit reply.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.server.chat import visitors
from csdesk.server.chat.visitors import Visitor
from csdesk.server.surveys import answer
from csdesk.server.surveys.rules import SurveyRules
from csdesk.server.surveys.send import AUTO_KIND as SURVEY_KIND
from csdesk.storage import models as m

VIA = "chat"


class RatingState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"


class Outcome(StrEnum):
    TAKEN = "taken"
    UNKNOWN = "unknown"  # no survey of this visitor's has that message
    ANSWERED = "answered"  # answered already (here, on the page or by another tab)
    EXPIRED = "expired"


def state_of(survey: m.SurveyRequest, now: datetime) -> RatingState:
    if survey.answered_at is not None:
        return RatingState.ANSWERED
    if survey.expires_at <= now:
        return RatingState.EXPIRED
    return RatingState.OPEN


def states(session: Session, messages: Iterable[m.Message], now: datetime) -> dict[str, str]:
    """The rating state of each survey message among ``messages``, by message id."""
    ids = [msg.id for msg in messages if msg.auto_kind == SURVEY_KIND]
    if not ids:
        return {}
    rows = session.scalars(select(m.SurveyRequest).where(m.SurveyRequest.message_id.in_(ids)))
    return {r.message_id: state_of(r, now).value for r in rows if r.message_id}


def _survey_for(session: Session, visitor: Visitor, message_id: str) -> m.SurveyRequest | None:
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return None
    from csdesk.server.chat.service import visible_message  # it imports this module

    msg = visible_message(session, ids, message_id)
    if msg is None or msg.auto_kind != SURVEY_KIND:
        return None
    return session.scalars(
        select(m.SurveyRequest).where(m.SurveyRequest.message_id == msg.id).limit(1)
    ).first()


def rate(
    session: Session,
    visitor: Visitor,
    message_id: str,
    scores: answer.Scores,
    now: datetime,
    rules: SurveyRules,
) -> Outcome:
    """File the visitor's rating of the survey ``message_id`` carried. The caller commits."""
    survey = _survey_for(session, visitor, message_id)
    if survey is None:
        return Outcome.UNKNOWN
    if state_of(survey, now) is RatingState.OPEN:
        if answer.take(session, survey, scores, now, rules, via=VIA) is not None:
            return Outcome.TAKEN
        session.refresh(survey)  # lost a race (another tab, the page): say which way
    return Outcome.EXPIRED if state_of(survey, now) is RatingState.EXPIRED else Outcome.ANSWERED
