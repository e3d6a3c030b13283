"""Storing an inbound message from any channel: one customer, one thread, stored once.

Every channel (webhooks today, email and the chat widget later) hands its parsed
``InboundMessage`` to ``ingest_message``; the rules for recognising the customer, choosing the
conversation and keeping the conversation row consistent live here and nowhere else.

Concurrency: two deliveries of one message (a provider retry racing the original) or two first
messages from one new sender can race on PostgreSQL.  The loser hits a unique constraint
(message ``(channel, provider_message_id)`` or identity ``(realm, kind, value)``); we roll the
transaction back and run again, when the winner's rows are visible and the message is found as
a duplicate.  Call ``ingest_message`` on a session with no other uncommitted work, and commit
after it.

Duplicates: a provider's message id is its identity, except for email, where the sender picks
the Message-ID and mailers reuse them.  An email is a re-delivery when it comes from the same
mailbox, UIDVALIDITY and UID (``source_ref``) or carries a known Message-ID with the same
``fingerprint`` (sender, date and content); the same Message-ID with another sender or body is
a new message, stored under ``<Message-ID>#<digest>``.

Machine mail (``msg.is_auto``) never creates a customer: it joins the conversation it answers,
or (an auto-reply) the customer it comes from; a delivery report joins only the conversation of
the message it reports.  Otherwise ``Unfiled`` is raised and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.enums import (
    Channel,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    IdentityKind,
    Realm,
)
from csdesk.server.attachments.store import AttachmentStore
from csdesk.server.attachments.upload import clean_filename
from csdesk.server.channels import claims, customers, media_fetch
from csdesk.server.channels import conversations as threads
from csdesk.server.channels.email_reply import extract_token
from csdesk.server.channels.email_report import DELIVERY_REPORT
from csdesk.server.channels.inbound import Attachment, Handle, InboundMessage
from csdesk.server.conversation_merge import follow as merged
from csdesk.server.languages import on_ingest as languages
from csdesk.server.routing import engine as routing
from csdesk.server.surveys import digits as survey_digits
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

_RETRIES = 3
#: Provider clocks drift; a send time further in the future than this is replaced by "now" so
#: the message cannot sort after replies written later.
_CLOCK_SKEW = timedelta(minutes=5)
#: Channels whose replies go back to the handle the customer wrote from (see ConversationRoute).
_ROUTED = frozenset(
    {Channel.SMS, Channel.WHATSAPP, Channel.MESSENGER, Channel.INSTAGRAM, Channel.TELEGRAM}
)


@dataclass(frozen=True, slots=True)
class ThreadHint:
    """Threading evidence a caller has beyond the sender (email, mainly).

    ``provider_ids`` are provider message ids this message answers, most specific first (for
    email: In-Reply-To, then References newest first); ``conversation_token`` is the token
    found in the subject (``conversations.conversation_token``).  When a hint is given and
    nothing matches, the message opens a new conversation: a new email is a new question,
    while a chat message from the same person continues their open conversation.
    """

    provider_ids: tuple[str, ...] = ()
    conversation_token: str | None = None

    @classmethod
    def from_email(cls, msg: InboundMessage) -> ThreadHint:
        """A bounce threads by the message it returns, before its own headers."""
        report = msg.report
        ids = [*(report.original_ids if report else ()), msg.thread.in_reply_to]
        ids += reversed(msg.thread.references)
        token = extract_token(msg.subject)
        if token is None and report is not None:
            token = extract_token(report.original_subject)
        return cls(tuple(i for i in ids if i), token)


class Unfiled(Exception):
    """A machine's message (auto-reply, bounce) with no conversation or customer to join.

    Nothing was written; the caller logs it (the mail stays in its mailbox).
    """


@dataclass(frozen=True, slots=True)
class IngestResult:
    customer_id: str
    conversation_id: str
    message_id: str
    created: bool  # False: a provider retry of a message already stored
    conversation_created: bool = False
    reopened: bool = False
    #: The message put an existing conversation back to open (resolved, pending, snoozed).
    woke: bool = False


def attachment_meta(att: Attachment, sha256: str | None = None) -> dict[str, Any]:
    """What the message row keeps about a file; ``sha256`` names its stored content."""
    return {
        "sha256": sha256,
        # Whatever the provider called it (a Meta document's name is the sender's): no path,
        # no control or direction-turning characters (``attachments.upload``).
        "filename": clean_filename(att.filename) or "attachment",
        "content_type": att.content_type,
        "size": att.size,
        "provider_file_id": att.provider_file_id,
        "inline": att.inline,
        "content_id": att.content_id,
    }


def ingest_message(
    session: Session,
    msg: InboundMessage,
    *,
    realm: str = Realm.PRODUCTION.value,
    thread_hint: ThreadHint | None = None,
    extra_handles: Sequence[Handle] = (),
    provider: str | None = None,
    store: AttachmentStore | None = None,
    source_ref: str | None = None,
) -> IngestResult:
    """Store ``msg`` once, on the right customer and conversation; see the module docstring.

    ``extra_handles`` are identities the caller learned besides the sender (the email a chat
    visitor typed); they prove nothing, so they become claims (``channels.claims``): shown to
    agents, never matched on.  ``provider`` names the connection the
    message arrived through, so replies leave the same way. With ``store``, attachment bytes
    the message carries are kept there (content-addressed) and can be downloaded by agents.
    ``source_ref`` names where an email was read (mailbox, UIDVALIDITY, UID). Raises
    ``Unfiled`` for a machine's message that has nowhere to go.
    """
    shas = [
        store.put(a.data) if store is not None and a.data is not None else None
        for a in msg.attachments
    ]
    for attempt in range(_RETRIES):
        try:
            result = _ingest(
                session, msg, realm, thread_hint, extra_handles, provider, shas, source_ref
            )
            if result.created and (result.conversation_created or result.woke):
                # The routing rules, in this transaction (docs/routing.md).
                routing.on_arrival(session, result.conversation_id, result.message_id, utcnow())
            session.flush()
            return result
        except IntegrityError:
            session.rollback()
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def find_message(session: Session, channel: Channel, provider_id: str) -> m.Message | None:
    return session.scalars(
        select(m.Message).where(
            m.Message.channel == channel.value, m.Message.provider_message_id == provider_id
        )
    ).first()


def _stored_id(session: Session, msg: InboundMessage, source_ref: str | None) -> str | m.Message:
    """The message already stored for ``msg``, or the provider id to store it under."""
    if source_ref:
        again = session.scalars(
            select(m.Message).where(
                m.Message.channel == msg.channel.value, m.Message.source_ref == source_ref
            )
        ).first()
        if again is not None:
            return again
    existing = find_message(session, msg.channel, msg.provider_message_id)
    if existing is None:
        return msg.provider_message_id
    if msg.fingerprint is None or existing.fingerprint in (None, msg.fingerprint):
        return existing  # no digest to tell them apart (other channels, rows from before)
    # Another mail under a reused Message-ID: its own id, the same for each re-delivery.
    own = f"{msg.provider_message_id[:230]}#{msg.fingerprint[:16]}"
    return find_message(session, msg.channel, own) or own


def _duplicate(session: Session, existing: m.Message, msg: InboundMessage) -> IngestResult:
    if msg.edited and existing.body_text != msg.text:
        existing.body_text = msg.text  # the customer edited it; the agent sees the latest text
    conv = session.get(m.Conversation, existing.conversation_id)
    assert conv is not None
    return IngestResult(conv.customer_id, conv.id, existing.id, created=False)


def _handles(msg: InboundMessage) -> list[tuple[Handle, bool]]:
    """The sender's canonical handle: the channel's provider vouched for it, so verified."""
    handle = customers.canonical(msg.sender_handle) if msg.sender_handle else None
    return [(handle, True)] if handle is not None else []


def received_at(sent_at: datetime) -> datetime:
    now = utcnow()
    return now if sent_at - now > _CLOCK_SKEW else sent_at


def _ingest(
    session: Session,
    msg: InboundMessage,
    realm: str,
    hint: ThreadHint | None,
    extra: Sequence[Handle],
    provider: str | None,
    shas: Sequence[str | None] = (),
    source_ref: str | None = None,
) -> IngestResult:
    source_ref = source_ref[:300] if source_ref else None  # the column's width
    stored = _stored_id(session, msg, source_ref)
    if isinstance(stored, m.Message):
        return _duplicate(session, stored, msg)
    at = received_at(msg.sent_at)
    handles = _handles(msg)
    plain = [h for h, _ in handles]

    conv, conv_created = None, False
    survey_reply: tuple[m.SurveyRequest, int] | None = None
    if hint is not None:
        conv = threads.find_by_message(session, realm, msg.channel, hint.provider_ids)
        if conv is None and hint.conversation_token:
            conv = threads.find_by_token(session, realm, hint.conversation_token)
        if conv is not None:  # a merged conversation's mail lands where it was merged into
            # (None: that one was deleted since; placed as mail to a deleted conversation)
            conv = merged.live(session, conv)
    customer: m.Customer | None
    if conv is not None:
        customer = session.get(m.Customer, conv.customer_id)
        assert customer is not None
    elif msg.is_auto:
        # A machine is nobody's customer: join the sender's customer or nothing at all.
        known = None if msg.auto_kind == DELIVERY_REPORT else customers.match(session, realm, plain)
        if known is None:
            raise Unfiled(msg.auto_kind or "automatic message")
        customer = known
        conv, conv_created = _conversation_for(session, customer, msg, hint, at)
    else:
        customer = customers.match(session, realm, plain)
        if customer is None:
            customer = customers.create(session, realm, msg.sender_name, plain)
        elif not msg.is_auto:
            customers.name_if_nameless(session, customer, msg.sender_name, msg.channel.value)
        customers.attach(session, customer, handles)
        # A digit answering an SMS/WhatsApp survey goes to its conversation and reopens nothing.
        survey_reply = survey_digits.pending(session, customer.id, msg.channel.value, msg.text, at)
        if survey_reply is not None:
            conv = session.get(m.Conversation, survey_reply[0].conversation_id)
            assert conv is not None
            conv = merged.follow(session, conv)
        else:
            conv, conv_created = _conversation_for(session, customer, msg, hint, at)

    for raw in extra:
        typed = customers.canonical(raw)
        if typed is not None and typed not in plain:
            claims.record(
                session, realm, customer.id, typed, source=claims.TYPED, conversation_id=conv.id
            )
    names = [a.filename for a in msg.attachments]
    message = m.Message(
        id=customers.new_id(),
        realm=realm,
        conversation_id=conv.id,
        channel=msg.channel.value,
        direction=Direction.IN.value,
        author_name=(customers.usable_name(msg.sender_name) or customer.name)[:200],
        subject=(msg.subject or "")[:300],
        body_text=msg.text,
        body_html=msg.html,
        attachments=[
            attachment_meta(a, shas[n] if n < len(shas) else None)
            for n, a in enumerate(msg.attachments)
        ],
        delivery_status=DeliveryStatus.RECEIVED.value,
        provider_message_id=stored,
        created_at=at,
        is_auto=msg.is_auto or survey_reply is not None,
        auto_kind=(
            msg.auto_kind if msg.is_auto else survey_digits.AUTO_KIND if survey_reply else None
        ),
        sender_warning=msg.sender_warning[:300] if msg.sender_warning else None,
        source_ref=source_ref,
        fingerprint=msg.fingerprint,
    )
    session.add(message)
    languages.apply(customer, conv, message, msg.text, msg.language)
    media_fetch.enqueue(session, message)  # provider media: downloaded in the background
    was_open = conv.status == ConversationStatus.OPEN.value and not conv_created
    reopened = threads.record_inbound(
        conv, at, threads.preview_of(msg.text, names), is_auto=message.is_auto
    )
    woke = not conv_created and not was_open and conv.status == ConversationStatus.OPEN.value
    if not message.is_auto:  # the customer replied: conditional reminders are answered
        from csdesk.server.scheduled.due import replied  # docs/scheduled-send.md

        replied(session, conv.id, at)
    if survey_reply is not None:
        survey_digits.file(session, survey_reply[0], survey_reply[1], at, msg.channel.value)
    if (
        msg.channel in _ROUTED
        and msg.sender_handle is not None
        and handles
        and provider
        and conv.channel == msg.channel.value  # merged in from another channel: keep its route
    ):
        save_route(session, conv.id, provider, handles[0][0], msg.to[0] if msg.to else None)
    session.flush()
    return IngestResult(customer.id, conv.id, message.id, True, conv_created, reopened, woke)


def _conversation_for(
    session: Session,
    customer: m.Customer,
    msg: InboundMessage,
    hint: ThreadHint | None,
    at: datetime,
) -> tuple[m.Conversation, bool]:
    """The conversation for a message no thread hint placed, and whether it is new."""
    if hint is None and msg.thread.reply_to_provider_id:
        quoted = threads.find_by_message(
            session, customer.realm, msg.channel, [msg.thread.reply_to_provider_id]
        )
        landed = merged.live(session, quoted) if quoted is not None else None
        if quoted is not None and landed is not None and quoted.customer_id == customer.id:
            return landed, False
    if hint is None:
        recent = threads.latest(session, customer.id, msg.channel)
        recent = merged.live(session, recent) if recent is not None else None
        if recent is not None and (threads.continues(recent, at) or msg.is_auto):
            return recent, False
    conv = threads.open_new(
        session, customer, msg.channel, subject=msg.subject or "", at=at, language=None
    )
    if msg.is_auto:
        # Filed, not work: an auto-reply with nothing to attach to is born resolved.
        conv.status, conv.resolved_at = ConversationStatus.RESOLVED.value, at
        threads.add_tag(conv, "auto")
    return conv, True


def save_route(
    session: Session, conversation_id: str, provider: str, handle: Handle, business: str | None
) -> None:
    """Remember where replies in ``conversation_id`` go (the latest inbound message wins)."""
    route = session.get(m.ConversationRoute, conversation_id)
    if route is None:
        route = m.ConversationRoute(conversation_id=conversation_id)
        session.add(route)
    route.provider = provider
    route.kind = handle.kind.value
    route.address = handle.value
    route.business = business[:255] if business else None


def route_kind(channel: Channel) -> IdentityKind | None:
    """The identity kind a reply on ``channel`` is addressed to, when no route was recorded."""
    return {
        Channel.SMS: IdentityKind.PHONE,
        Channel.WHATSAPP: IdentityKind.WHATSAPP,
        Channel.MESSENGER: IdentityKind.MESSENGER,
        Channel.INSTAGRAM: IdentityKind.INSTAGRAM,
        Channel.TELEGRAM: IdentityKind.TELEGRAM,
    }.get(channel)
