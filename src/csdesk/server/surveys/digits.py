"""A digit reply to an SMS or WhatsApp survey: recorded as the CSAT answer, not a new contact.

The survey message asks for one digit from 1 to 5. An inbound message on the same channel
is taken as the answer only when all of this holds: its whole text is one such digit (spaces
and a full stop or exclamation mark around it allowed, nothing else: "5 items" or "15" are
ordinary messages); the customer has an unanswered survey on that channel whose time has not
run out; and that survey's conversation is still resolved by the resolution surveyed (if the
customer wrote again since, a digit may answer an agent's question and is left alone).
Anything else is ingested as usual (and reopens the conversation as usual).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus, Direction
from csdesk.server.attachments.links import state_of
from csdesk.server.conversation_merge.follow import live as live_of
from csdesk.server.surveys import answer
from csdesk.server.surveys.rules import DIGIT_CHANNELS, SurveyRules
from csdesk.storage import models as m

AUTO_KIND = "survey_reply"
_DIGIT = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")


def digit_of(text: str) -> int | None:
    found = _DIGIT.match(text[:20]) if len(text) <= 20 else None
    return int(found.group(1)) if found else None


def pending(
    session: Session, customer_id: str, channel: str, text: str, now: datetime
) -> tuple[m.SurveyRequest, int] | None:
    """The survey this message answers and its digit, or None (an ordinary message)."""
    if channel not in DIGIT_CHANNELS:
        return None
    digit = digit_of(text)
    if digit is None:
        return None
    R = m.SurveyRequest
    # Whose survey it is follows the conversation (a merge or a relink moves conversations,
    # not the survey rows): a digit from a customer merged since is still the answer.
    survey = session.scalars(
        select(R)
        .join(m.Conversation, m.Conversation.id == R.conversation_id)
        .where(
            m.Conversation.customer_id == customer_id,
            R.channel == channel,
            R.answered_at.is_(None),
            R.expires_at > now,
        )
        .order_by(R.sent_at.desc())
        .limit(1)
    ).first()
    if survey is None:
        return None
    conv = session.get(m.Conversation, survey.conversation_id)
    if conv is None or conv.deleted_at is not None:
        return None
    live = live_of(session, conv)
    if live is None:  # merged into a conversation deleted since: a digit, not an answer
        return None
    if live.id != conv.id:
        # Merged since (the merged-away one stays resolved for ever): a digit is the answer
        # only while the conversation it went into is resolved and the customer has not
        # written there since the survey went out; otherwise it answers an agent's question.
        if live.status != ConversationStatus.RESOLVED.value or _wrote_since(
            session, live.id, survey.sent_at
        ):
            return None
    elif conv.status != ConversationStatus.RESOLVED.value or conv.resolved_at != survey.resolved_at:
        return None
    return survey, digit


def _wrote_since(session: Session, conversation_id: str, since: datetime | None) -> bool:
    M = m.Message
    q = select(M.id).where(
        M.conversation_id == conversation_id,
        M.direction == Direction.IN.value,
        M.is_note.is_(False),
    )
    if since is not None:
        q = q.where(M.created_at > since)
    return session.scalars(q.limit(1)).first() is not None


def file(session: Session, survey: m.SurveyRequest, digit: int, now: datetime, via: str) -> bool:
    """Record ``digit`` as the survey's CSAT answer; False when it was answered meanwhile."""
    state = state_of(session)
    rules = state.config.surveys if state is not None else SurveyRules()
    return answer.take(session, survey, answer.Scores(csat=digit), now, rules, via=via) is not None
