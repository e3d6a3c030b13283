"""``POST /api/v1/translate``: a message or a reply draft translated by the configured provider.

With ``message_id`` the message's text is translated and the translation is kept on the message
beside the original (``Message.translations``, one per target language, the newest replacing an
older one), so every desk sees it through the change feed. With ``text`` (the agent's reply
draft) nothing is stored: the agent sees both texts and chooses what to send.

Any signed-in staff member may translate what they can see; a trainee only in their training
realm (``visible_conversation``). Per user at most ``RATE_PER_MINUTE`` requests a minute (a
provider's quota is the shop's money). Errors are codes (``translation_*``) with a sentence.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, model_validator

from csdesk.protocol import API_PREFIX
from csdesk.server.channels import egress
from csdesk.server.channels.runtime import runtime_of
from csdesk.server.channels.vault import VaultError
from csdesk.server.commerce.runtime import policy_of
from csdesk.server.deps import CurrentUser, State, realm_of
from csdesk.server.edge.bad_text import scrub
from csdesk.server.errors import ApiError
from csdesk.server.languages import providers
from csdesk.server.languages.on_ingest import stated
from csdesk.server.presence.service import visible_conversation
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

router = APIRouter(prefix=API_PREFIX, tags=["languages"])

#: The most text one request translates (a message's first MAX_TEXT characters).
MAX_TEXT: Final = 5000
RATE_PER_MINUTE: Final = 30
#: Translations kept per message (one per target language).
KEEP: Final = 4


class TranslateIn(BaseModel):
    message_id: str | None = Field(default=None, min_length=1, max_length=36)
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    target: str = Field(min_length=2, max_length=16)
    source: str | None = Field(default=None, min_length=2, max_length=16)

    @model_validator(mode="after")
    def _one(self) -> TranslateIn:
        if (self.message_id is None) == (self.text is None):
            raise ValueError("give either message_id or text")
        return self


class TranslateOut(BaseModel):
    text: str
    source: str | None
    target: str
    provider: str
    truncated: bool = False
    message_id: str | None = None


def _tag(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    tag = stated(value)
    if tag is None:
        raise ApiError(
            422, "invalid_request", "{what}: not a language tag such as de or pt-BR", what=what
        )
    return tag


def _clean(text: str) -> str:
    out, _n = scrub(text, drop_nul=True)
    return str(out)


def _translate(
    state: ServerState, request: Request, user: m.User, body: TranslateIn
) -> TranslateOut:
    target = _tag(body.target, "target")
    source = _tag(body.source, "source")
    assert target is not None
    truncated = False
    if body.message_id is not None:
        with state.reads() as s:
            msg = s.get(m.Message, body.message_id)
            if msg is None or msg.realm != realm_of(user):
                raise ApiError(404, "not_found", "This message does not exist.")
            visible_conversation(s, user, msg.conversation_id)
            original = msg.body_text or ""
            source = source or msg.language
        if not original.strip():
            raise ApiError(422, "translation_empty", "This message has no text to translate.")
        truncated = len(original) > MAX_TEXT
        text = original[:MAX_TEXT]
    else:
        assert body.text is not None
        text = body.text
    runtime = runtime_of(request)
    try:
        with state.reads() as s:
            conn = providers.active(s, runtime.vault)
    except VaultError as exc:
        raise ApiError(503, "translation_not_configured", str(exc)) from None
    if conn is None:
        raise ApiError(
            409,
            "translation_not_configured",
            "No translation provider is configured on this server "
            "(csdesk-server translation add libretranslate|deepl).",
        )
    try:
        with egress.GuardedSession(policy_of(state)) as http:
            done = providers.translate(http, conn, text, target, source)
    except egress.Refused as exc:
        raise ApiError(
            502,
            "translation_refused_address",
            "The provider's address is refused: {reason}",
            reason=exc.reason,
        ) from None
    except providers.TranslationError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        raise ApiError(exc.status, exc.code, exc.message, headers=headers) from None
    result = TranslateOut(
        text=_clean(done.text)[: MAX_TEXT * 4],
        source=stated(done.source) if done.source else None,
        target=target,
        provider=done.provider,
        truncated=truncated,
        message_id=body.message_id,
    )
    if body.message_id is not None:
        _keep(state, user, body.message_id, result)
    return result


def _keep(state: ServerState, user: m.User, message_id: str, result: TranslateOut) -> None:
    with state.writes() as s:
        msg = s.get(m.Message, message_id, with_for_update=True)
        if msg is None:
            return  # deleted meanwhile: the agent still sees the answer
        entry: dict[str, Any] = {
            "target": result.target,
            "source": result.source,
            "text": result.text,
            "provider": result.provider,
            "truncated": result.truncated,
            "by": user.display_name[:200],
            "at": utcnow().isoformat(),
        }
        kept = [t for t in (msg.translations or []) if isinstance(t, dict)]
        kept = [t for t in kept if t.get("target") != result.target][-(KEEP - 1) :]
        msg.translations = [*kept, entry]
        msg.updated_at = utcnow()
        s.commit()


@router.post(
    "/translate",
    response_model=TranslateOut,
    responses={401: {}, 404: {}, 409: {}, 413: {}, 422: {}, 429: {}, 502: {}, 503: {}, 504: {}},
)
async def translate(
    request: Request, state: State, user: CurrentUser, body: TranslateIn
) -> TranslateOut:
    """Translate a message (kept beside it) or a reply draft (not kept)."""
    wait = runtime_of(request).limiter.take(f"translate:{user.id}", RATE_PER_MINUTE)
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        raise ApiError(
            429,
            "translation_rate_limited",
            "Too many translations at once; try again in {seconds} s.",
            headers={"Retry-After": str(seconds)},
            seconds=seconds,
        )
    return await run_in_threadpool(_translate, state, request, user, body)
