"""Twilio Programmable Messaging and Voice: webhook parameters in, normalized data out.

Twilio posts ``application/x-www-form-urlencoded`` parameters; the route hands them over as a
mapping of names to (single) values.  Outbound sends are described as an ``OutboundRequest``
for the server's HTTP client, and TwiML is built with ``xml.etree`` so caller-provided text can
never break out of its element.
"""

from __future__ import annotations

import base64
import mimetypes
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from csdesk.domain.enums import Channel, DeliveryStatus, Direction, IdentityKind
from csdesk.server.channels.identities import normalize_phone
from csdesk.server.channels.inbound import (
    Attachment,
    Handle,
    InboundCall,
    InboundMessage,
    PayloadError,
    StatusUpdate,
    utc_now,
)
from csdesk.server.channels.outbound import (
    OutboundRequest,
    SendResult,
    decode_json_object,
    form_request,
    http_failure,
    join_url,
    require_text,
)
from csdesk.server.channels.payload import (
    CALL_SID_WIDTH,
    PROVIDER_ID_WIDTH,
    fitting,
    sender_handle,
)

DEFAULT_API_BASE = "https://api.twilio.com"
MAX_BODY_CHARS = 1600  # Twilio refuses longer bodies (error 21617)
_WHATSAPP_PREFIX = "whatsapp:"
_MAX_MEDIA = 10  # Twilio delivers at most ten media items per message
#: Twilio ends every call at its time limit (four hours unless configured, a day at most): a
#: duration beyond a week is no call's, and far inside the column that stores it.
MAX_CALL_SECONDS = 7 * 24 * 3600

# Twilio's MessageStatus vocabulary -> ours.  "sending" is still in Twilio's hands, so it is
# QUEUED for us: only the carrier's acceptance ("sent") moves a message to SENT.
_MESSAGE_STATUS: dict[str, DeliveryStatus] = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.QUEUED,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
    "receiving": DeliveryStatus.RECEIVED,
    "received": DeliveryStatus.RECEIVED,
}

# The delivery errors agents meet daily, worded for them rather than for a developer.
_ERROR_REASONS: dict[str, str] = {
    "21610": "The recipient has opted out (replied STOP)",
    "21614": "The number cannot receive SMS",
    "30003": "The handset is unreachable (switched off or out of coverage)",
    "30004": "The message was blocked by the recipient or their carrier",
    "30005": "The number does not exist or is no longer in service",
    "30006": "Landline or unreachable carrier",
    "30007": "The carrier filtered the message as spam",
    "30008": "Unknown delivery error",
}

_CALL_STATUSES = frozenset(
    {
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "completed",
        "busy",
        "failed",
        "no-answer",
        "canceled",
    }
)


def _required(params: Mapping[str, str], name: str, width: int = PROVIDER_ID_WIDTH) -> str:
    """A parameter Twilio always sends; its absence means the request is not from Twilio, and
    so does a value wider than the column it is stored in (Twilio's SIDs are 34 characters)."""
    value = params.get(name, "").strip()
    if not value:
        raise PayloadError(f"Twilio webhook is missing the {name} parameter")
    return fitting(value, width, f"Twilio {name}")


