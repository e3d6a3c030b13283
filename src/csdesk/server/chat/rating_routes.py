"""``POST /chat/api/rating``: the chat widget's inline satisfaction rating (``chat.rating``).

Called cross-origin like the rest of the visitor API, with the session token in
``X-Chat-Token``. Every outcome is a JSON answer, never a 5xx: 200 taken, 401 no session,
404 no survey of this visitor's carried that message, 409 answered already, 410 expired,
413 too large, 422 a bad value, 429 too many requests.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from csdesk.server.chat import rating
from csdesk.server.chat.routes import _body, _doc, _fail, _ok, _session
from csdesk.server.deps import State
from csdesk.server.surveys import answer
from csdesk.server.surveys.routes import clean_comment
from csdesk.storage.types import utcnow

router = APIRouter(tags=["chat"])


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: The survey message the widget showed the rating under.
    message_id: str = Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")
    csat: StrictInt = Field(ge=1, le=5)
    nps: StrictInt | None = Field(default=None, ge=0, le=10)
    ces: StrictInt | None = Field(default=None, ge=1, le=7)
    comment: str = Field(default="", max_length=answer.MAX_COMMENT)


class RatingOut(BaseModel):
    status: str


@router.post(
    "/chat/api/rating",
    response_model=RatingOut,
    responses={401: {}, 404: {}, 409: {}, 410: {}, 413: {}, 422: {}, 429: {}},
    openapi_extra=_doc(RatingIn),
)
async def rate_chat(request: Request, state: State) -> JSONResponse:
    """The visitor rates the chat they were surveyed on; taken once, before it expires."""
    visitor = await _session(request, state)
    body = await _body(request, RatingIn)
    scores = answer.Scores(
        csat=body.csat, nps=body.nps, ces=body.ces, comment=clean_comment(body.comment)
    )
    rules = state.config.surveys

    def run() -> rating.Outcome:
        with state.writes() as s:
            outcome = rating.rate(s, visitor, body.message_id, scores, utcnow(), rules)
            s.commit()
        return outcome

    outcome = await run_in_threadpool(run)
    if outcome is rating.Outcome.UNKNOWN:
        raise _fail(404, "not_found", "no survey of yours has that message")
    if outcome is rating.Outcome.ANSWERED:
        raise _fail(409, "survey_answered", "this survey was already answered")
    if outcome is rating.Outcome.EXPIRED:
        raise _fail(410, "survey_expired", "this survey has expired")
    return _ok({"status": "answered"})
