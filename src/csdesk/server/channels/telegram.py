"""Telegram Bot API: webhook Updates in, sendMessage/sendPhoto/sendDocument requests out.

A bot receives one Update per POST.  Only ``message`` and ``edited_message`` become customer
messages; everything else a bot can be sent (callback queries, membership changes, polls,
channel posts) is acknowledged and ignored so Telegram does not redeliver it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from csdesk.domain.enums import Channel, DeliveryStatus, IdentityKind
from csdesk.server.channels.inbound import (
    Attachment,
    Handle,
    InboundMessage,
    ParsedBatch,
    PayloadError,
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
from csdesk.server.channels.payload import load_json, unix_time

DEFAULT_API_BASE = "https://api.telegram.org"
MAX_TEXT = 4096
MAX_CAPTION = 1024

# Non-photo files a customer can send, with the content type to assume when Telegram omits one.
_FILE_KINDS: dict[str, str] = {
    "document": "application/octet-stream",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "video_note": "video/mp4",
}


#: Telegram's ids and dates are signed 64-bit integers at most (the Bot API: chat ids have
#: "at most 52 significant bits"); a wider one is no Telegram value and no id we can store.
_INT64 = range(-(2**63), 2**63)
#: File sizes likewise have at most 52 significant bits.
_MAX_FILE_SIZE = 2**53


def _load(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    return load_json(body, "telegram", "Telegram update")


def _int(container: Mapping[str, Any], key: str, where: str) -> int:
    value = container.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError(f"{where}.{key} must be an integer")
    if value not in _INT64:
        raise PayloadError(f"{where}.{key} is out of range for a Telegram integer")
    return value


def message_key(chat_id: int | str, message_id: int | str) -> str:
    """Telegram message ids are unique per chat only, so our provider id names both."""
    return f"{chat_id}:{message_id}"


def parse_update(body: bytes | str | Mapping[str, Any]) -> ParsedBatch:
    """Parse one webhook Update (after ``verify_telegram_secret`` passed)."""
    update = _load(body)
    _int(update, "update_id", "update")
    edited = "edited_message" in update
    raw = update.get("edited_message") if edited else update.get("message")
    if raw is None:
        return ParsedBatch(ignored=1)
    if not isinstance(raw, dict):
        raise PayloadError("update.message must be a JSON object")
    message = _message(raw, edited=edited)
    if message is None:
        return ParsedBatch(ignored=1)
    return ParsedBatch(messages=(message,))


def _display_name(person: Mapping[str, Any]) -> str | None:
    name = " ".join(str(person[k]) for k in ("first_name", "last_name") if person.get(k))
    if name:
        return name
    if person.get("username"):
        return f"@{person['username']}"
    title = person.get("title")
    return str(title) if title else None


def _n(item: Mapping[str, Any], key: str) -> int:
    """A size in pixels or bytes, 0 when unknown (or no size any file has)."""
    value = item.get(key)
    return value if isinstance(value, int) and 0 < value < _MAX_FILE_SIZE else 0


def _attachments(msg: Mapping[str, Any]) -> list[Attachment]:
    found: list[Attachment] = []
    photos = msg.get("photo")
    if isinstance(photos, list) and photos:
        sizes = [p for p in photos if isinstance(p, dict) and p.get("file_id")]
        if sizes:
            # Telegram lists sizes smallest first, but choose by pixels so order cannot bite.
            best = max(sizes, key=lambda p: (_n(p, "width") * _n(p, "height"), _n(p, "file_size")))
            unique = best.get("file_unique_id") or best["file_id"]
            found.append(
                Attachment(
                    f"photo-{unique}.jpg",
                    "image/jpeg",
                    _n(best, "file_size") or None,
                    provider_file_id=str(best["file_id"]),
                )
            )
    for kind, default_type in _FILE_KINDS.items():
        item = msg.get(kind)
        if not isinstance(item, dict) or not item.get("file_id"):
            continue
        unique = item.get("file_unique_id") or item["file_id"]
        name = item.get("file_name") or f"{kind}-{unique}"
        found.append(
            Attachment(
                str(name),
                str(item.get("mime_type") or default_type),
                _n(item, "file_size") or None,
                provider_file_id=str(item["file_id"]),
            )
        )
    return found


def _message(msg: dict[str, Any], *, edited: bool) -> InboundMessage | None:
    chat = msg.get("chat")
    if not isinstance(chat, dict):
        raise PayloadError("message.chat must be a JSON object")
    chat_id = _int(chat, "id", "message.chat")  # 64-bit: the sender's handle fits its row
    message_id = _int(msg, "message_id", "message")
    sender = msg.get("from") if isinstance(msg.get("from"), dict) else None
    if sender is not None and sender.get("is_bot"):
        return None  # another bot in a group; never a customer
    text = msg.get("text") if isinstance(msg.get("text"), str) else msg.get("caption")
    text = text if isinstance(text, str) else ""
    attachments = _attachments(msg)
    if not text and not attachments:
        return None  # stickers, polls, dice, service messages (members joined, pinned, ...)
    reply = msg.get("reply_to_message")
    reply_id = reply.get("message_id") if isinstance(reply, dict) else None
    return InboundMessage(
        channel=Channel.TELEGRAM,
        provider_message_id=message_key(chat_id, message_id),
        sender_handle=Handle(IdentityKind.TELEGRAM, str(chat_id)),
        sender_name=_display_name(sender if sender is not None else chat),
        text=text,
        sent_at=unix_time(_int(msg, "date", "message"), "message.date"),
        attachments=tuple(attachments),
        thread=ThreadHints(
            reply_to_provider_id=message_key(chat_id, reply_id) if reply_id else None
        ),
        edited=edited,
    )


# --- sending ------------------------------------------------------------------------------


def _method_url(base_url: str, token: str, method: str) -> str:
    if not token:
        raise ValueError("Telegram bot token is not configured")
    return join_url(base_url, f"/bot{token}/{method}")


def _reply(payload: dict[str, Any], reply_to_message_id: int | None) -> dict[str, Any]:
    if reply_to_message_id is not None:
        # reply_parameters replaced reply_to_message_id in Bot API 7.0; sending still succeeds if
        # the customer deleted the message we quote.
        payload["reply_parameters"] = {
            "message_id": reply_to_message_id,
            "allow_sending_without_reply": True,
        }
    return payload


def build_send_message(
    *,
    token: str,
    chat_id: int | str,
    text: str,
    reply_to_message_id: int | None = None,
    base_url: str = DEFAULT_API_BASE,
) -> OutboundRequest:
    """``sendMessage`` as plain text: no parse_mode, so an agent's ``*`` or ``<`` stays literal."""
    require_text(text, MAX_TEXT, "Telegram")
    payload = _reply({"chat_id": chat_id, "text": text}, reply_to_message_id)
    return json_request("POST", _method_url(base_url, token, "sendMessage"), payload, {})