def _optional(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return fitting(value, PROVIDER_ID_WIDTH, f"Twilio {name}") if value else None


def seconds(raw: str | None) -> int | None:
    """A duration Twilio reports (CallDuration, RecordingDuration, DialCallDuration) as whole
    seconds, or None when it is no length a call or recording can have: not ASCII digits
    ("²" passes ``str.isdigit`` but not ``int``), or beyond ``MAX_CALL_SECONDS``."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_CALL_SECONDS)):  # checked before int(), which raises past 4,300
        return None
    value = int(digits)
    return value if value <= MAX_CALL_SECONDS else None


def _sender(raw_from: str, default_region: str | None) -> tuple[Channel, Handle, str | None]:
    """Map ``From`` to a channel and handle: Twilio's WhatsApp sender arrives as whatsapp:+1..."""
    channel, kind, number = Channel.SMS, IdentityKind.PHONE, raw_from
    if raw_from.lower().startswith(_WHATSAPP_PREFIX):
        channel, kind = Channel.WHATSAPP, IdentityKind.WHATSAPP
        number = raw_from[len(_WHATSAPP_PREFIX) :]
    try:
        return channel, Handle(kind, normalize_phone(number, default_region)), None
    except ValueError:
        # Short codes and alphanumeric senders are real senders but not E.164; keep them as-is
        # (when they fit: a 200-digit "number" is nobody's).
        handle = sender_handle(kind, number.strip(), "Twilio From")
        return channel, handle, f"sender {number!r} is not an E.164 number"


def _media_filename(url: str, content_type: str, index: int) -> str:
    """Twilio media URLs end in an opaque id; add an extension so downloads open correctly."""
    stem = posixpath.basename(urlsplit(url).path) or f"media{index}"
    ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    return stem if stem.endswith(ext) else stem + ext


def parse_sms(
    params: Mapping[str, str],
    *,
    default_region: str | None = None,
    received_at: datetime | None = None,
) -> InboundMessage:
    """Read an incoming-message webhook (SMS, MMS, or WhatsApp through Twilio).

    Twilio gives no send time, so ``sent_at`` is when we received it.  Media stay on Twilio:
    each attachment's ``provider_file_id`` is the MediaUrlN to fetch with the account's
    credentials.
    """
    sid = _required(params, "MessageSid")
    channel, handle, warning = _sender(_required(params, "From"), default_region)
    try:
        count = int(params.get("NumMedia", "0") or "0")
    except ValueError:
        raise PayloadError("Twilio NumMedia is not a number") from None
    attachments = []
    for i in range(min(max(count, 0), _MAX_MEDIA)):
        url = params.get(f"MediaUrl{i}")
        if not url:
            raise PayloadError(f"Twilio NumMedia is {count} but MediaUrl{i} is missing")
        ctype = params.get(f"MediaContentType{i}") or "application/octet-stream"
        attachments.append(
            Attachment(
                filename=_media_filename(url, ctype, i),
                content_type=ctype,
                size=None,
                provider_file_id=url,
            )
        )
    to = tuple(v for v in (_optional(params, "To"), _optional(params, "MessagingServiceSid")) if v)
    return InboundMessage(
        channel=channel,
        provider_message_id=sid,
        sender_handle=handle,
        sender_name=params.get("ProfileName") or None,  # WhatsApp senders carry a profile name
        text=params.get("Body", ""),
        sent_at=received_at or utc_now(),
        attachments=tuple(attachments),
        parse_warning=warning,
        to=to,
    )


def parse_status_callback(
    params: Mapping[str, str], *, received_at: datetime | None = None
) -> StatusUpdate | None:
    """Read a message status callback; None for a status Twilio added after this was written.

    Returning None (rather than raising) lets the route answer 200 so Twilio does not retry a
    callback that no amount of retrying will make us understand.
    """
    sid = _required(params, "MessageSid")
    raw_status = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    status = _MESSAGE_STATUS.get(raw_status)
    if status is None:
        return None
    code = (params.get("ErrorCode") or "").strip() or None
    reason = None
    if code is not None:
        reason = _ERROR_REASONS.get(code, f"Twilio error {code}")
    channel = Channel.WHATSAPP if params.get("To", "").startswith(_WHATSAPP_PREFIX) else Channel.SMS
    return StatusUpdate(
        channel=channel,
        provider_message_id=sid,
        status=status,
        at=received_at or utc_now(),
        error_code=code,
        error_reason=reason,
        recipient=params.get("To") or None,
    )


def parse_voice(params: Mapping[str, str], *, default_region: str | None = None) -> InboundCall:
    """Read a voice webhook (the answer request or a call status callback)."""
    sid = _required(params, "CallSid", CALL_SID_WIDTH)
    status = _required(params, "CallStatus").lower()
    if status not in _CALL_STATUSES:
        raise PayloadError(f"unknown Twilio CallStatus {status!r}")
    raw_from = params.get("From", "").strip()
    try:
        from_number: str | None = normalize_phone(raw_from, default_region)
    except ValueError:
        from_number = None  # withheld ("anonymous", "+266696687") or not a phone at all
    provider_direction = params.get("Direction", "inbound").strip() or "inbound"
    direction = Direction.IN if provider_direction == "inbound" else Direction.OUT
    to_number = params.get("To", "").strip()
    if direction == Direction.OUT and to_number.startswith("+"):
        # On a call we placed, ``calls`` files the To number as the customer's phone.
        sender_handle(IdentityKind.PHONE, to_number, "Twilio To")
    duration_raw = (params.get("CallDuration") or "").strip()
    duration = seconds(duration_raw)
    if duration_raw and duration is None:
        # Refused, not clamped: a made-up length would go into the history and handle times.
        raise PayloadError(
            f"Twilio CallDuration is not a whole number of seconds up to {MAX_CALL_SECONDS}"
        )
    return InboundCall(
        call_sid=sid,
        from_number=from_number,
        from_raw=raw_from,
        to_number=to_number,
        direction=direction,
        provider_direction=provider_direction,
        status=status,
        duration_seconds=duration,
        caller_name=params.get("CallerName") or None,
        parent_call_sid=params.get("ParentCallSid") or None,
    )


# --- TwiML --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Say:
    """Speak ``text`` to the caller."""

    text: str
    voice: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Dial:
    """Ring agents' phones (``numbers``) and/or desktop clients (``clients``) at once."""

    numbers: Sequence[str] = ()
    clients: Sequence[str] = ()
    timeout: int = 20
    caller_id: str | None = None
    action: str | None = None
    record: bool = False
    #: Per number or client name: the ``url`` Twilio requests when that callee answers
    #: (before the parties are connected), so the server learns who took the call.
    answer_urls: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Hold the caller in a named queue until an agent dequeues them."""

    queue: str
    wait_url: str | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """Take a voicemail; Twilio posts the recording to ``action``."""

    action: str
    max_length: int = 120
    play_beep: bool = True
    transcribe_callback: str | None = None
    finish_on_key: str = "#"


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call (after a voicemail, or outside opening hours)."""


Verb = Say | Dial | Enqueue | Record | Hangup


def _attrs(**values: str | int | bool | None) -> dict[str, str]:
    """TwiML attribute values: drop unset ones, spell booleans as Twilio expects."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def build_twiml(*verbs: Verb) -> str:
    """Serialize verbs into a TwiML ``<Response>`` document.

    Building through ``xml.etree`` escapes everything, so a greeting containing ``<`` or ``&``
    (an agent's custom text) can neither break the document nor inject verbs.
    """
    root = ET.Element("Response")
    for verb in verbs:
        if isinstance(verb, Say):
            if not verb.text.strip():
                raise ValueError("Say needs text")
            el = ET.SubElement(root, "Say", _attrs(voice=verb.voice, language=verb.language))
            el.text = verb.text
        elif isinstance(verb, Dial):
            if not verb.numbers and not verb.clients:
                raise ValueError("Dial needs at least one number or client")
            record = "record-from-answer" if verb.record else None
            el = ET.SubElement(
                root,
                "Dial",
                _attrs(
                    timeout=verb.timeout, callerId=verb.caller_id, action=verb.action, record=record
                ),
            )
            for tag, targets in (("Number", verb.numbers), ("Client", verb.clients)):
                for target in targets:
                    url = verb.answer_urls.get(target)
                    hook = _attrs(url=url, method="POST" if url else None)
                    ET.SubElement(el, tag, hook).text = target
        elif isinstance(verb, Enqueue):
            el = ET.SubElement(root, "Enqueue", _attrs(waitUrl=verb.wait_url, action=verb.action))
            el.text = verb.queue
        elif isinstance(verb, Record):
            transcribe = True if verb.transcribe_callback else None
            ET.SubElement(
                root,
                "Record",
                _attrs(
                    action=verb.action,
                    maxLength=verb.max_length,
                    playBeep=verb.play_beep,
                    finishOnKey=verb.finish_on_key,
                    transcribe=transcribe,
                    transcribeCallback=verb.transcribe_callback,
                ),
            )
        else:
            ET.SubElement(root, "Hangup")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>' + body


def voice_answer(
    greeting: str,
    *,
    queue: str | None = None,
    dial: Dial | None = None,
    voicemail_action: str | None = None,
    voice: str | None = None,
    language: str | None = None,
) -> str:
    """The usual answer: greet, then queue the caller, ring agents, or take a voicemail.

    Exactly one of ``queue``, ``dial`` and ``voicemail_action`` picks the route.  To fall back
    to voicemail when nobody picks up, give the Dial an ``action`` URL and answer that request
    (its DialCallStatus is not "completed") with ``voice_answer(..., voicemail_action=...)``;
    chaining Record straight after Dial would also play the beep after a finished conversation.
    """
    routes = [r for r in (queue, dial, voicemail_action) if r]
    if len(routes) != 1:
        raise ValueError("voice_answer needs exactly one of queue, dial and voicemail_action")
    verbs: list[Verb] = [Say(greeting, voice=voice, language=language)]
    if queue:
        verbs.append(Enqueue(queue))
    elif dial is not None:
        verbs.append(dial)
    else:
        assert voicemail_action is not None
        verbs += [Record(action=voicemail_action), Hangup()]
    return build_twiml(*verbs)


# --- REST: sending ------------------------------------------------------------------------


def build_send_sms(
    *,
    account_sid: str,
    auth_token: str,
    to: str,
    body: str,
    from_number: str | None = None,
    messaging_service_sid: str | None = None,
    status_callback: str | None = None,
    media_urls: Sequence[str] = (),
    base_url: str = DEFAULT_API_BASE,
) -> OutboundRequest:
    """Describe ``POST /2010-04-01/Accounts/{sid}/Messages.json`` with Basic auth.

    A Messaging Service picks the sender number itself (and handles STOP keywords), so it wins
    over ``from_number`` when both are configured.  ``auth_token`` may equally be an API key
    secret with ``account_sid`` replaced by the key SID in production setups.
    """
    if not body.strip() and not media_urls:
        raise ValueError("Twilio: message text is empty")
    if body.strip():
        require_text(body, MAX_BODY_CHARS, "Twilio")
    if not (messaging_service_sid or from_number):
        raise ValueError("Twilio: a From number or a MessagingServiceSid is required")
    fields: list[tuple[str, str]] = [("To", to)]
    if messaging_service_sid:
        fields.append(("MessagingServiceSid", messaging_service_sid))
    else:
        assert from_number is not None
        fields.append(("From", from_number))
    if body:
        fields.append(("Body", body))
    fields += [("MediaUrl", url) for url in media_urls]
    if status_callback:
        fields.append(("StatusCallback", status_callback))
    credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
    url = join_url(base_url, f"/2010-04-01/Accounts/{account_sid}/Messages.json")
    return form_request("POST", url, fields, {"Authorization": f"Basic {credentials}"})


def parse_send_response(status_code: int, body: bytes | str) -> SendResult:
    """Read Twilio's answer to a send: a Message resource on 201, an error object otherwise."""
    data = decode_json_object(body)
    if data is None:
        return http_failure(status_code, body)
    if 200 <= status_code < 300:
        sid = data.get("sid")
        if not isinstance(sid, str) or not sid:
            return SendResult(ok=False, error_code="no_sid", error_message="response has no sid")
        status = _MESSAGE_STATUS.get(str(data.get("status", "")).lower(), DeliveryStatus.QUEUED)
        error_code = data.get("error_code")
        return SendResult(
            ok=status != DeliveryStatus.FAILED,
            provider_message_id=sid,
            status=status,
            error_code=str(error_code) if error_code is not None else None,
            error_message=data.get("error_message") or None,
        )
    code = data.get("code")
    return SendResult(
        ok=False,
        error_code=str(code) if code is not None else f"http_{status_code}",
        error_message=str(data.get("message") or f"HTTP {status_code}"),
        retryable=status_code == 429 or status_code >= 500 or code == 20429,
    )


# --- REST: placing a call (click-to-call) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallPlaced:
    """Twilio's answer to a Calls create: the call's sid, or why it was refused."""

    ok: bool
    call_sid: str | None = None
    status: str | None = None
    error: str | None = None


def build_create_call(
    *,
    account_sid: str,
    auth_token: str,
    to: str,
    from_number: str,
    url: str,
    status_callback: str,
    timeout: int = 25,
    base_url: str = DEFAULT_API_BASE,
) -> OutboundRequest:
    """Describe ``POST /2010-04-01/Accounts/{sid}/Calls.json``: ring ``to`` (the agent's
    phone, or ``client:NAME``) from ``from_number``; when it answers Twilio fetches ``url``
    for the TwiML that dials the customer, and reports the call's end to ``status_callback``.
    """
    fields = [
        ("To", to),
        ("From", from_number),
        ("Url", url),
        ("Method", "POST"),
        ("StatusCallback", status_callback),
        ("StatusCallbackMethod", "POST"),
        ("Timeout", str(timeout)),
    ]
    credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
    api = join_url(base_url, f"/2010-04-01/Accounts/{account_sid}/Calls.json")
    return form_request("POST", api, fields, {"Authorization": f"Basic {credentials}"})


def parse_call_response(status_code: int, body: bytes | str) -> CallPlaced:
    """A Call resource on 201, Twilio's error object otherwise."""
    data = decode_json_object(body)
    if data is None:
        failure = http_failure(status_code, body)
        return CallPlaced(ok=False, error=failure.error_message or f"HTTP {status_code}")
    if 200 <= status_code < 300:
        sid = data.get("sid")
        if not isinstance(sid, str) or not sid.startswith("CA") or len(sid) > 64:
            return CallPlaced(ok=False, error="Twilio's answer has no call sid")
        status = str(data.get("status") or "queued").lower()
        return CallPlaced(
            ok=True, call_sid=sid, status=status if status in _CALL_STATUSES else "queued"
        )
    code = data.get("code")
    message = str(data.get("message") or f"HTTP {status_code}")[:200]
    return CallPlaced(ok=False, error=f"Twilio error {code}: {message}" if code else message)


def dial_customer(
    number: str, *, caller_id: str, action: str, timeout: int = 30, greeting: str | None = None
) -> str:
    """The TwiML for the agent's leg of a click-to-call: connect them to ``number``, shown
    the shop's number (``caller_id``); the Dial's result goes to ``action``."""
    verbs: list[Verb] = [Say(greeting)] if greeting else []
    verbs.append(Dial(numbers=[number], caller_id=caller_id, action=action, timeout=timeout))
    return build_twiml(*verbs)
