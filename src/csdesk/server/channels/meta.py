"""Meta's webhooks and Graph API: WhatsApp Cloud API, Messenger and Instagram messaging.

One POST can carry many entries and events.  The parser keeps what csdesk models (customer
messages and delivery receipts), counts the rest as ignored, and raises PayloadError only when
the document is not the shape Meta documents, so a new event type never costs us a delivery.
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from csdesk.domain.enums import Channel, DeliveryStatus, IdentityKind
from csdesk.server.channels.inbound import (
    Attachment,
    Handle,
    InboundMessage,
    ParsedBatch,
    PayloadError,
    StatusUpdate,
    ThreadHints,
)
from csdesk.server.channels.outbound import (
    OutboundRequest,
    SendResult,
    decode_json_object,
    http_failure,
    join_url,
    json_request,
    require_text,
)
from csdesk.server.channels.payload import (
    ADDRESS_WIDTH,
    PROVIDER_ID_WIDTH,
    fitting,
    load_json,
    sender_handle,
    unix_time,
)
from csdesk.storage.types import utcnow

DEFAULT_GRAPH_BASE = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v21.0"
WHATSAPP_MAX_TEXT = 4096
MESSENGER_MAX_TEXT = 2000
WHATSAPP_MAX_CAPTION = 1024  # media captions (Cloud API)

_WA_STATUS = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}
_WA_MEDIA = ("image", "document", "audio", "video", "sticker")
_MESSAGING_OBJECTS = {"page": Channel.MESSENGER, "instagram": Channel.INSTAGRAM}
_HANDLE_KIND = {
    Channel.MESSENGER: IdentityKind.MESSENGER,
    Channel.INSTAGRAM: IdentityKind.INSTAGRAM,
}
_ATTACHMENT_TYPES = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg"}
# Graph error codes that mean "slow down", per Meta's rate-limit and WhatsApp error references.
_THROTTLE_CODES = frozenset({4, 17, 32, 613, 80007, 130429, 131048, 131056})


# --- shape helpers -------------------------------------------------------------------------


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be a JSON object")
    return value


def _list(container: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """An optional array: absent means empty, anything but a list is malformed."""
    value = container.get(key, [])
    if not isinstance(value, list):
        raise PayloadError(f"{where}.{key} must be an array")
    return value


def _str(container: Mapping[str, Any], key: str, where: str, width: int = PROVIDER_ID_WIDTH) -> str:
    """A required id: every one Meta sends is short, so one wider than ours is refused."""
    value = container.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{where}.{key} is missing")
    return fitting(value, width, f"{where}.{key}")


def _time(value: Any, where: str, *, millis: bool) -> datetime:
    """WhatsApp sends epoch seconds as a string; Messenger sends epoch milliseconds as a number."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise PayloadError(f"{where} is not a timestamp") from None
    return unix_time(number / 1000 if millis else number, where)


