"""``/chat``: the widget's files and the visitor API; ``/api/v1/chat``: what agents ask of it.

The visitor API is called cross-origin from the store's pages, with the session token in the
``X-Chat-Token`` header (no cookies), so every answer allows any origin.  Bodies are read with
a small limit before they are parsed, and every call is rate-limited per client address or
per session.
"""

from __future__ import annotations

import asyncio
import html
import math
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as FastPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csdesk.domain.enums import DeliveryStatus
from csdesk.protocol import API_PREFIX
from csdesk.resources import resource_path
from csdesk.server import catalogues
from csdesk.server.channels import claims
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.guard import RateLimiter, read_body
from csdesk.server.channels.ingest import IngestResult
from csdesk.server.channels.runtime import runtime_of
from csdesk.server.channels.vault import VaultError
from csdesk.server.chat import hours, service, texts, typing_board, visitors
from csdesk.server.deps import CurrentUser, State
from csdesk.server.errors import ApiError
from csdesk.server.presence.service import visible_conversation
from csdesk.server.state import ServerState
from csdesk.storage.types import utcnow

router = APIRouter(tags=["chat"])

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, X-Chat-Token",
    "Access-Control-Max-Age": "600",
}
MAX_BODY = 16 * 1024
MAX_WAIT = 25.0
#: Presence rows do not feed the change log, so a waiting poll re-reads typing this often.
TYPING_RECHECK = 0.5
#: An agent's typing notice older than this is not shown (the composer refreshes it).
AGENT_TYPING_FRESH = timedelta(seconds=8)
#: Requests a minute: per client address for new sessions and forms, per session otherwise.
RATE_START = 20
RATE_SESSION = 240
RATE_TRANSCRIPT = 3
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
T = TypeVar("T", bound=BaseModel)


def resource_dir() -> Path:
    """``resources/chat``, wherever csdesk.resources finds it."""
    return resource_path("chat")


class ChatRuntime:
    """Per-app chat services (built by ``create_app``): rate limits and hours (typing notices
    live in the database: see ``typing_board``)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.limiter = RateLimiter()
        self.hours = hours.parse(state.config.chat_hours, state.config.chat_timezone)

    def is_open(self) -> bool:
        return self.hours.is_open(utcnow())


def _runtime(request: Request) -> ChatRuntime:
    rt: ChatRuntime = request.app.state.chat
    return rt


def _fail(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, code, message, headers={**CORS, **(headers or {})})


def _limit(rt: ChatRuntime, key: str, rate: int) -> None:
    wait = rt.limiter.take(key, rate)
    if wait > 0:
        raise _fail(
            429,
            "rate_limited",
            "too many chat requests; retry later",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def clean(text: str) -> str:
    """Drop control characters (PostgreSQL refuses NUL in text; none belongs in a chat)."""
    return _CONTROL.sub("", text)


async def _body(request: Request, model: type[T]) -> T:
    try:
        raw = await read_body(request, MAX_BODY)
    except ApiError as exc:
        raise _fail(exc.status, exc.code, exc.message) from None
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise _fail(422, "invalid_request", where or "invalid request") from None


def _doc(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its body itself (to limit its size)."""
    schema = {"schema": model.model_json_schema()}
    return {"requestBody": {"required": True, "content": {"application/json": schema}}}


def _visitor(state: ServerState, token: str | None) -> visitors.Visitor:
    with state.reads() as s:
        try:
            return visitors.lookup(s, token)
        except ApiError as exc:
            raise _fail(exc.status, exc.code, exc.message) from None


async def _session(request: Request, state: ServerState) -> visitors.Visitor:
    """The visitor of the request's chat token. Each token string spends its own bucket
    before the lookup; a token that turns out unknown also spends its address's "forged"
    bucket, and once that is empty the answer is 429: a guesser sending a new made-up token
    each time is limited by address, while real visitors behind the same address are not
    (their tokens never touch that bucket)."""
    token = request.headers.get("x-chat-token")
    rt = _runtime(request)
    _limit(rt, "chat-session:" + (token or _client(request))[:64], RATE_SESSION)
    try:
        return await run_in_threadpool(_visitor, state, token)
    except ApiError:
        _limit(rt, "chat-forged:" + _client(request)[:64], RATE_SESSION)
        raise


