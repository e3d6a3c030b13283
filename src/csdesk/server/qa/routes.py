"""``/api/v1/qa``: quality reviews and rubrics to read (writing is a push mutation).

An agent reads the reviews of their own conversations (another agent's is absent: 404; asking
for another agent's list is a 403); supervisors and administrators read every review; a
trainee none (403). A deleted review is absent for everyone (404). Rubrics are readable by
everyone in production.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Role
from csdesk.domain.qa import is_lead
from csdesk.protocol import API_PREFIX
from csdesk.server.deps import CurrentUser, State, realm_of
from csdesk.server.errors import ApiError
from csdesk.storage import models as m

router = APIRouter(prefix=f"{API_PREFIX}/qa", tags=["qa"])

MAX_LIST: Final = 500
IdParam = Annotated[str | None, Query(min_length=1, max_length=36)]


def _reader(user: m.User) -> None:
    if user.role == Role.TRAINEE.value:
        raise ApiError(403, "forbidden", "trainees work in the training sandbox: no reviews")


def rubric_out(r: m.QaRubric) -> dict[str, Any]:
    return {
        "id": r.id,
        "family": r.family,
        "version": r.version,
        "name": r.name,
        "criteria": list(r.criteria or []),
        "active": r.active,
        "created_at": r.created_at.isoformat(),
    }


def _review_out(
    s: Session, r: m.QaReview, names: dict[str, str], rubrics: dict[str, m.QaRubric]
) -> dict[str, Any]:
    conv = s.get(m.Conversation, r.conversation_id)
    cust = s.get(m.Customer, conv.customer_id) if conv is not None else None
    rubric = rubrics.get(r.rubric_id) or s.get(m.QaRubric, r.rubric_id)
    assert rubric is not None  # a foreign key
    rubrics[rubric.id] = rubric
    return {
        "id": r.id,
        "conversation_id": r.conversation_id,
        "conversation_subject": (conv.subject or conv.preview or "") if conv else "",
        "channel": conv.channel if conv else "",
        "customer_name": cust.name if cust is not None else "",
        "agent_id": r.agent_id,
        "agent_name": names.get(r.agent_id, ""),
        "reviewer_id": r.reviewer_id,
        "reviewer_name": names.get(r.reviewer_id, ""),
        "rubric": rubric_out(rubric),
        "scores": dict(r.scores or {}),
        "message_comments": list(r.message_comments or []),
        "comment": r.comment,
        "score": r.score,
        "reviewed_at": r.reviewed_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
    }


def _names(s: Session) -> dict[str, str]:
    return {uid: shown for uid, shown in s.execute(select(m.User.id, m.User.display_name))}


@router.get("/reviews", responses={401: {}, 403: {}})
def reviews(
    state: State,
    user: CurrentUser,
    agent_id: IdParam = None,
    conversation_id: IdParam = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> dict[str, Any]:
    """Reviews, newest first: an agent's own; a supervisor's or admin's, anyone's."""
    _reader(user)
    if not is_lead(user.role):
        if agent_id not in (None, user.id):
            raise ApiError(403, "forbidden", "an agent reads only the reviews of their own work")
        agent_id = user.id
    stmt = select(m.QaReview).where(
        m.QaReview.realm == realm_of(user), m.QaReview.deleted_at.is_(None)
    )
    if agent_id is not None:
        stmt = stmt.where(m.QaReview.agent_id == agent_id)
    if conversation_id is not None:
        stmt = stmt.where(m.QaReview.conversation_id == conversation_id)
    stmt = stmt.order_by(m.QaReview.reviewed_at.desc(), m.QaReview.id).limit(limit)
    with state.reads() as s:
        names = _names(s)
        rubrics: dict[str, m.QaRubric] = {}
        return {"reviews": [_review_out(s, r, names, rubrics) for r in s.scalars(stmt)]}


@router.get("/reviews/{review_id}", responses={401: {}, 403: {}, 404: {}})
def review(
    review_id: Annotated[str, Path(min_length=1, max_length=36)],
    state: State,
    user: CurrentUser,
) -> dict[str, Any]:
    """One review; another agent's is absent (404), as if it did not exist."""
    _reader(user)
    with state.reads() as s:
        r = s.get(m.QaReview, review_id)
        if (
            r is None
            or r.realm != realm_of(user)
            or r.deleted_at is not None  # deleted by a supervisor (docs/qa.md)
            or (not is_lead(user.role) and r.agent_id != user.id)
        ):
            raise ApiError(404, "not_found", "no such review")
        return _review_out(s, r, _names(s), {})


@router.get("/rubrics", responses={401: {}, 403: {}})
def rubrics(state: State, user: CurrentUser) -> dict[str, Any]:
    """Every rubric version, the active ones first."""
    _reader(user)
    with state.reads() as s:
        rows = s.scalars(
            select(m.QaRubric)
            .where(m.QaRubric.realm == realm_of(user))
            .order_by(m.QaRubric.active.desc(), m.QaRubric.family, m.QaRubric.version.desc())
        ).all()
        return {"rubrics": [rubric_out(r) for r in rows]}