def _load(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    return load_json(body, "meta", "webhook body")


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> ParsedBatch:
    """Parse a Meta webhook POST (after ``verify_meta_signature`` passed on the same bytes)."""
    data = _load(body)
    kind = data.get("object")
    entries = _list(data, "entry", "webhook")
    if kind == "whatsapp_business_account":
        return _merge(_whatsapp_entry(_obj(e, "entry[]")) for e in entries)
    channel = _MESSAGING_OBJECTS.get(kind) if isinstance(kind, str) else None
    if channel is None:
        if not isinstance(kind, str):
            raise PayloadError("webhook.object is missing")
        return ParsedBatch(ignored=max(len(entries), 1))
    return _merge(_messaging_entry(_obj(e, "entry[]"), channel) for e in entries)


def _merge(batches: Iterable[ParsedBatch]) -> ParsedBatch:
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    ignored = 0
    for batch in batches:
        messages += batch.messages
        statuses += batch.statuses
        ignored += batch.ignored
    return ParsedBatch(tuple(messages), tuple(statuses), ignored)


# --- WhatsApp ---------------------------------------------------------------------------


def _whatsapp_entry(entry: dict[str, Any]) -> ParsedBatch:
    batches = []
    for change in _list(entry, "changes", "entry"):
        change = _obj(change, "entry.changes[]")
        if change.get("field") != "messages":
            batches.append(ParsedBatch(ignored=1))  # account_update, template status, ...
            continue
        batches.append(_whatsapp_value(_obj(change.get("value"), "changes[].value")))
    return _merge(batches)


def _whatsapp_value(value: dict[str, Any]) -> ParsedBatch:
    metadata = value.get("metadata")
    phone_number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    to: tuple[str, ...] = ()
    if phone_number_id:
        to = (fitting(str(phone_number_id), PROVIDER_ID_WIDTH, "metadata.phone_number_id"),)
    names: dict[str, str] = {}
    for contact in _list(value, "contacts", "value"):
        contact = _obj(contact, "value.contacts[]")
        profile = contact.get("profile")
        if isinstance(profile, dict) and isinstance(profile.get("name"), str):
            names[str(contact.get("wa_id", ""))] = profile["name"]
    messages, ignored = [], len(_list(value, "errors", "value"))
    for raw in _list(value, "messages", "value"):
        message = _whatsapp_message(_obj(raw, "value.messages[]"), names, to)
        if message is None:
            ignored += 1
        else:
            messages.append(message)
    statuses = []
    for raw in _list(value, "statuses", "value"):
        status = _whatsapp_status(_obj(raw, "value.statuses[]"))
        if status is None:
            ignored += 1
        else:
            statuses.append(status)
    return ParsedBatch(tuple(messages), tuple(statuses), ignored)


def _wa_handle(wa_id: str) -> str:
    """wa_id is the number without '+'; store E.164 so it matches the customer's SMS identity."""
    return f"+{wa_id}" if wa_id.isdigit() else wa_id


def _wa_sender(wa_id: str) -> Handle:
    return sender_handle(IdentityKind.WHATSAPP, _wa_handle(wa_id), "messages[].from")


def _whatsapp_message(
    msg: dict[str, Any], names: Mapping[str, str], to: tuple[str, ...]
) -> InboundMessage | None:
    sender = _str(msg, "from", "messages[]")
    mid = _str(msg, "id", "messages[]")
    kind = msg.get("type")
    body = msg.get(kind) if isinstance(kind, str) else None
    body = body if isinstance(body, dict) else {}
    text, attachments = "", []
    if kind == "text":
        text = str(body.get("body", ""))
    elif kind in _WA_MEDIA:
        media_id = _str(body, "id", f"messages[].{kind}")
        mime = str(body.get("mime_type") or "application/octet-stream").split(";")[0].strip()
        ext = mimetypes.guess_extension(mime) or ""
        filename = body.get("filename") or f"{kind}-{media_id}{ext}"
        attachments.append(
            Attachment(
                filename=str(filename), content_type=mime, size=None, provider_file_id=media_id
            )
        )
        text = str(body.get("caption", ""))
    elif kind == "location":
        parts = [str(body[k]) for k in ("name", "address") if body.get(k)]
        lat, lon = body.get("latitude"), body.get("longitude")
        text = " — ".join([*parts, f"{lat}, {lon}"])
    elif kind == "interactive":
        reply = body.get(str(body.get("type")))  # button_reply or list_reply
        if not isinstance(reply, dict):
            return None
        text = str(reply.get("title", ""))
    elif kind == "button":  # quick-reply button on a template
        text = str(body.get("text") or body.get("payload") or "")
    else:
        return None  # reaction, system, unsupported, order, contacts, ...
    context = msg.get("context")
    reply_to = context.get("id") if isinstance(context, dict) else None
    return InboundMessage(
        channel=Channel.WHATSAPP,
        provider_message_id=mid,
        sender_handle=_wa_sender(sender),
        sender_name=names.get(sender),
        text=text,
        sent_at=_time(msg.get("timestamp"), "messages[].timestamp", millis=False),
        attachments=tuple(attachments),
        thread=ThreadHints(reply_to_provider_id=str(reply_to) if reply_to else None),
        to=to,
    )


def _whatsapp_status(raw: dict[str, Any]) -> StatusUpdate | None:
    status = _WA_STATUS.get(str(raw.get("status", "")))
    if status is None:
        return None  # "deleted", "warning", ...
    code = reason = None
    errors = _list(raw, "errors", "statuses[]")
    if errors and isinstance(errors[0], dict):
        first = errors[0]
        code = str(first["code"]) if "code" in first else None
        data = first.get("error_data")
        details = data.get("details") if isinstance(data, dict) else None
        reason = (
            " — ".join(
                dict.fromkeys(
                    str(t) for t in (first.get("title"), first.get("message"), details) if t
                )
            )
            or None
        )
    recipient = raw.get("recipient_id")
    return StatusUpdate(
        channel=Channel.WHATSAPP,
        provider_message_id=_str(raw, "id", "statuses[]"),
        status=status,
        at=_time(raw.get("timestamp"), "statuses[].timestamp", millis=False),
        error_code=code,
        error_reason=reason,
        recipient=_wa_handle(str(recipient)) if recipient else None,
    )


# --- Messenger and Instagram ----------------------------------------------------------------


def _messaging_entry(entry: dict[str, Any], channel: Channel) -> ParsedBatch:
    events = _list(entry, "messaging", "entry")
    # Handover-protocol "standby" events and Instagram "changes" (comments) are not chats for us.
    ignored = len(_list(entry, "standby", "entry")) + len(_list(entry, "changes", "entry"))
    messages, statuses = [], []
    for raw in events:
        event = _obj(raw, "entry.messaging[]")
        is_message = isinstance(event.get("message"), dict)
        is_receipt = isinstance(event.get("delivery"), dict) or isinstance(event.get("read"), dict)
        if not (is_message or is_receipt):
            # A postback, reaction, referral, opt-in (whose sender may be a ``user_ref``, no
            # id), ...: nothing we keep, so nothing of it is required either.
            ignored += 1
            continue
        sender = _str(
            _obj(event.get("sender"), "messaging[].sender"), "id", "sender", ADDRESS_WIDTH
        )
        recipient = _obj(event.get("recipient"), "messaging[].recipient").get("id")
        if recipient:
            recipient = fitting(str(recipient), PROVIDER_ID_WIDTH, "recipient.id")
        if is_message:
            message = _messaging_message(event, channel, sender, recipient)
            if message is None:
                ignored += 1
            else:
                messages.append(message)
        else:
            statuses += _watermark(event, channel, sender)
    return ParsedBatch(tuple(messages), tuple(statuses), ignored)


def _messaging_message(
    event: dict[str, Any], channel: Channel, sender: str, recipient: Any
) -> InboundMessage | None:
    message = event["message"]
    if message.get("is_echo") or message.get("is_deleted"):
        return None  # our own send echoed back, or an unsend
    attachments = []
    shared: list[str] = []
    for raw in _list(message, "attachments", "message"):
        att = _obj(raw, "message.attachments[]")
        payload = att.get("payload")
        url = payload.get("url") if isinstance(payload, dict) else None
        if att.get("type") == "fallback":
            # A link the customer shared (any site): shown as text, never fetched as a file.
            link = url if isinstance(url, str) else att.get("url")
            if isinstance(link, str) and link:
                shared.append(link)
            continue
        if not isinstance(url, str):
            continue  # template/location shares carry no file
        name = posixpath.basename(urlsplit(url).path) or "attachment"
        guessed = mimetypes.guess_type(name)[0]
        ctype = guessed or _ATTACHMENT_TYPES.get(str(att.get("type")), "application/octet-stream")
        attachments.append(Attachment(name, ctype, None, provider_file_id=url))
    text = message.get("text")
    if not isinstance(text, str):
        text = ""
    missing = [link for link in shared if link not in text]
    text = "\n".join([text, *missing]) if text else "\n".join(missing)
    if not text and not attachments:
        return None
    reply = message.get("reply_to")
    reply_to = reply.get("mid") if isinstance(reply, dict) else None
    return InboundMessage(
        channel=channel,
        provider_message_id=_str(message, "mid", "message"),
        sender_handle=sender_handle(_HANDLE_KIND[channel], sender, "sender.id"),
        sender_name=None,  # needs a Graph profile lookup, which is the service's job
        text=text,
        sent_at=_time(event.get("timestamp"), "messaging[].timestamp", millis=True),
        attachments=tuple(attachments),
        thread=ThreadHints(reply_to_provider_id=reply_to if isinstance(reply_to, str) else None),
        to=(str(recipient),) if recipient else (),
    )


def _watermark(event: dict[str, Any], channel: Channel, sender: str) -> list[StatusUpdate]:
    """Delivery receipts name message ids when they can; read receipts only give a watermark."""
    is_read = isinstance(event.get("read"), dict)
    body = event["read"] if is_read else event["delivery"]
    status = DeliveryStatus.READ if is_read else DeliveryStatus.DELIVERED
    mids = [m for m in _list(body, "mids", "delivery") if isinstance(m, str) and m]
    read_mid = body.get("mid")  # Instagram read events name the message, with no watermark
    if not mids and isinstance(read_mid, str) and read_mid:
        mids = [read_mid]
    # The watermark is needed only when no message is named.
    mark = (
        None
        if mids and "watermark" not in body
        else _time(body.get("watermark"), "watermark", millis=True)
    )
    if "timestamp" in event:
        at = _time(event["timestamp"], "timestamp", millis=True)
    elif mark is not None:
        at = mark
    else:
        at = utcnow()
    if mids:
        return [StatusUpdate(channel, m, status, at, recipient=sender) for m in mids]
    assert mark is not None
    return [StatusUpdate(channel, "", status, at, recipient=sender, watermark=mark)]


# --- Graph API: sending --------------------------------------------------------------------


def _graph_url(base_url: str, version: str, path: str) -> str:
    return join_url(base_url, f"/{version.strip('/')}/{path.lstrip('/')}")


def _bearer(token: str) -> dict[str, str]:
    if not token:
        raise ValueError("Graph API access token is not configured")
    return {"Authorization": f"Bearer {token}"}


def build_whatsapp_text(
    *,
    access_token: str,
    phone_number_id: str,
    to: str,
    text: str,
    reply_to: str | None = None,
    preview_url: bool = False,
    base_url: str = DEFAULT_GRAPH_BASE,
    api_version: str = DEFAULT_GRAPH_VERSION,
) -> OutboundRequest:
    """``POST /{version}/{phone_number_id}/messages`` with a text body (inside the 24h window)."""
    require_text(text, WHATSAPP_MAX_TEXT, "WhatsApp")
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.lstrip("+"),
        "type": "text",
        "text": {"preview_url": preview_url, "body": text},
    }
    if reply_to:
        payload["context"] = {"message_id": reply_to}
    url = _graph_url(base_url, api_version, f"{phone_number_id}/messages")
    return json_request("POST", url, payload, _bearer(access_token))