def _build_file(
    method: str,
    field: str,
    token: str,
    chat_id: int | str,
    file_ref: str,
    caption: str | None,
    reply_to_message_id: int | None,
    base_url: str,
) -> OutboundRequest:
    if not file_ref:
        raise ValueError(f"Telegram {method}: a file_id or HTTP URL is required")
    payload: dict[str, Any] = {"chat_id": chat_id, field: file_ref}
    if caption:
        require_text(caption, MAX_CAPTION, "Telegram caption")
        payload["caption"] = caption
    return json_request(
        "POST", _method_url(base_url, token, method), _reply(payload, reply_to_message_id), {}
    )


def build_send_photo(
    *,
    token: str,
    chat_id: int | str,
    photo: str,
    caption: str | None = None,
    reply_to_message_id: int | None = None,
    base_url: str = DEFAULT_API_BASE,
) -> OutboundRequest:
    """``sendPhoto`` by file_id or public URL (Telegram fetches URLs itself)."""
    return _build_file(
        "sendPhoto", "photo", token, chat_id, photo, caption, reply_to_message_id, base_url
    )


def build_send_document(
    *,
    token: str,
    chat_id: int | str,
    document: str,
    caption: str | None = None,
    reply_to_message_id: int | None = None,
    base_url: str = DEFAULT_API_BASE,
) -> OutboundRequest:
    """``sendDocument`` by file_id or public URL."""
    return _build_file(
        "sendDocument", "document", token, chat_id, document, caption, reply_to_message_id, base_url
    )


#: Content types ``sendPhoto`` takes as a photo; anything else goes as a document.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def build_upload_file(
    *,
    token: str,
    chat_id: int | str,
    filename: str,
    content_type: str,
    data: bytes,
    caption: str | None = None,
    base_url: str = DEFAULT_API_BASE,
) -> OutboundRequest:
    """``sendPhoto`` (JPEG/PNG/WebP) or ``sendDocument`` with the file itself, as
    ``multipart/form-data`` ("Sending files": a file uploaded from our server, not a URL)."""
    from csdesk.server.channels.multipart import FilePart, multipart_request

    photo = content_type.lower() in PHOTO_TYPES
    method, field = ("sendPhoto", "photo") if photo else ("sendDocument", "document")
    fields = [("chat_id", str(chat_id))]
    if caption:
        require_text(caption, MAX_CAPTION, "Telegram caption")
        fields.append(("caption", caption))
    return multipart_request(
        "POST",
        _method_url(base_url, token, method),
        fields,
        [FilePart(field, filename, content_type, data)],
        {},
    )


def parse_send_response(status_code: int, body: bytes | str, chat_id: int | str) -> SendResult:
    """Read a Bot API answer: ``{"ok": true, "result": Message}`` or an error description.

    Telegram has no delivery receipts for bots, so a successful send is final: SENT.
    """
    data = decode_json_object(body)
    if data is None:
        return http_failure(status_code, body)
    if data.get("ok") is True and isinstance(data.get("result"), dict):
        message_id = data["result"].get("message_id")
        if not isinstance(message_id, int):
            return SendResult(ok=False, error_code="no_id", error_message="result has no id")
        return SendResult(
            ok=True,
            provider_message_id=message_key(chat_id, message_id),
            status=DeliveryStatus.SENT,
        )
    code = data.get("error_code", status_code)
    params = data.get("parameters")
    retry_after = params.get("retry_after") if isinstance(params, dict) else None
    return SendResult(
        ok=False,
        error_code=str(code),
        error_message=str(data.get("description") or f"HTTP {status_code}"),
        retryable=code == 429 or (isinstance(code, int) and code >= 500),
        retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
    )
