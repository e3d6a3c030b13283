"""Provider webhooks: ``/webhooks/twilio/sms``, ``/webhooks/twilio/voice``, ``/webhooks/meta``,
``/webhooks/telegram``.

The paths are stable (operators paste them into provider consoles).  Each request goes through
the same gate, in this order: the provider is configured (else 404), the body within the limit
(413), the signature valid for the configured public URL, never the Host header (403, logged
without secrets), not over its rate (429 with Retry-After; forged requests have a bucket of
their own, see ``guard``), the payload well-formed (400).
Well-formed events we do not handle are acknowledged with 200 so the provider stops retrying.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from csdesk.server.channels import meta, telegram, twilio
from csdesk.server.channels.call_mutations import answered_by
from csdesk.server.channels.calls import CallEvent, CallOutcome, ingest_call
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.guard import admit, check_channel, read_body
from csdesk.server.channels.inbound import ParsedBatch, PayloadError
from csdesk.server.channels.ingest import ingest_message
from csdesk.server.channels.runtime import ChannelRuntime, runtime_of
from csdesk.server.channels.signatures import (
    SignatureError,
    VerificationHandshakeError,
    meta_verify_handshake,
    verify_meta_signature,
    verify_telegram_secret,
    verify_twilio_signature,
)
from csdesk.server.channels.statuses import apply_status
from csdesk.server.edge.bad_text import scrub_payload
from csdesk.server.errors import ApiError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
T = TypeVar("T")

SMS_PATH = "/webhooks/twilio/sms"
VOICE_PATH = "/webhooks/twilio/voice"
VOICE_ANSWERED_PATH = "/webhooks/twilio/voice/answered"
_EMPTY_TWIML = twilio.build_twiml()
_TWIML = "text/xml"
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "the payload is not the shape the provider documents"},
    403: {"description": "missing or wrong signature"},
    404: {"description": "this channel is not configured"},
    413: {"description": "body too large"},
    429: {"description": "rate limited; see Retry-After"},
}


def _form_body(fields: dict[str, str]) -> dict[str, Any]:
    props = {k: {"type": "string", "description": v} for k, v in fields.items()}
    return {
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": props}
                }
            }
        }
    }


def _json_body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": description,
        }
    }


async def _gate(request: Request, provider: Provider) -> tuple[ChannelRuntime, ChannelSettings]:
    rt = runtime_of(request)
    cfg = await run_in_threadpool(check_channel, rt.settings, provider)
    return rt, cfg


def _verified(
    request: Request, provider: Provider, cfg: ChannelSettings, check: Callable[[], T]
) -> T:
    """Run the signature ``check``, then spend a token of the bucket it earned: a forged
    request is refused from the forged bucket (403, or 429 once that is empty) and never
    touches the real provider's."""
    limiter = runtime_of(request).limiter
    try:
        result = check()
    except (SignatureError, VerificationHandshakeError) as exc:
        admit(limiter, provider, cfg, signed=False)
        raise _refuse(provider, request, exc) from None
    admit(limiter, provider, cfg, signed=True)
    return result


def _refuse(provider: Provider, request: Request, exc: Exception) -> ApiError:
    client = request.client.host if request.client else "unknown"
    # The messages of SignatureError never contain the secret or the expected signature.
    log.warning("refused %s webhook from %s: %s", provider.value, client, exc)
    return ApiError(403, "bad_signature", f"{provider.value} webhook refused: {exc}")


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_payload", "form body is not UTF-8") from None


async def _twilio_params(request: Request, path: str) -> tuple[ChannelSettings, dict[str, str]]:
    rt, cfg = await _gate(request, Provider.TWILIO)
    body = await read_body(request, rt.state.config.webhook_max_body_bytes)
    pairs = _form(body)
    _verified(
        request,
        Provider.TWILIO,
        cfg,
        lambda: verify_twilio_signature(
            auth_token=cfg.secret("auth_token"),
            public_url=rt.public_url(path),
            params=pairs,
            signature=request.headers.get("x-twilio-signature"),
            query=request.url.query,
        ),
    )
    return cfg, scrub_payload(dict(pairs), "twilio")  # the signature covered the raw pairs