def _ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status, headers=CORS)


# --- the widget's files -------------------------------------------------------------------


def _file(name: str, media_type: str) -> FileResponse:
    return FileResponse(
        resource_dir() / name,
        media_type=media_type,
        headers={"Cache-Control": "max-age=300", **CORS},
    )


@router.get("/chat/widget.js", response_class=FileResponse)
def widget_js() -> FileResponse:
    """The embeddable widget: ``<script src=".../chat/widget.js" data-csdesk-store="...">``."""
    return _file("widget.js", "text/javascript; charset=utf-8")


@router.get("/chat/widget.css", response_class=FileResponse)
def widget_css() -> FileResponse:
    return _file("widget.css", "text/css; charset=utf-8")


#: The widget's words change only with a new release (catalogues are read at start).
STRINGS_MAX_AGE = 3600


@router.get(
    "/chat/strings",
    responses={
        200: {"description": "``{language, dir, strings}``: the widget's words"},
        304: {"description": "the ETag given in If-None-Match is current"},
    },
)
def widget_strings(
    request: Request, lang: Annotated[str, Query(description="a language tag")] = "en"
) -> Response:
    """The widget's words in the visitor's language (``?lang=de``): the keys of its built-in
    English table. A value that is no language tag, or one without a catalogue, gets English;
    ``language`` says which it is and ``dir`` how it is written (``rtl`` for Arabic)."""
    body, etag = texts.widget_strings(texts.widget_language(lang))
    headers = {
        "Cache-Control": f"public, max-age={STRINGS_MAX_AGE}",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        **CORS,
    }
    if etag in request.headers.get("if-none-match", "")[:1000]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/chat/demo", response_class=FileResponse)
def demo_page() -> FileResponse:
    """A store page with the widget on it, to try the chat without a store."""
    return FileResponse(resource_dir() / "demo.html", media_type="text/html; charset=utf-8")


# --- the visitor API -----------------------------------------------------------------------


@router.options("/chat/api/{rest:path}", include_in_schema=False)
def preflight(rest: str) -> Response:
    return Response(status_code=204, headers=CORS)


class StatusOut(BaseModel):
    open: bool
    hours: str
    timezone: str
    transcript_email: bool


@router.get("/chat/api/status", response_model=StatusOut)
def status(request: Request) -> JSONResponse:
    """Whether the chat is staffed now (otherwise the widget shows the contact form)."""
    rt = _runtime(request)
    return _ok(
        {
            "open": rt.is_open(),
            "hours": rt.hours.spec,
            "timezone": rt.hours.zone.key,
            "transcript_email": _email_configured(request),
        }
    )


def _email_configured(request: Request) -> bool:
    """Whether an SMTP connection exists to mail transcripts through."""
    try:
        return runtime_of(request).settings(Provider.EMAIL) is not None
    except VaultError:
        return False


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    store: str | None = Field(default=None, max_length=100)
    #: The language the widget speaks to the visitor (from ``/chat/strings``): the customer's
    #: and their chats' until their messages say better. Not a language tag: ignored.
    language: str | None = Field(default=None, max_length=64)


class StartOut(BaseModel):
    token: str
    open: bool


@router.post(
    "/chat/api/session",
    response_model=StartOut,
    status_code=201,
    responses={429: {}},
    openapi_extra=_doc(StartIn),
)
async def start_session(request: Request, state: State) -> JSONResponse:
    """A new visitor session (and its customer); the token is shown only here."""
    rt = _runtime(request)
    _limit(rt, "chat-start:" + _client(request), RATE_START)
    body = await _body(request, StartIn)

    def run() -> str:
        with state.writes() as s:
            token, _ = visitors.start(s, clean(body.name or ""), body.language)
            s.commit()
        return token

    token = await run_in_threadpool(run)
    return _ok({"token": token, "open": rt.is_open()}, 201)


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=5000)
    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    store: str | None = Field(default=None, max_length=100)


class SentOut(BaseModel):
    id: str
    conversation_id: str
    duplicate: bool


