"""``/survey/<token>``: the page a customer answers the survey on (no sign-in: the signed
token in the link is the capability to answer that one survey, and only a POST answers it,
so a mail scanner opening the link changes nothing).

Every outcome is a page, never a 5xx: a malformed or forged token is 400, an unknown survey
404, an expired one 410, one already answered 409, a form with a bad value 422 (the form
again, with the errors named), too many requests from one address 429, a body over 16 KiB 413.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi import Path as FastPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from csdesk.server.channels.guard import RateLimiter, read_body
from csdesk.server.deps import State
from csdesk.server.errors import ApiError
from csdesk.server.state import ServerState
from csdesk.server.surveys import answer, page, texts, tokens
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

router = APIRouter(tags=["surveys"])

MAX_BODY = 16 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CSAT = frozenset(str(n) for n in range(1, 6))
_NPS = frozenset(str(n) for n in range(11))
_CES = frozenset(str(n) for n in range(1, 8))
#: Any length reaches ``tokens.verify`` (which refuses over 200 characters), so every bad
#: link gets the same HTML page rather than a JSON validation error.
_Token = Annotated[str, FastPath()]


class SurveyRuntime:
    """Per-app survey services (built by ``create_app``): the rate limit."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.limiter = RateLimiter()


def _html(body: str, status: int = 200, extra: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**page.HEADERS, **(extra or {})})


def _limit(request: Request, token: str) -> HTMLResponse | None:
    rt: SurveyRuntime = request.app.state.surveys
    client = request.client.host if request.client else "unknown"
    # A person answers once; a guesser gets nowhere ($CSDESK_SURVEY_RATE_PER_MINUTE). The MAC
    # is checked first (cheap, no database), as the webhooks do: a link we signed spends its
    # survey's own bucket, anything else its address's, so a flood of made-up links from an
    # address customers share (an office, a mobile carrier's NAT, a proxy) never locks them out.
    signed = tokens.verify(tokens.survey_key(rt.state.config.data_dir), token)
    key = f"survey:{signed.survey_id}" if isinstance(signed, tokens.Signed) else "guess:" + client
    wait = rt.limiter.take(key, rt.state.config.surveys.rate_per_minute)
    if wait <= 0:
        return None
    body = page.message("en", texts.DEAD_TITLE, texts.TOO_MANY)
    return _html(body, 429, {"Retry-After": str(max(1, math.ceil(wait)))})


@dataclass(frozen=True, slots=True)
class _Found:
    survey: m.SurveyRequest | None
    subject: str
    status: int  # 200 live, 404 unknown, 409 answered, 410 expired
    language: str


def _load(state: ServerState, token: str) -> _Found | int:
    """The survey a token names, or the status of a token that names none (400/410)."""
    signed = tokens.verify(tokens.survey_key(state.config.data_dir), token)
    if signed is tokens.Refusal.EXPIRED:
        return 410
    if not isinstance(signed, tokens.Signed):
        return 400
    with state.reads() as s:
        survey = s.get(m.SurveyRequest, signed.survey_id)
        if survey is None:
            return _Found(None, "", 404, "en")
        conv = s.get(m.Conversation, survey.conversation_id)
        subject = " ".join((conv.subject if conv is not None else "").split())[:200]
        s.expunge(survey)
    if survey.answered_at is not None:
        status = 409
    elif survey.expires_at <= utcnow():
        status = 410
    else:
        status = 200
    return _Found(survey, subject, status, survey.language)


def _refusal(status: int, language: str = "en") -> HTMLResponse:
    if status == 409:
        return _html(page.message(language, texts.ANSWERED_TITLE, texts.ANSWERED_TEXT), 409)
    if status == 410:
        return _html(page.message(language, texts.DEAD_TITLE, texts.EXPIRED_TEXT), 410)
    return _html(page.message(language, texts.DEAD_TITLE, texts.BAD_LINK_TEXT), status)


@router.get(
    "/survey/{token}",
    response_class=HTMLResponse,
    responses={400: {}, 404: {}, 409: {}, 410: {}, 429: {}},
)
async def survey_page(request: Request, state: State, token: _Token) -> HTMLResponse:
    """The survey form (opening it answers nothing)."""
    if (limited := _limit(request, token)) is not None:
        return limited
    found = await run_in_threadpool(_load, state, token)
    if isinstance(found, int):
        return _refusal(found)
    if found.status != 200:
        return _refusal(found.status, found.language)
    return _html(page.form(found.language, found.subject))


def clean_comment(text: str) -> str:
    """The comment as stored: line ends made ``\\n``, control characters (NUL too) dropped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def validate(fields: dict[str, list[str]], language: str) -> answer.Scores | list[tuple[str, str]]:
    """The answer in ``fields`` (a parsed form), or the errors as (field, text)."""
    tr = texts.translator(language).gettext

    def one(name: str) -> str:
        return (fields.get(name) or [""])[0].strip()

    errors: list[tuple[str, str]] = []
    csat, nps, ces = one("csat"), one("nps"), one("ces")
    if csat not in _CSAT:
        errors.append(("csat", tr(texts.CSAT_MISSING if not csat else texts.VALUE_BAD)))
    if nps and nps not in _NPS:
        errors.append(("nps", tr(texts.VALUE_BAD)))
    if ces and ces not in _CES:
        errors.append(("ces", tr(texts.VALUE_BAD)))
    comment = clean_comment((fields.get("comment") or [""])[0])
    if len(comment) > answer.MAX_COMMENT:
        errors.append(("comment", tr(texts.COMMENT_LONG).format(n=answer.MAX_COMMENT)))
    if errors:
        return errors
    return answer.Scores(
        csat=int(csat),
        nps=int(nps) if nps else None,
        ces=int(ces) if ces else None,
        comment=comment,
    )


def _form(raw: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    except ValueError:  # more fields than our form has
        return {}


@router.post(
    "/survey/{token}",
    response_class=HTMLResponse,
    responses={400: {}, 404: {}, 409: {}, 410: {}, 413: {}, 422: {}, 429: {}},
)
async def answer_survey(request: Request, state: State, token: _Token) -> HTMLResponse:
    """The form's submit (``application/x-www-form-urlencoded``): the answer, taken once."""
    if (limited := _limit(request, token)) is not None:
        return limited
    try:
        raw = await read_body(request, MAX_BODY)
    except ApiError:
        return _html(page.message("en", texts.ERROR_TITLE, texts.TOO_LARGE), 413)
    found = await run_in_threadpool(_load, state, token)
    if isinstance(found, int):
        return _refusal(found)
    if found.status != 200 or found.survey is None:
        return _refusal(found.status, found.language)
    fields = _form(raw)
    scores = validate(fields, found.language)
    if isinstance(scores, list):
        values = {
            k: clean_comment((fields.get(k) or [""])[0][: answer.MAX_COMMENT * 2])
            for k in ("csat", "nps", "ces", "comment")
        }
        body = page.form(found.language, found.subject, values, scores)
        return _html(body, 422)
    survey = found.survey
    rules = state.config.surveys

    def run() -> bool:
        with state.writes() as s:
            taken = answer.take(s, survey, scores, utcnow(), rules, via="page")
            s.commit()
        return taken is not None

    if not await run_in_threadpool(run):
        return _refusal(409, found.language)
    return _html(page.message(found.language, texts.THANKS_TITLE, texts.THANKS_TEXT))
