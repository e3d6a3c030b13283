"""The normalized shapes every channel parser returns.

The routes, the conversation service and the tests only ever see these types, so adding a
provider means writing one parser, never touching the code that stores messages.  They are
frozen because a parsed webhook is a fact; anything derived from it is a new object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from csdesk.domain.enums import Channel, DeliveryStatus, Direction, IdentityKind


class PayloadError(ValueError):
    """The request body is not the shape the provider documents.

    Routes answer it with 400: the provider retries, and a human reading the log sees which
    field was wrong.  Unknown-but-well-formed events are *not* errors; parsers count them in
    ``ParsedBatch.ignored`` instead, because providers add event types without notice.
    """


def require_utc(value: datetime, what: str) -> None:
    """Refuse naive or non-UTC timestamps so ordering and SLA clocks never mix zones."""
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{what} must be an aware UTC datetime, got {value!r}")


def utc_now() -> datetime:
    """The default receive time; parsers accept an explicit one so tests stay deterministic."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Handle:
    """How the customer is addressed on a channel (an identity row's kind and value)."""

    kind: IdentityKind
    value: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that arrived with a message.

    ``data`` is None when the provider only gave a reference (``provider_file_id``: a Twilio
    media URL, a WhatsApp media id, a Telegram file_id) or when an email part was over the size
    limit; the metadata is kept either way so the agent sees that something was sent.
    """

    filename: str
    content_type: str
    size: int | None
    data: bytes | None = None
    provider_file_id: str | None = None
    inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ThreadHints:
    """What a provider tells us about which earlier message this one answers.

    Email uses the RFC 5322 ids; chat channels fill ``reply_to_provider_id`` with the provider
    id of the quoted message (WhatsApp ``context.id``, Messenger ``reply_to.mid``, Telegram
    ``reply_to_message``).
    """

    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    reply_to_provider_id: str | None = None


@dataclass(frozen=True, slots=True)
class BouncedRecipient:
    """One recipient of a delivery-status notification (RFC 3464 per-recipient fields)."""

    recipient: str
    action: str  # "failed", "delayed", "delivered", "relayed", "expanded" (lower case)
    status: str = ""  # "5.1.1"
    diagnostic: str = ""  # "smtp; 550 5.1.1 User unknown"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a bounce says about a message we sent.

    ``original_ids`` come from the returned message's headers: its Message-ID first (ours,
    when we sent it), then In-Reply-To and References, newest first; ``original_subject`` is its
    Subject (it may carry the conversation token).
    """

    recipients: tuple[BouncedRecipient, ...] = ()
    original_ids: tuple[str, ...] = ()
    original_subject: str | None = None
    original_message_id: str | None = None  # the returned message's own Message-ID

    @property
    def failed(self) -> tuple[BouncedRecipient, ...]:
        return tuple(r for r in self.recipients if r.action == "failed" or r.status.startswith("5"))


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One customer message, whatever the channel.

    ``sender_handle`` is None only for an email with no usable sender address; such a message
    is still stored (with ``parse_warning``) rather than dropped.  ``to`` names the business
    side the customer wrote to (our number, page id, WhatsApp phone_number_id, mailbox) so the
    router can pick the inbox and the reply route.  ``edited`` marks a provider edit of a
    message already delivered under the same ``provider_message_id``.

    Email only: ``auto_kind`` says why ``is_auto`` is set ("auto_reply", "delivery_report",
    "bulk"); ``report`` is a bounce's content; ``sender_warning`` the receiving server's failed
    DMARC/SPF/DKIM verdict; ``fingerprint`` a digest of sender, date and content, which tells
    a reused Message-ID from a re-delivery of the same mail.
    """

    channel: Channel
    provider_message_id: str
    sender_handle: Handle | None
    sender_name: str | None
    text: str
    sent_at: datetime
    html: str | None = None
    subject: str | None = None
    attachments: tuple[Attachment, ...] = ()
    thread: ThreadHints = field(default_factory=ThreadHints)
    raw: bytes | None = None
    parse_warning: str | None = None
    is_auto: bool = False
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    edited: bool = False
    auto_kind: str | None = None
    report: DeliveryReport | None = None
    sender_warning: str | None = None
    fingerprint: str | None = None
    #: The language the channel says the customer uses (a chat page's language), if any;
    #: without it the language is detected from ``text`` (``server.languages.on_ingest``).
    language: str | None = None

    def __post_init__(self) -> None:
        require_utc(self.sent_at, "sent_at")


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A delivery receipt for a message we sent.

    Most providers name the message (``provider_message_id``).  Messenger and Instagram may
    instead send a *watermark*: every message to ``recipient`` sent at or before ``watermark``
    reached ``status``; then ``provider_message_id`` is empty.
    """

    channel: Channel
    provider_message_id: str
    status: DeliveryStatus
    at: datetime
    error_code: str | None = None
    error_reason: str | None = None
    recipient: str | None = None
    watermark: datetime | None = None

    def __post_init__(self) -> None:
        require_utc(self.at, "at")
        if self.watermark is not None:
            require_utc(self.watermark, "watermark")
        if not self.provider_message_id and self.watermark is None:
            raise ValueError("a status update needs a provider_message_id or a watermark")


@dataclass(frozen=True, slots=True)
class InboundCall:
    """A voice webhook reduced to what the phone panel shows.

    ``from_number`` is None when the caller withheld their number or it is not a phone number
    (Twilio sends "anonymous" or a placeholder); ``from_raw`` keeps what the provider said.
    """

    call_sid: str
    from_number: str | None
    from_raw: str
    to_number: str
    direction: Direction
    provider_direction: str
    status: str
    duration_seconds: int | None = None
    caller_name: str | None = None
    parent_call_sid: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """Everything one webhook delivery contained.

    Meta batches many events per POST; Telegram sends one update.  ``ignored`` counts the
    well-formed events we do not handle (reactions, postbacks we do not model, new provider
    event types) so the route can log them without failing the delivery.
    """

    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    ignored: int = 0