@router.post(
    "/chat/api/messages",
    response_model=SentOut,
    responses={401: {}, 429: {}},
    openapi_extra=_doc(SendIn),
)
async def send_message(request: Request, state: State) -> JSONResponse:
    """The visitor writes: the message reaches the agents' inbox through the feed."""
    visitor = await _session(request, state)
    body = await _body(request, SendIn)
    text = clean(body.text).strip()
    if not text:
        raise _fail(422, "invalid_request", "text: the message is empty")
    store = clean(body.store) if body.store else None

    def run() -> IngestResult:
        with state.writes() as s:
            result = service.send(s, visitor, text, body.client_id, store)
            s.commit()
        return result

    result = await run_in_threadpool(run)
    return _ok(
        {
            "id": result.message_id,
            "conversation_id": result.conversation_id,
            "duplicate": not result.created,
        }
    )


@router.get("/chat/api/messages", responses={401: {}, 429: {}})
async def transcript(request: Request, state: State) -> JSONResponse:
    """Everything said in the visitor's chats (to redraw the widget after a page load)."""
    visitor = await _session(request, state)

    def run() -> list[dict[str, Any]]:
        with state.reads() as s:
            return service.transcript(s, visitor)

    return _ok({"messages": await run_in_threadpool(run)})


@router.get(
    "/chat/api/messages/{message_id}/attachments/{index}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 401: {}, 404: {}, 429: {}},
)
async def visitor_attachment(
    request: Request,
    state: State,
    message_id: Annotated[str, FastPath(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")],
    index: Annotated[int, FastPath(ge=0, le=999)],
) -> FileResponse:
    """A file an agent sent in this visitor's chat: only with that chat's session token."""
    visitor = await _session(request, state)

    def run() -> dict[str, Any] | None:
        with state.reads() as s:
            return service.visible_attachment(s, visitor, message_id, index)

    meta = await run_in_threadpool(run)
    sha = meta.get("sha256") if meta is not None else None
    path = state.attachments.path(sha) if isinstance(sha, str) else None
    if meta is None or path is None:
        raise _fail(404, "not_found", "no such file in your chat")
    name = str(meta.get("filename") or "file")
    return FileResponse(
        path,
        media_type=str(meta.get("content_type") or "application/octet-stream"),
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            **CORS,
        },
    )


@router.get("/chat/api/updates", responses={401: {}, 429: {}})
async def updates(
    request: Request,
    state: State,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0.0,
    ack: Annotated[list[str] | None, Query(max_length=100)] = None,
    typing: Annotated[bool, Query(description="whether the widget shows agent typing now")] = False,
) -> JSONResponse:
    """Long-poll for agent replies and typing; ``ack`` names replies the widget showed.

    Woken by the feed notifier (a reply is a feed commit); typing, which is not in the feed,
    is re-read every half second while waiting.  No thread waits: only the reads run in one.
    """
    visitor = await _session(request, state)
    rt = _runtime(request)
    acks = [a[:36] for a in (ack or []) if a][:100]

    def run() -> tuple[list[dict[str, Any]], list[str]]:
        # Read first: a write session takes SQLite's write lock, and most rounds change nothing.
        with state.reads() as s:
            waiting = service.pending(s, visitor)
            names = service.agents_typing(s, visitor, utcnow(), AGENT_TYPING_FRESH)
            handed = service.wire_all(s, waiting)
        if acks or any(msg.delivery_status == DeliveryStatus.QUEUED.value for msg in waiting):
            with state.writes() as s:
                service.acknowledge(s, visitor, acks)
                handed = service.hand_over(s, visitor)
                s.commit()
        return handed, names

    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        seen = state.notifier.head
        handed, names = await run_in_threadpool(run)
        acks = []
        remaining = deadline - loop.time()
        if handed or bool(names) != typing or remaining <= 0:
            break
        await state.notifier.wait_past(seen, min(remaining, TYPING_RECHECK))
        if state.notifier.stopping or await request.is_disconnected():
            break
    return _ok({"messages": handed, "agents_typing": names, "open": rt.is_open()})


class TypingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    typing: bool


@router.post(
    "/chat/api/typing", status_code=204, responses={401: {}, 429: {}}, openapi_extra=_doc(TypingIn)
)
async def visitor_typing(request: Request, state: State) -> Response:
    """The visitor started or stopped typing (shown to agents on the current conversation)."""
    visitor = await _session(request, state)
    body = await _body(request, TypingIn)

    def run() -> None:
        with state.reads() as s:
            conv = visitors.current_conversation(s, visitor)
            conv_id = conv.id if conv is not None else None
        if conv_id is None:
            return  # nothing written yet: no conversation for agents to see it in
        with state.writes() as s:
            typing_board.set_typing(s, conv_id, body.typing, utcnow())
            s.commit()

    await run_in_threadpool(run)
    return Response(status_code=204, headers=CORS)


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320)