def _store(rt: ChannelRuntime, batch: ParsedBatch, provider: Provider) -> None:
    """One transaction per message, so a retry after a lost race redoes only that one."""
    for msg in batch.messages:
        with rt.state.writes() as s:
            ingest_message(s, msg, provider=provider.value)
            s.commit()
    for update in batch.statuses:
        with rt.state.writes() as s:
            apply_status(s, update)
            s.commit()
    if batch.ignored:
        log.info("%s webhook: %d event(s) ignored", provider.value, batch.ignored)


@router.post(
    "/twilio/sms",
    summary="Twilio: incoming SMS/MMS/WhatsApp messages and message status callbacks",
    responses={200: {"content": {_TWIML: {}}}, **_ERRORS},
    openapi_extra=_form_body(
        {"MessageSid": "message id", "From": "sender", "To": "our number", "Body": "text"}
    ),
)
async def twilio_sms(request: Request) -> Response:
    cfg, params = await _twilio_params(request, SMS_PATH)
    rt = runtime_of(request)
    region = cfg.text("default_region") or None
    try:
        if params.get("MessageStatus"):
            update = twilio.parse_status_callback(params)
            batch = ParsedBatch(statuses=(update,)) if update else ParsedBatch(ignored=1)
        else:
            batch = ParsedBatch(messages=(twilio.parse_sms(params, default_region=region),))
    except PayloadError as exc:
        raise ApiError(400, "invalid_payload", str(exc)) from None
    await run_in_threadpool(_store, rt, batch, Provider.TWILIO)
    return Response(_EMPTY_TWIML, media_type=_TWIML)


def _voice_twiml(cfg: ChannelSettings, rt: ChannelRuntime, status: str, event: CallEvent) -> str:
    """What Twilio should do next: ring agents, take a voicemail, or nothing."""
    here = rt.public_url(VOICE_PATH)
    voicemail = cfg.text(
        "voicemail_prompt", "Please leave a message after the tone and we will call you back."
    )
    if event.recording_url:
        return twilio.build_twiml(twilio.Say("Thank you. Goodbye."), twilio.Hangup())
    if event.dial_status:
        if event.dial_status in ("completed", "answered"):
            return twilio.build_twiml(twilio.Hangup())
        return twilio.voice_answer(voicemail, voicemail_action=here)
    if status in ("completed", "busy", "no-answer", "failed", "canceled"):
        return _EMPTY_TWIML  # a status callback: nothing left to do on the call
    greeting = cfg.text("voice_greeting", "Thank you for calling.")
    agents = dial_targets(cfg.text("voice_dial"))
    targets = list(agents)
    if targets:
        answered = rt.public_url(VOICE_ANSWERED_PATH)
        dial = twilio.Dial(
            numbers=[t for t in targets if not t.startswith("client:")],
            clients=[t.removeprefix("client:") for t in targets if t.startswith("client:")],
            action=here,
            answer_urls={
                t.removeprefix("client:"): f"{answered}?{urlencode({'agent': user})}"
                for t, user in agents.items()
                if user
            },
        )
        return twilio.voice_answer(greeting, dial=dial)
    return twilio.voice_answer(f"{greeting} {voicemail}", voicemail_action=here)


def dial_targets(setting: str) -> dict[str, str | None]:
    """``voice_dial`` entries: ``+4420…``, ``client:NAME``, or ``USERNAME=`` before either to
    say whose phone or desk client that is, so the answer hook can record who took the call.

    Returns target -> username (None when the entry names nobody).
    """
    out: dict[str, str | None] = {}
    for entry in (e.strip() for e in setting.split(",")):
        if not entry:
            continue
        user, sep, target = entry.partition("=")
        if sep and user.strip() and target.strip():
            out[target.strip()] = user.strip()
        else:
            out[entry] = None
    return out


@router.post(
    VOICE_ANSWERED_PATH.removeprefix("/webhooks"),
    summary="Twilio: an agent's phone or client answered a dialled call (the <Number url> hook)",
    responses={200: {"content": {_TWIML: {}}}, **_ERRORS},
    openapi_extra=_form_body(
        {"CallSid": "the agent leg", "ParentCallSid": "the caller's call", "CallStatus": "status"}
    ),
)
async def twilio_voice_answered(request: Request) -> Response:
    """Signed like every Twilio webhook (the signature covers the ``agent`` query parameter,
    so it cannot be forged to credit another agent). Answers empty TwiML: connect the call."""
    _cfg, params = await _twilio_params(request, VOICE_ANSWERED_PATH)
    rt = runtime_of(request)
    parent = (params.get("ParentCallSid") or "").strip()
    username = request.query_params.get("agent", "").strip()
    if not parent:
        raise ApiError(400, "invalid_payload", "ParentCallSid is missing")

    def record() -> str:
        with rt.state.writes() as s:
            outcome = answered_by(s, parent, username)
            s.commit()
            return outcome

    result = await run_in_threadpool(record)
    log.info("call %s answered: %s", parent, result)
    return Response(_EMPTY_TWIML, media_type=_TWIML)


