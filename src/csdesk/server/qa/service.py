"""Push mutations for quality review: save a rubric (a new version) and save a review.

Registered in ``server.sync.mutations.HANDLERS``; ``Reject`` is imported when a mutation is
refused (as in ``callbacks.service``), so this module does not import the registry.
Only supervisors and administrators write either; the reviewed agent is the agent who handled
the conversation (its assignee, else the author of its latest reply).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain import qa
from csdesk.domain.enums import Direction
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.deps import realm_of
from csdesk.server.floor import notices
from csdesk.server.refusals import Param, Phrase
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _saying(code: RejectCode, phrase: Phrase) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.saying(code, phrase)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


Id = Field(min_length=1, max_length=36)


class RubricArgs(_Args):
    rubric_id: str = Id  # the new version's id
    #: The rubric this is a new version of (its first version's id); None: a new rubric.
    family: str | None = Field(default=None, min_length=1, max_length=36)
    name: str = Field(min_length=1, max_length=qa.MAX_RUBRIC_NAME)
    #: Checked by ``domain.qa.criteria_from`` (its messages are for people).
    criteria: list[dict[str, Any]] = Field(min_length=1, max_length=qa.MAX_CRITERIA)


class MessageComment(_Args):
    message_id: str = Id
    text: str = Field(min_length=1, max_length=qa.MAX_COMMENT)


class ReviewArgs(_Args):
    review_id: str = Id
    conversation_id: str = Id
    rubric_id: str = Id
    #: Criterion key → value, or None for N/A (a criterion left out is N/A too).
    scores: dict[str, int | None] = Field(default_factory=dict, max_length=qa.MAX_CRITERIA)
    message_comments: list[MessageComment] = Field(
        default_factory=list, max_length=qa.MAX_MESSAGE_COMMENTS
    )
    comment: str = Field(default="", max_length=qa.MAX_COMMENT)


def _lead(user: m.User) -> bool:
    return qa.is_lead(user.role)


def _clean(value: str, limit: int, what: str, *, required: bool = False) -> str:
    try:
        return qa.clean_text(value, limit, what, required=required)
    except qa.RubricError as exc:
        raise _saying(RejectCode.INVALID, exc.phrase) from None


def save_rubric(session: Session, user: m.User, a: RubricArgs) -> None:
    """A new version of a rubric (or a first one); the version before stops being active,
    and reviews scored on it keep it."""
    if not _lead(user):
        raise _reject(RejectCode.FORBIDDEN, "Only supervisors and administrators edit rubrics.")
    realm = realm_of(user)
    if session.get(m.QaRubric, a.rubric_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A rubric version with this id already exists.")
    try:
        criteria = qa.criteria_from(a.criteria)
    except qa.RubricError as exc:
        raise _saying(RejectCode.INVALID, exc.phrase) from None
    name = _clean(a.name, qa.MAX_RUBRIC_NAME, "The rubric's name", required=True)
    family = a.family or a.rubric_id
    version = 1
    if a.family is not None:
        # Lock the rubric's versions first, then read the newest: two supervisors saving at
        # once make versions n+1 and n+2 (the second waits for the first and then sees it).
        versions = session.scalars(
            select(m.QaRubric)
            .where(m.QaRubric.family == family, m.QaRubric.realm == realm)
            .with_for_update()
        ).all()
        if not versions:
            raise _reject(RejectCode.NOT_FOUND, "This rubric does not exist.")
        top = session.scalar(
            select(func.max(m.QaRubric.version)).where(m.QaRubric.family == family)
        )
        version = int(top or 0) + 1
        # Read again after the wait (a version committed meanwhile is seen now), through the
        # ORM so each retired version reaches the change feed.
        for old in session.scalars(
            select(m.QaRubric).where(m.QaRubric.family == family, m.QaRubric.active.is_(True))
        ):
            old.active = False
    rubric = m.QaRubric(
        id=a.rubric_id,
        realm=realm,
        family=family,
        version=version,
        name=name,
        criteria=[c.as_dict() for c in criteria],
        active=True,
        created_by_id=user.id,
    )
    session.add(rubric)
    audit.record(
        session,
        user.id,
        MutationType.QA_RUBRIC_SAVE,
        "qa_rubric",
        rubric.id,
        None,
        {"family": family, "version": version, "name": name},
    )


def handled_by(session: Session, conv: m.Conversation) -> str | None:
    """The agent who handled ``conv``: its assignee, else the author of its latest reply."""
    if conv.assignee_id is not None:
        return conv.assignee_id
    return session.scalar(
        select(m.Message.author_user_id)
        .where(
            m.Message.conversation_id == conv.id,
            m.Message.direction == Direction.OUT.value,
            m.Message.author_user_id.is_not(None),
        )
        .order_by(m.Message.created_at.desc())
        .limit(1)
    )


def save_review(session: Session, user: m.User, a: ReviewArgs) -> None:
    if not _lead(user):
        raise _reject(
            RejectCode.FORBIDDEN, "Only supervisors and administrators review conversations."
        )
    realm = realm_of(user)
    conv = session.get(m.Conversation, a.conversation_id)
    if conv is None or conv.realm != realm:
        raise _reject(RejectCode.NOT_FOUND, "This conversation does not exist.")
    if conv.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    review = session.get(m.QaReview, a.review_id, with_for_update=True)
    if review is not None and (review.realm != realm or review.conversation_id != conv.id):
        raise _reject(RejectCode.CONFLICT, "A review with this id is of another conversation.")
    if review is not None and review.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This review was deleted: it can no longer be edited.")
    if review is not None and review.rubric_id != a.rubric_id:
        raise _reject(
            RejectCode.CONFLICT, "A review keeps the rubric version it was first scored on."
        )
    rubric = session.get(m.QaRubric, a.rubric_id)
    if rubric is None or rubric.realm != realm:
        raise _reject(RejectCode.NOT_FOUND, "This rubric does not exist.")
    try:
        criteria = qa.criteria_from(rubric.criteria)
        scores = qa.scores_from(criteria, a.scores)
    except qa.RubricError as exc:
        raise _saying(RejectCode.INVALID, exc.phrase) from None
    comment = _clean(a.comment, qa.MAX_COMMENT, "The overall comment")
    notes = [
        {
            "message_id": c.message_id,
            "text": _clean(c.text, qa.MAX_COMMENT, "A comment", required=True),
        }
        for c in a.message_comments
    ]
    ids = {n["message_id"] for n in notes}
    if ids:
        found = set(
            session.scalars(
                select(m.Message.id).where(
                    m.Message.id.in_(sorted(ids)), m.Message.conversation_id == conv.id
                )
            )
        )
        if found != ids:
            raise _reject(RejectCode.INVALID, "A comment is on a message of another conversation.")
    score = qa.weighted_score(criteria, scores)
    if review is None:
        agent = handled_by(session, conv)
        if agent is None:
            raise _reject(
                RejectCode.INVALID, "Nobody has handled this conversation yet: nothing to review."
            )
        review = m.QaReview(
            id=a.review_id,
            realm=realm,
            conversation_id=conv.id,
            agent_id=agent,
            reviewer_id=user.id,
            rubric_id=rubric.id,
            reviewed_at=utcnow(),
        )
        session.add(review)
        before = None
        news = True
    else:
        before = {"scores": dict(review.scores or {}), "score": review.score}
        review.edited_by_id = user.id
        news = False
    review.scores = scores
    review.message_comments = notes
    review.comment = comment
    review.score = score
    if news:  # the agent hears of a new review of their work (not of every edit)
        what = conv.subject or conv.preview[:80]
        said = (
            Phrase(
                "reviewed your conversation “{what}”: {score} %. Ctrl+Alt+M lists your reviews.",
                what=what,
                score=f"{score:g}",
            )
            if score is not None
            else Phrase(
                "reviewed your conversation “{what}”: no score (every criterion N/A). "
                "Ctrl+Alt+M lists your reviews.",
                what=what,
            )
        )
        notices.notify(
            session,
            review.agent_id,
            user,
            said,
            f"qa-review:{review.id}",
        )
    audit.record(
        session,
        user.id,
        MutationType.QA_REVIEW_SAVE,
        "qa_review",
        review.id,
        before,
        {"scores": scores, "score": score},
    )


# --- deleting a review (docs/qa.md) ---------------------------------------------------------

#: The longest reason a supervisor may give for deleting a review (kept in the audit entry).
MAX_DELETE_REASON = 1000


class DeleteReviewArgs(_Args):
    review_id: str = Id
    reason: str = Field(default="", max_length=MAX_DELETE_REASON)


def delete_review(session: Session, user: m.User, a: DeleteReviewArgs) -> None:
    """Soft-delete a review (one saved by mistake): the feed sends the leads' desks a
    tombstone, and the reviews API and the QA score KPI leave it out. Deleting it again
    changes nothing and is applied (the desk's outbox may deliver it twice; the first delete
    is the one audited)."""
    if not _lead(user):
        raise _reject(
            RejectCode.FORBIDDEN, "Only supervisors and administrators delete quality reviews."
        )
    reason = _clean(a.reason, MAX_DELETE_REASON, "The reason")
    review = session.get(m.QaReview, a.review_id, with_for_update=True)
    if review is None or review.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This review does not exist.")
    if review.deleted_at is not None:
        return
    review.deleted_at = utcnow()
    audit.record(
        session,
        user.id,
        MutationType.QA_REVIEW_DELETE,
        "qa_review",
        review.id,
        {
            "conversation_id": review.conversation_id,
            "agent_id": review.agent_id,
            "reviewer_id": review.reviewer_id,
            "scores": dict(review.scores or {}),
            "score": review.score,
        },
        {"deleted_by_id": user.id, "reason": reason},
    )