@router.post("/chat/api/email", responses={401: {}, 422: {}, 429: {}}, openapi_extra=_doc(EmailIn))
async def leave_email(request: Request, state: State) -> JSONResponse:
    """The visitor's email address: links the chat to the customer who has it."""
    visitor = await _session(request, state)
    body = await _body(request, EmailIn)

    def run() -> service.EmailLink:
        with state.writes() as s:
            link = service.leave_email(s, visitor, clean(body.email))
            s.commit()
        return link

    try:
        link = await run_in_threadpool(run)
    except ValueError:
        raise _fail(422, "invalid_email", "that is not an email address") from None
    except claims.TooManyClaims:
        raise _fail(
            429, "rate_limited", "this chat has noted enough addresses; an agent can help"
        ) from None
    return _ok({"linked": link.how})


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=200)
    email: str = Field(min_length=3, max_length=320)
    text: str = Field(min_length=1, max_length=5000)
    store: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=64)  # as in ``StartIn``


@router.post(
    "/chat/api/contact",
    status_code=201,
    responses={422: {}, 429: {}},
    openapi_extra=_doc(ContactIn),
)
async def contact(request: Request, state: State) -> JSONResponse:
    """The offline form: becomes an email conversation (the reply goes by email)."""
    _limit(_runtime(request), "chat-start:" + _client(request), RATE_START)
    body = await _body(request, ContactIn)
    text = clean(body.text).strip()
    if not text:
        raise _fail(422, "invalid_request", "text: the message is empty")

    def run() -> IngestResult:
        with state.writes() as s:
            result = service.contact_form(
                s,
                clean(body.name),
                clean(body.email),
                text,
                clean(body.store or "") or None,
                body.language,
            )
            s.commit()
        return result

    try:
        result = await run_in_threadpool(run)
    except ValueError:
        raise _fail(422, "invalid_email", "that is not an email address") from None
    return _ok({"conversation_id": result.conversation_id}, 201)


class TranscriptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store: str | None = Field(default=None, max_length=100)


@router.post(
    "/chat/api/transcript",
    status_code=202,
    responses={401: {}, 409: {}, 429: {}, 503: {}},
    openapi_extra=_doc(TranscriptIn),
)
async def email_transcript(request: Request, state: State) -> JSONResponse:
    """Mail the conversation to the visitor, only to an address proven to be theirs.

    ``status`` says what went: ``sent`` (the transcript) or ``confirm`` (a link to the typed
    address first; opening it sends the transcript).  Limited per client address here and per
    recipient address in the database (``claims.ADDRESS_LIMIT`` an hour).
    """
    visitor = await _session(request, state)
    _limit(_runtime(request), "chat-transcript:" + _client(request), RATE_TRANSCRIPT)
    await _body(request, TranscriptIn)  # ``store`` is accepted and ignored: it is visitor text
    if not await run_in_threadpool(_email_configured, request):
        raise _fail(503, "transcript_unavailable", "this shop cannot send email transcripts")
    confirm_url = state.config.public_base_url.rstrip("/") + "/chat/confirm?token="

    def run() -> tuple[str, bool]:
        with state.writes() as s:
            plan = service.plan_transcript(s, visitor)
            done = service.email_transcript(s, plan, confirm_url)
            s.commit()
        return done

    try:
        message_id, sent = await run_in_threadpool(run)
    except service.TranscriptLimited as exc:
        window = str(int(claims.ADDRESS_WINDOW.total_seconds()))
        raise _fail(429, "rate_limited", str(exc), {"Retry-After": window}) from None
    except service.TranscriptRefused as exc:
        raise _fail(409, "transcript_refused", str(exc)) from None
    return _ok({"message_id": message_id, "status": "sent" if sent else "confirm"}, 202)


