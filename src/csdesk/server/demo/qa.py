"""The demo's quality review: the default rubric (docs/qa.md) and a few reviews by the demo
supervisor of conversations demo agents handled, so "My reviews" and the QA score have
something to show. Deterministic: the same store gives the same reviews, ids included."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import qa
from csdesk.domain.enums import Direction, Realm
from csdesk.server.feed import log as feed
from csdesk.storage import models as m

_NS: Final = uuid.UUID("0b540117-9a11-4c3e-8f00-000000000012")
REVIEWER: Final = "sam"
REVIEWS: Final = 8

DEFAULT_RUBRIC: Final[list[dict[str, Any]]] = [
    {"key": "greeting", "name": "Greeting", "weight": 10, "scale": "pass_fail",
     "description": "Greets the customer by name and says who they are."},
    {"key": "understood", "name": "Understood the issue", "weight": 20, "scale": "points",
     "max_points": 4,
     "description": "Restates the problem or asks the one question that pins it down."},
    {"key": "solution", "name": "Correct solution", "weight": 30, "scale": "points",
     "max_points": 4,
     "description": "The answer or action solves the problem, with the order details right."},
    {"key": "tone", "name": "Tone", "weight": 15, "scale": "points", "max_points": 4,
     "description": "Friendly, calm and plain; no blame, no jargon."},
    {"key": "policy", "name": "Policy followed", "weight": 15, "scale": "pass_fail",
     "description": "Refunds, returns and goodwill within policy and limits."},
    {"key": "closing", "name": "Closing", "weight": 10, "scale": "pass_fail",
     "description": "Says what happens next and offers further help."},
]  # fmt: skip

#: Score patterns the demo reviews cycle through (None: N/A), with their overall comment.
_PATTERNS: Final[list[tuple[dict[str, int | None], str]]] = [
    ({"greeting": 1, "understood": 4, "solution": 4, "tone": 4, "policy": 1, "closing": 1},
     "Textbook answer: clear, quick and kind."),
    ({"greeting": 1, "understood": 3, "solution": 2, "tone": 4, "policy": 1, "closing": 0},
     "Friendly, but the solution missed the second item. Close by saying what happens next."),
    ({"greeting": 0, "understood": 4, "solution": 3, "tone": 3, "policy": None, "closing": 1},
     "Start with the customer's name. No policy question in this one."),
    ({"greeting": 1, "understood": 2, "solution": 3, "tone": 2, "policy": 0, "closing": 1},
     "The goodwill was above the limit: ask a supervisor first."),
]  # fmt: skip
_NOTES: Final = (
    "Good: you confirmed the order number before anything else.",
    "Here a short apology would have helped.",
    "Nice, plain wording.",
    "Check the tracking page before promising a date.",
)


def _id(name: str) -> str:
    return str(uuid.uuid5(_NS, name))


def seed(s: Session, at: datetime) -> int:
    """The rubric and the reviews; returns how many feed rows they made."""
    sup = s.scalar(select(m.User).where(m.User.username == REVIEWER))
    if sup is None:
        return 0
    rid = _id("rubric:default:1")
    rubric = m.QaRubric(
        id=rid, realm=Realm.PRODUCTION.value, family=rid, version=1, name="Default rubric",
        criteria=DEFAULT_RUBRIC, active=True, created_by_id=sup.id, created_at=at, updated_at=at,
    )  # fmt: skip
    s.add(rubric)
    rows: list[m.Base] = [rubric]
    criteria = qa.criteria_from(DEFAULT_RUBRIC)
    convs = s.scalars(
        select(m.Conversation)
        .where(
            m.Conversation.realm == Realm.PRODUCTION.value,
            m.Conversation.assignee_id.is_not(None),
            m.Conversation.status == "resolved",
        )
        .order_by(m.Conversation.created_at.desc(), m.Conversation.id)
        .limit(REVIEWS)
    ).all()
    for n, conv in enumerate(convs):
        scores, comment = _PATTERNS[n % len(_PATTERNS)]
        reply = s.scalar(
            select(m.Message.id)
            .where(
                m.Message.conversation_id == conv.id,
                m.Message.direction == Direction.OUT.value,
                m.Message.is_note.is_(False),
            )
            .order_by(m.Message.created_at, m.Message.id)
            .limit(1)
        )
        notes = [] if reply is None else [{"message_id": reply, "text": _NOTES[n % len(_NOTES)]}]
        when = at - timedelta(hours=2 + 7 * n)
        review = m.QaReview(
            id=_id(f"review:{conv.id}"), realm=conv.realm, conversation_id=conv.id,
            agent_id=conv.assignee_id, reviewer_id=sup.id, rubric_id=rid, scores=dict(scores),
            message_comments=notes, comment=comment,
            score=qa.weighted_score(criteria, scores), reviewed_at=when, created_at=when,
            updated_at=when,
        )  # fmt: skip
        s.add(review)
        rows.append(review)
    s.flush()
    feed.append(s, [feed.item_for(row) for row in rows])
    return len(rows)