@router.post(
    "/twilio/voice",
    summary="Twilio: incoming calls (answered with TwiML), dial results, voicemails, statuses",
    responses={200: {"content": {_TWIML: {}}}, **_ERRORS},
    openapi_extra=_form_body({"CallSid": "call id", "From": "caller", "CallStatus": "status"}),
)
async def twilio_voice(request: Request) -> Response:
    cfg, params = await _twilio_params(request, VOICE_PATH)
    rt = runtime_of(request)
    try:
        call = twilio.parse_voice(params, default_region=cfg.text("default_region") or None)
    except PayloadError as exc:
        raise ApiError(400, "invalid_payload", str(exc)) from None
    event = CallEvent(
        dial_status=params.get("DialCallStatus") or None,
        recording_url=params.get("RecordingUrl") or None,
        # A length that is none ("²", 10^20) is left unknown: the voicemail matters more.
        recording_seconds=twilio.seconds(params.get("RecordingDuration")),
    )

    def record() -> CallOutcome:
        with rt.state.writes() as s:
            result = ingest_call(s, call, event)
            s.commit()
            return result.outcome

    outcome = await run_in_threadpool(record)
    log.info("call %s: %s (%s)", call.call_sid, call.status, outcome.value)
    return Response(_voice_twiml(cfg, rt, call.status, event), media_type=_TWIML)


@router.get(
    "/meta",
    summary="Meta: webhook verification handshake (echoes hub.challenge)",
    response_class=PlainTextResponse,
    responses={403: {"description": "wrong hub.verify_token or mode"}, 404: _ERRORS[404]},
)
async def meta_verify(request: Request) -> PlainTextResponse:
    _rt, cfg = await _gate(request, Provider.META)
    challenge = _verified(
        request,
        Provider.META,
        cfg,
        lambda: meta_verify_handshake(dict(request.query_params), cfg.secret("verify_token")),
    )
    return PlainTextResponse(challenge)


@router.post(
    "/meta",
    summary="Meta: WhatsApp Cloud API, Messenger and Instagram messages and statuses",
    responses=_ERRORS,
    openapi_extra=_json_body("a Meta webhook notification (object, entry[])"),
)
async def meta_event(request: Request) -> dict[str, bool]:
    rt, cfg = await _gate(request, Provider.META)
    body = await read_body(request, rt.state.config.webhook_max_body_bytes)
    _verified(
        request,
        Provider.META,
        cfg,
        lambda: verify_meta_signature(
            app_secret=cfg.secret("app_secret"),
            body=body,
            signature_256=request.headers.get("x-hub-signature-256"),
            signature_sha1=request.headers.get("x-hub-signature"),
        ),
    )
    try:
        batch = meta.parse_webhook(body)
    except PayloadError as exc:
        raise ApiError(400, "invalid_payload", str(exc)) from None
    await run_in_threadpool(_store, rt, batch, Provider.META)
    return {"ok": True}


@router.post(
    "/telegram",
    summary="Telegram Bot API: one Update per request (secret-token header required)",
    responses=_ERRORS,
    openapi_extra=_json_body("a Telegram Update"),
)
async def telegram_update(request: Request) -> dict[str, bool]:
    rt, cfg = await _gate(request, Provider.TELEGRAM)
    body = await read_body(request, rt.state.config.webhook_max_body_bytes)
    _verified(
        request,
        Provider.TELEGRAM,
        cfg,
        lambda: verify_telegram_secret(
            secret_token=cfg.secret("secret_token"),
            header_value=request.headers.get("x-telegram-bot-api-secret-token"),
        ),
    )
    try:
        batch = telegram.parse_update(body)
    except PayloadError as exc:
        raise ApiError(400, "invalid_payload", str(exc)) from None
    await run_in_threadpool(_store, rt, batch, Provider.TELEGRAM)
    return {"ok": True}
