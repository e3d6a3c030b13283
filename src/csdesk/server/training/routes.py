"""``/api/v1/training``: the training review's reads, role-checked.

Supervisors and administrators see every trainee's sessions, transcripts, comments and
assignments; everyone else sees only their own (another's session is a 403, an unknown one a
404). Writes (a finished session, a comment, an assignment, a published scenario) are push
mutations like every action (``server.training.results``, ``server.training.scenarios``).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter

from csdesk.protocol import API_PREFIX
from csdesk.server.deps import CurrentUser, State
from csdesk.server.errors import ApiError
from csdesk.server.training import views
from csdesk.server.training.results import REVIEWERS
from csdesk.storage import models as m

router = APIRouter(prefix=f"{API_PREFIX}/training", tags=["training"])

_ID_MAX: Final = 36


def _id(name: str, value: str) -> str:
    if not value or len(value) > _ID_MAX or not value.isprintable():
        raise ApiError(
            400,
            "invalid",
            "{name} must be an id of at most {limit} characters",
            name=name,
            limit=_ID_MAX,
        )
    return value


def _whose(user: m.User, user_id: str | None) -> str:
    """The user whose training the caller asks for: anyone for a reviewer, else themself."""
    if user_id is None:
        return user.id
    wanted = _id("user_id", user_id)
    if wanted != user.id and user.role not in REVIEWERS:
        raise ApiError(403, "forbidden", "only supervisors see other people's training")
    return wanted


@router.get("/trainees", responses={401: {}, 403: {}})
def trainees(state: State, user: CurrentUser) -> dict[str, Any]:
    """Everyone who trains, with their number of sessions, average and open assignments."""
    if user.role not in REVIEWERS:
        raise ApiError(403, "forbidden", "only supervisors see the training review")
    with state.reads() as s:
        return {"trainees": views.trainees(s)}


@router.get("/results", responses={400: {}, 401: {}, 403: {}})
def results(state: State, user: CurrentUser, user_id: str | None = None) -> dict[str, Any]:
    """A user's sessions, newest first (the caller's own without ``user_id``)."""
    whose = _whose(user, user_id)
    with state.reads() as s:
        return {"results": views.results(s, whose, with_comments=False)}


@router.get("/results/{result_id}", responses={400: {}, 401: {}, 403: {}, 404: {}})
def result(result_id: str, state: State, user: CurrentUser) -> dict[str, Any]:
    """One session with its transcript, feedback, points and comments."""
    _id("result_id", result_id)
    with state.reads() as s:
        row = s.get(m.TrainingResult, result_id)
        if row is None:
            raise ApiError(404, "not_found", "no such training session")
        if row.user_id != user.id and user.role not in REVIEWERS:
            raise ApiError(403, "forbidden", "this is another person's training session")
        return views.detail(s, row)


@router.get("/assignments", responses={400: {}, 401: {}, 403: {}})
def assignments(state: State, user: CurrentUser, user_id: str | None = None) -> dict[str, Any]:
    """A user's assignments, open ones first."""
    whose = _whose(user, user_id)
    with state.reads() as s:
        return {"assignments": views.assignments(s, whose, open_only=False)}


@router.get("/mine", responses={401: {}})
def mine(state: State, user: CurrentUser) -> dict[str, Any]:
    """What a trainee's desk shows: their sessions with the comments on them, and the
    scenarios they were given to practise (open ones)."""
    with state.reads() as s:
        return {
            "results": views.results(s, user.id, with_comments=True),
            "assignments": views.assignments(s, user.id, open_only=True),
        }
