"""Inbound email: raw RFC 5322 bytes in, one normalized message out, whatever the bytes are.

Mail is the least disciplined channel: wrong or unknown charsets, broken MIME boundaries,
8-bit headers, truncated deliveries.  A support desk must not lose a customer's mail because it
is ugly, so ``parse_email`` never raises: it keeps the raw bytes, extracts what it can and says
what went wrong in ``parse_warning``.  Replies are built in ``email_reply`` (re-exported here).
"""

from __future__ import annotations

import codecs
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import AddressHeader, DateHeader
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from csdesk.domain.enums import Channel, IdentityKind
from csdesk.server.channels import email_auth, email_report
from csdesk.server.channels.email_reply import (
    build_reply,
    embed_token,
    extract_token,
    reply_subject,
)
from csdesk.server.channels.html_sanitize import html_to_text, sanitize_email_html
from csdesk.server.channels.identities import normalize_email
from csdesk.server.channels.inbound import (
    Attachment,
    Handle,
    InboundMessage,
    ThreadHints,
    require_utc,
    utc_now,
)

__all__ = [
    "DEFAULT_MAX_ATTACHMENT_BYTES",
    "build_reply",
    "embed_token",
    "extract_token",
    "is_auto_generated",
    "parse_email",
    "reply_subject",
]

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_MAX_DEPTH = 16  # deeper nesting is an attack on the parser, not a customer's mail
_MAX_PARTS = 300
_MSG_ID = re.compile(r"<[^<>\s]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Names for parts that arrive without one; the extension lets the agent's OS open them.
_FALLBACK_NAMES = {
    "message/rfc822": "attached-message.eml",
    "message/delivery-status": "delivery-status.txt",
    "message/disposition-notification": "read-receipt.txt",
    "text/rfc822-headers": "original-headers.txt",
}
_ENCODED_WORD_CHARSET = re.compile(r"=\?([^?*\s]+)(?:\*[^?]*)?\?[QqBb]\?")
# Labels mail clients use for a superset encoding; decoding with the superset is what they mean.
_CHARSET_SUPERSETS = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
}
# Defects that lose content: the MIME structure broke (parts run together or are cut off).
# Header defects (an obsolete date syntax, a missing header/body separator) lose nothing.
_STRUCTURE_DEFECTS = {
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "NoBoundaryInMultipartDefect",
}
# Found only while a part is decoded: the decoded bytes are not what was sent.
_DECODE_DEFECTS = {
    "InvalidBase64PaddingDefect",
    "InvalidBase64CharactersDefect",
    "InvalidBase64LengthDefect",
}
# Relays that rewrite From to their own address (Google Groups: "'Ana' via Support").
_VIA = re.compile(r"^\s*['\"]?(.*?)['\"]?\s+via\s+\S.*$", re.I)
_LIST_SENDER = re.compile(r"(-bounces?|-owner|\+owners)@|^owner-", re.I)


@dataclass
class _State:
    """What the MIME walk collects."""

    max_bytes: int
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    defects: set[str] = field(default_factory=set)
    parts: int = 0

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


def parse_email(
    raw: bytes,
    *,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    received_at: datetime | None = None,
    authserv_id: str | None = None,
) -> InboundMessage:
    """Parse one delivered message (as an MTA or IMAP fetch hands it over).

    Attachments larger than ``max_attachment_bytes`` are kept as metadata with ``data=None``.
    ``received_at`` stands in for a missing or unreadable Date header.  ``authserv_id`` is
    the receiving server's id in Authentication-Results, when the mailbox names it
    (``email_auth``).  ``parse_warning`` names only what lost content; a missing Date or
    Message-ID is made up for and not reported.
    """
    received = received_at or utc_now()
    require_utc(received, "received_at")  # a caller error, so raise it before the safety net
    try:
        return _parse(raw, max_attachment_bytes, received, authserv_id)
    except Exception as exc:  # the contract: an unparseable mail is stored, never bounced
        return _fallback(raw, received, f"message could not be parsed ({type(exc).__name__})")


def _fallback(raw: bytes, received: datetime, warning: str) -> InboundMessage:
    head, *rest = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)
    body = rest[0] if rest else b""
    text = _body_text(_decode_bytes(body or head, None, []))
    return InboundMessage(
        channel=Channel.EMAIL,
        provider_message_id=_synthetic_id(raw),
        sender_handle=None,
        sender_name=None,
        text=text,
        sent_at=received,
        raw=raw,
        parse_warning=warning,
    )