_PAGE = (
    "<!doctype html><html lang={lang} dir={dir}><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width'><title>{title}</title>"
    "<main><h1>{title}</h1><p>{text}</p>{form}</main></html>"
)
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(language: str, title: str, text: str, form: str = "") -> str:
    """One of the confirmation pages in ``language`` (from ``texts.widget_language``)."""
    tr = catalogues.translator(language).gettext
    return _PAGE.format(
        lang=html.escape(language, quote=True),
        dir="rtl" if catalogues.is_right_to_left(language) else "ltr",
        title=html.escape(tr(title)),
        text=html.escape(tr(text)),
        form=form,
    )


def _dead_link(language: str) -> HTMLResponse:
    page = _page(language, texts.DEAD_TITLE, texts.DEAD_TEXT)
    return HTMLResponse(page, status_code=410, headers=_NO_STORE)


@router.get("/chat/confirm", response_class=HTMLResponse, responses={410: {}, 429: {}})
async def confirm_page(
    request: Request,
    state: State,
    token: Annotated[str, Query(min_length=1, max_length=200)],
    lang: Annotated[str, Query(description="the mail's language")] = "en",
) -> HTMLResponse:
    """The link from the proof mail: a page with one button. Opening it proves nothing, since
    mail scanners open links by themselves; pressing the button (a POST) does. In the mail's
    language (``lang``, as ``/chat/strings`` takes it)."""
    _limit(_runtime(request), "chat-start:" + _client(request), RATE_START)
    language = texts.widget_language(lang)

    def run() -> bool:
        with state.reads() as s:
            return claims.is_live(s, token)

    if not await run_in_threadpool(run):
        return _dead_link(language)
    button = html.escape(catalogues.tr(language, texts.CONFIRM_BUTTON))
    form = (
        "<form method=post action='confirm'>"
        f"<input type=hidden name=token value='{html.escape(token, quote=True)}'>"
        f"<input type=hidden name=lang value='{html.escape(language, quote=True)}'>"
        f"<button type=submit>{button}</button></form>"
    )
    page = _page(language, texts.TRANSCRIPT_SUBJECT, texts.CONFIRM_TEXT, form)
    return HTMLResponse(page, headers=_NO_STORE)


@router.post("/chat/confirm", response_class=HTMLResponse, responses={410: {}, 413: {}, 429: {}})
async def confirm_transcript(request: Request, state: State) -> HTMLResponse:
    """The button on that page (form-encoded ``token`` and ``lang``): the address is the
    visitor's, the transcript goes now; the token is spent."""
    _limit(_runtime(request), "chat-start:" + _client(request), RATE_START)
    try:
        raw = await read_body(request, 1024)
    except ApiError as exc:
        raise _fail(exc.status, exc.code, exc.message) from None
    try:
        fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=4)
    except ValueError:  # more fields than a form of ours has
        fields = {}
    token = (fields.get("token") or [""])[0]
    language = texts.widget_language((fields.get("lang") or [""])[0])

    def run() -> str | None:
        with state.writes() as s:
            message_id = service.confirm_transcript(s, token)
            s.commit()
        return message_id

    if await run_in_threadpool(run) is None:
        return _dead_link(language)
    page = _page(language, texts.CONFIRMED_TITLE, texts.CONFIRMED_TEXT)
    return HTMLResponse(page, headers=_NO_STORE)


# --- for agents ----------------------------------------------------------------------------


class VisitorTypingOut(BaseModel):
    conversation_id: str
    visitor_typing: bool


@router.get(
    API_PREFIX + "/chat/typing", response_model=VisitorTypingOut, responses={401: {}, 404: {}}
)
def visitor_typing_for_agents(
    request: Request,
    state: State,
    user: CurrentUser,
    conversation_id: Annotated[str, Query(min_length=1, max_length=36, pattern=r"^[\x20-\x7e]+$")],
) -> VisitorTypingOut:
    """Whether the chat visitor is typing in this conversation ("Visitor is typing…")."""
    with state.reads() as s:
        conv = visible_conversation(s, user, conversation_id)
        typing = typing_board.is_typing(s, conv.id, utcnow())
    return VisitorTypingOut(conversation_id=conv.id, visitor_typing=typing)