def template_body_component(*params: str) -> dict[str, Any]:
    """The ``body`` component filling a template's {{1}}, {{2}}... placeholders in order."""
    return {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}


def build_whatsapp_template(
    *,
    access_token: str,
    phone_number_id: str,
    to: str,
    template: str,
    language: str,
    components: Sequence[Mapping[str, Any]] = (),
    base_url: str = DEFAULT_GRAPH_BASE,
    api_version: str = DEFAULT_GRAPH_VERSION,
) -> OutboundRequest:
    """Send an approved template: the only way to reach a customer outside the 24h window."""
    if not template or not language:
        raise ValueError("WhatsApp: template name and language code are required")
    body: dict[str, Any] = {"name": template, "language": {"code": language}}
    if components:
        body["components"] = [dict(c) for c in components]
    payload = {
        "messaging_product": "whatsapp",
        "to": to.lstrip("+"),
        "type": "template",
        "template": body,
    }
    url = _graph_url(base_url, api_version, f"{phone_number_id}/messages")
    return json_request("POST", url, payload, _bearer(access_token))


def build_messenger_text(
    *,
    page_access_token: str,
    recipient_id: str,
    text: str,
    human_agent: bool = False,
    base_url: str = DEFAULT_GRAPH_BASE,
    api_version: str = DEFAULT_GRAPH_VERSION,
) -> OutboundRequest:
    """``POST /{version}/me/messages`` for Messenger and Instagram (the page token picks which).

    Replies inside the 24-hour window are ``RESPONSE``; ``human_agent=True`` uses the
    HUMAN_AGENT tag that lets a person answer for up to 7 days after the customer wrote.
    """
    require_text(text, MESSENGER_MAX_TEXT, "Messenger")
    payload: dict[str, Any] = {"recipient": {"id": recipient_id}, "message": {"text": text}}
    if human_agent:
        payload.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    else:
        payload["messaging_type"] = "RESPONSE"
    url = _graph_url(base_url, api_version, "me/messages")
    return json_request("POST", url, payload, _bearer(page_access_token))