def _synthetic_id(raw: bytes) -> str:
    """A stable id for mail without Message-ID, so a redelivery is still recognised."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:40]


def _parse(
    raw: bytes, max_bytes: int, received: datetime, authserv_id: str | None = None
) -> InboundMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    state = _State(max_bytes=max_bytes)
    subject = _header(msg, "Subject", state)
    sender_name, sender = _relayed(msg, *_sender(msg, state))
    message_id = _first_id(_header(msg, "Message-ID", state))
    sent_at = _date(msg, received, state)

    _walk(msg, 0, state, in_alternative=False)
    for defect in msg.defects:
        state.defects.add(type(defect).__name__)
    structural = sorted(state.defects & _STRUCTURE_DEFECTS)
    if structural:
        state.warn("malformed MIME: " + ", ".join(structural))

    html = None
    if state.htmls:
        safe = sanitize_email_html("\n".join(state.htmls))
        if safe.note:
            state.warn(safe.note)  # the raw message is kept as an attachment (email_inbound)
        html = _clean(safe.html) or None
    text = "\n\n".join(t for t in map(_body_text, state.texts) if t)
    if not text and html:
        text = html_to_text(html)
    reply_to = _addresses(msg, "Reply-To", state)
    kind = email_report.auto_kind(msg)
    return InboundMessage(
        channel=Channel.EMAIL,
        provider_message_id=message_id or _synthetic_id(raw),
        sender_handle=sender,
        sender_name=sender_name,
        text=_body_text(text),
        sent_at=sent_at,
        html=html,
        subject=_clean(subject) if subject is not None else None,
        attachments=tuple(state.attachments),
        thread=ThreadHints(
            message_id=message_id,
            in_reply_to=_first_id(_header(msg, "In-Reply-To", state)),
            references=tuple(_MSG_ID.findall(_header(msg, "References", state) or "")),
        ),
        raw=raw,
        parse_warning="; ".join(state.warnings) or None,
        is_auto=kind is not None,
        to=tuple(_addresses(msg, "To", state)),
        cc=tuple(_addresses(msg, "Cc", state)),
        reply_to=reply_to[0] if reply_to else None,
        auto_kind=kind,
        report=email_report.delivery_report(msg),
        sender_warning=email_auth.sender_warning(msg, authserv_id),
        fingerprint=_fingerprint(msg, sender, text, html, state.attachments),
    )


def _fingerprint(
    msg: Message,
    sender: Handle | None,
    text: str,
    html: str | None,
    attachments: list[Attachment],
) -> str:
    """Sender, Date, Subject and content: equal for two deliveries of one mail (whatever
    route and trace headers they took), different for another mail reusing its Message-ID."""
    digest = hashlib.sha256()
    for piece in (
        sender.value if sender else "",
        _raw_header(msg, "Date") or "",
        _raw_header(msg, "Subject") or "",
        text,
        html or "",
        *(
            f"{a.filename}:{a.size}:{hashlib.sha256(a.data).hexdigest() if a.data else ''}"
            for a in attachments
        ),
    ):
        digest.update(piece.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()


# --- headers -------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Drop NULs (PostgreSQL text refuses them) and undo surrogate-escaped 8-bit bytes."""
    if any("\udc80" <= c <= "\udcff" for c in text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace("\x00", "")


def _body_text(text: str) -> str:
    """Unix newlines and no control characters besides tab and newline (garbage bytes, ANSI)."""
    text = _clean(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip("\n")


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _header(msg: Message, name: str, state: _State) -> str | None:
    """A header's decoded text; falls back to the raw value when the policy's parser chokes."""
    raw = _raw_header(msg, name)
    if raw is None:
        return None
    for charset in _ENCODED_WORD_CHARSET.findall(raw):
        if not _known_charset(charset):
            state.warn(f"unknown charset {charset!r} in {name}; decoded with replacement")
    try:
        value = msg.get(name)
        decoded = str(value) if value is not None else raw
    except Exception:
        state.warn(f"unreadable {name} header kept as raw text")
        decoded = raw
    return _clean(re.sub(r"[\r\n]+[ \t]*", " ", decoded)).strip()


def _header_object(msg: Message, name: str) -> object | None:
    try:
        return msg.get(name)
    except Exception:
        return None


def _sender(msg: Message, state: _State) -> tuple[str | None, Handle | None]:
    value = _header_object(msg, "From")
    pairs: list[tuple[str, str]] = []
    if isinstance(value, AddressHeader):
        pairs = [(a.display_name, a.addr_spec) for a in value.addresses]
    if not pairs:
        raw = _header(msg, "From", state) or _header(msg, "Sender", state)
        if raw is None:
            state.warn("missing From")
            return None, None
        pairs = [parseaddr(raw)]
    raw_name, address = pairs[0]
    name = _clean(raw_name).strip() or None
    try:
        return name, Handle(IdentityKind.EMAIL, normalize_email(_clean(address)))
    except ValueError:
        state.warn(f"sender address {_clean(address)!r} is not a valid email address")
        return name, None


def _relayed(
    msg: Message, name: str | None, sender: Handle | None
) -> tuple[str | None, Handle | None]:
    """A group or list relay's mail under the person who wrote it (``X-Original-Sender``).

    Only when the mail shows it was relayed (From's name says "… via …", a List-Id, or a list
    Sender): anyone can write X-Original-Sender into a mail sent directly.
    """
    original = _raw_header(msg, "X-Original-Sender")
    if original is None or sender is None:
        return name, sender
    relay_sender = parseaddr(_raw_header(msg, "Sender") or "")[1]
    via = _VIA.match(name or "")
    relayed = (
        via is not None
        or _raw_header(msg, "List-Id") is not None
        or (relay_sender and _LIST_SENDER.search(relay_sender) is not None)
    )
    if not relayed:
        return name, sender
    try:
        person = Handle(IdentityKind.EMAIL, normalize_email(_clean(parseaddr(original)[1])))
    except ValueError:
        return name, sender
    if person == sender:
        return name, sender
    from_name, from_address = parseaddr(_clean(_raw_header(msg, "X-Original-From") or ""))
    if from_address and from_address.lower() == person.value.lower() and from_name.strip():
        return from_name.strip(), person
    return ((via.group(1).strip() or None) if via else None), person


def _addresses(msg: Message, name: str, state: _State) -> list[str]:
    value = _header_object(msg, name)
    if isinstance(value, AddressHeader):
        candidates = [a.addr_spec for a in value.addresses]
    else:
        raw = _header(msg, name, state)
        candidates = [addr for _, addr in getaddresses([raw])] if raw else []
    found = []
    for candidate in candidates:
        try:
            found.append(normalize_email(_clean(candidate)))
        except ValueError:
            continue
    return list(dict.fromkeys(found))


def _first_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _MSG_ID.search(value)
    if match:
        return match.group(0)
    token = value.split()[0] if value.split() else ""
    return f"<{token.strip('<>')}>" if "@" in token else None


def _date(msg: Message, received: datetime, state: _State) -> datetime:
    value = _header_object(msg, "Date")
    when = value.datetime if isinstance(value, DateHeader) else None
    if when is None:
        return received  # nothing of the customer's is lost: the time received stands in
    # A naive datetime comes from "-0000", which RFC 5322 defines as UTC with no local zone.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def is_auto_generated(msg: Message) -> bool:
    """Whether the mail was sent by a machine (auto-reply, bounce, bulk), not by a person.

    Replying to these starts mail loops, and counting them breaks first-response SLAs;
    ``email_report.auto_kind`` says which kind it is.
    """
    return email_report.auto_kind(msg) is not None


# --- body ----------------------------------------------------------------------------------


def _known_charset(name: str) -> bool:
    try:
        return codecs.lookup(_CHARSET_SUPERSETS.get(name.lower(), name))._is_text_encoding
    except LookupError:
        return False


def _decode_bytes(data: bytes, charset: str | None, warnings: list[str]) -> str:
    """Decode a body with its declared charset, tolerating the usual lies.

    Undeclared or "us-ascii" bodies are usually UTF-8 (else Windows-1252); an unknown charset is
    decoded as UTF-8 with replacement characters and reported.
    """
    label = (charset or "").strip().lower()
    if label in {"", "us-ascii", "ascii", "utf-8", "utf8"}:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            if label in {"utf-8", "utf8"}:
                warnings.append("body declared UTF-8 is not; decoded as Windows-1252")
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    if not _known_charset(label):
        warnings.append(f"unknown charset {charset!r}; decoded as UTF-8 with replacement")
        return data.decode("utf-8", "replace")
    codec = _CHARSET_SUPERSETS.get(label, label)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        warnings.append(f"body is not valid {charset}; undecodable bytes replaced")
        return data.decode(codec, "replace")


def _text_of(part: Message, state: _State) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    warnings: list[str] = []
    text = _decode_bytes(data, part.get_content_charset(), warnings)
    for warning in warnings:
        state.warn(warning)
    return text


def _walk(part: Message, depth: int, state: _State, *, in_alternative: bool) -> None:
    state.parts += 1
    if state.parts > _MAX_PARTS or depth > _MAX_DEPTH:
        state.warn("too many or too deeply nested MIME parts; the rest were skipped")
        return
    try:
        _walk_part(part, depth, state, in_alternative=in_alternative)
    finally:
        # After the part is decoded: decoding is what finds broken base64.
        found = {type(defect).__name__ for defect in part.defects}
        state.defects |= found
        if found & _DECODE_DEFECTS:
            name = _filename(part)
            what = f"attachment {name!r}" if name else f"a {part.get_content_type()} part"
            state.warn(f"{what} is damaged (invalid base64); its content may be incomplete")


def _walk_part(part: Message, depth: int, state: _State, *, in_alternative: bool) -> None:
    ctype = part.get_content_type()
    maintype = part.get_content_maintype()
    if maintype == "multipart":
        if not part.is_multipart():  # boundary missing: the "parts" are one blob of text
            state.texts.append(_text_of(part, state))
            return
        payload = part.get_payload()
        assert isinstance(payload, list)
        alternative = ctype == "multipart/alternative"
        for sub in payload:
            if isinstance(sub, Message):
                _walk(sub, depth + 1, state, in_alternative=alternative)
        return
    disposition = part.get_content_disposition()
    filename = _filename(part)
    if maintype == "text" and disposition != "attachment" and filename is None:
        if part.get_content_subtype() == "plain":
            state.texts.append(_text_of(part, state))
            return
        if part.get_content_subtype() == "html":
            state.htmls.append(_text_of(part, state))
            return
    if in_alternative:
        return  # text/enriched, text/watch-html...: another rendering of the same body
    _attach(part, ctype, disposition, filename, state)


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return _clean(str(name)) if name else None


def _safe_filename(name: str | None, ctype: str, index: int) -> str:
    """Strip paths and control characters: the name reaches an agent's file system."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip().lstrip(".")
    if not base:
        base = _FALLBACK_NAMES.get(ctype) or (
            f"attachment-{index}{mimetypes.guess_extension(ctype) or '.bin'}"
        )
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else base[:200]
    return base


def _serialized(part: Message) -> bytes:
    """The body of a message/* part (an attached mail, a delivery report) as bytes."""
    payload = part.get_payload()
    chunks = payload if isinstance(payload, list) else [payload]
    out = []
    for chunk in chunks:
        if isinstance(chunk, Message):
            try:
                out.append(chunk.as_bytes(policy=policy.compat32))
            except Exception:
                out.append(chunk.as_string(policy=policy.compat32).encode("utf-8", "replace"))
        elif isinstance(chunk, str):
            out.append(chunk.encode("utf-8", "surrogateescape"))
    return b"\n".join(out)


def _encoded_size(part: Message) -> int:
    """Estimate the decoded size before decoding, so an oversized part is never decoded."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return 0
    if part.get("Content-Transfer-Encoding", "").strip().lower() == "base64":
        return len(re.sub(r"\s+", "", payload)) * 3 // 4
    return len(payload)


def _attach(
    part: Message, ctype: str, disposition: str | None, filename: str | None, state: _State
) -> None:
    cid = _raw_header(part, "Content-ID")
    content_id = cid.strip().strip("<>").strip() or None if cid else None
    name = _safe_filename(filename, ctype, len(state.attachments) + 1)
    estimate = _encoded_size(part)
    data: bytes | None
    if estimate > state.max_bytes:
        data, size = None, estimate
    else:
        decoded = (
            _serialized(part)
            if part.get_content_maintype() == "message"
            else (part.get_payload(decode=True))
        )
        data = decoded if isinstance(decoded, bytes) else b""
        size = len(data)
    if size > state.max_bytes:
        data = None
        state.warn(f"attachment {name!r} ({size} bytes) is over the {state.max_bytes}-byte limit")
    state.attachments.append(
        Attachment(
            filename=name,
            content_type=ctype,
            size=size,
            data=data,
            inline=disposition == "inline" or (disposition is None and content_id is not None),
            content_id=content_id,
        )
    )