# --- Graph API: sending files ----------------------------------------------------------------

#: WhatsApp's supported media types per message type (Cloud API "Supported media types");
#: a file of any other type goes as a ``document``.
WHATSAPP_MEDIA_TYPES: Mapping[str, frozenset[str]] = {
    "image": frozenset({"image/jpeg", "image/png"}),
    "video": frozenset({"video/mp4", "video/3gpp"}),
    "audio": frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
}


def whatsapp_media_kind(content_type: str) -> str:
    ctype = content_type.lower()
    for kind, types in WHATSAPP_MEDIA_TYPES.items():
        if ctype in types:
            return kind
    return "document"


def build_whatsapp_media_upload(
    *,
    access_token: str,
    phone_number_id: str,
    filename: str,
    content_type: str,
    data: bytes,
    base_url: str = DEFAULT_GRAPH_BASE,
    api_version: str = DEFAULT_GRAPH_VERSION,
) -> OutboundRequest:
    """``POST /{version}/{phone_number_id}/media`` (multipart: ``messaging_product``, ``type``,
    ``file``); answers ``{"id": media_id}`` for a ``build_whatsapp_media`` message."""
    from csdesk.server.channels.multipart import FilePart, multipart_request

    url = _graph_url(base_url, api_version, f"{phone_number_id}/media")
    return multipart_request(
        "POST",
        url,
        [("messaging_product", "whatsapp"), ("type", content_type)],
        [FilePart("file", filename, content_type, data)],
        _bearer(access_token),
    )


def parse_media_upload_response(status_code: int, body: bytes | str) -> SendResult:
    """The media id of an upload, as ``provider_message_id`` (errors as for a send)."""
    data = decode_json_object(body)
    if data is None:
        return http_failure(status_code, body)
    media_id = data.get("id")
    if status_code < 400 and "error" not in data and isinstance(media_id, str) and media_id:
        return SendResult(ok=True, provider_message_id=media_id)
    return parse_send_response(status_code if status_code >= 400 else 400, body)


def build_whatsapp_media(
    *,
    access_token: str,
    phone_number_id: str,
    to: str,
    media_id: str,
    kind: str,
    caption: str | None = None,
    filename: str | None = None,
    base_url: str = DEFAULT_GRAPH_BASE,
    api_version: str = DEFAULT_GRAPH_VERSION,
) -> OutboundRequest:
    """A media message by uploaded id: ``{"type": kind, kind: {"id", "caption"?,
    "filename"? (documents)}}``; audio takes no caption."""
    if kind not in (*WHATSAPP_MEDIA_TYPES, "document"):
        raise ValueError(f"WhatsApp: unknown media type {kind!r}")
    media: dict[str, Any] = {"id": media_id}
    if caption and kind != "audio":
        require_text(caption, WHATSAPP_MAX_CAPTION, "WhatsApp caption")
        media["caption"] = caption
    if kind == "document" and filename:
        media["filename"] = filename
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.lstrip("+"),
        "type": kind,
        kind: media,
    }
    url = _graph_url(base_url, api_version, f"{phone_number_id}/messages")
    return json_request("POST", url, payload, _bearer(access_token))


def messenger_attachment_kind(content_type: str) -> str:
    """Send API attachment types: ``image``, ``video``, ``audio`` or ``file``."""
    major = content_type.lower().split("/", 1)[0]
    return major if major in ("image", "video", "audio") else "file"


def build_messenger_attachment(
    *,
    page_access_token: str,
    recipient_id: str,
    url: str,
    content_type: str,
    human_agent: bool = False,
    base_url: str = DEFAULT_GRAPH_BASE,
    api_version: str = DEFAULT_GRAPH_VERSION,
) -> OutboundRequest:
    """``POST /{version}/me/messages`` with ``message.attachment`` = ``{"type", "payload":
    {"url", "is_reusable": false}}``: Meta fetches the file from ``url`` (a signed link)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("Messenger: an attachment needs an absolute URL")
    attachment = {
        "type": messenger_attachment_kind(content_type),
        "payload": {"url": url, "is_reusable": False},
    }
    payload: dict[str, Any] = {
        "recipient": {"id": recipient_id},
        "message": {"attachment": attachment},
    }
    if human_agent:
        payload.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    else:
        payload["messaging_type"] = "RESPONSE"
    endpoint = _graph_url(base_url, api_version, "me/messages")
    return json_request("POST", endpoint, payload, _bearer(page_access_token))


def parse_send_response(status_code: int, body: bytes | str) -> SendResult:
    """Read a Graph API send answer (WhatsApp ``messages[0].id`` or Messenger ``message_id``)."""
    data = decode_json_object(body)
    if data is None:
        return http_failure(status_code, body)
    error = data.get("error")
    if isinstance(error, dict) or status_code >= 400:
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        data_details = error.get("error_data")
        details = data_details.get("details") if isinstance(data_details, dict) else None
        return SendResult(
            ok=False,
            error_code=str(code) if code is not None else f"http_{status_code}",
            error_message=str(details or error.get("message") or f"HTTP {status_code}"),
            retryable=code in _THROTTLE_CODES
            or status_code == 429
            or status_code >= 500
            or bool(error.get("is_transient")),
        )
    mid = data.get("message_id")
    messages = data.get("messages")
    if mid is None and isinstance(messages, list) and messages and isinstance(messages[0], dict):
        mid = messages[0].get("id")
    if not isinstance(mid, str) or not mid:
        return SendResult(ok=False, error_code="no_id", error_message="response has no message id")
    return SendResult(ok=True, provider_message_id=mid, status=DeliveryStatus.QUEUED)
