"""What the visitor API does, as plain functions on a session (the routes run them in threads).

Each function takes a write session with no other work in it and leaves committing to the
caller, like ``ingest_message``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, DeliveryStatus, Direction, IdentityKind
from csdesk.server.catalogues import tr
from csdesk.server.channels import claims, customers, statuses
from csdesk.server.channels import conversations as threads
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.inbound import Handle, InboundMessage, utc_now
from csdesk.server.channels.ingest import IngestResult, ThreadHint, ingest_message, save_route
from csdesk.server.chat import texts, typing_board, visitors
from csdesk.server.chat.rating import states as rating_states
from csdesk.server.chat.visitors import REALM, Visitor
from csdesk.server.languages import on_ingest
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

#: Tag on a conversation whose customer was found by an email the visitor typed (unproven).
UNVERIFIED_TAG = "email-unverified"
FORM_TAG = "chat-form"


def send(
    session: Session, visitor: Visitor, text: str, client_id: str, store: str | None
) -> IngestResult:
    """Store the visitor's message in their current conversation (or a new one).

    ``client_id`` makes a retry of the same send (a lost response) store nothing twice.
    """
    conv = visitors.current_conversation(session, visitor)
    known = visitors.first_inbound_id(session, conv.id) if conv is not None else None
    msg = InboundMessage(
        channel=Channel.CHAT,
        provider_message_id=f"chat:{visitor.token_hash[:24]}:{client_id}",
        sender_handle=visitors.handle_for(visitor.token_hash),
        sender_name=None,
        text=text,
        sent_at=utc_now(),
        to=(store,) if store else (),
    )
    # A hint (even an empty one) keeps ingest from continuing the customer's latest chat,
    # which after a link may be another visitor's thread.
    result = ingest_message(
        session, msg, realm=REALM, thread_hint=ThreadHint((known,) if known else ())
    )
    if result.created:
        visitors.remember(session, visitor, result.conversation_id, store)
        if result.conversation_created and store:
            conv_row = session.get(m.Conversation, result.conversation_id)
            if conv_row is not None:
                threads.add_tag(conv_row, f"store:{store}"[:64])
    session.flush()  # the route exists before its typing notice is cleared
    # The message arrived: "is typing" ends now, not when the notice would expire.
    typing_board.set_typing(session, result.conversation_id, False, utcnow())
    return result


def wire(msg: m.Message, rating: str | None = None) -> dict[str, Any]:
    """A message as the widget shows it (nothing internal: no notes, no agent ids);
    ``rating`` is a survey message's state for the inline rating (``chat.rating``)."""
    return {
        "id": msg.id,
        "direction": msg.direction,
        "author": msg.author_name if msg.direction == Direction.OUT.value else None,
        "text": msg.body_text,
        "at": msg.created_at.isoformat(),
        # Links the widget fetches with the visitor's token (``visitor_attachment``).
        "attachments": [
            {
                "name": str(a.get("filename") or f"file-{n + 1}"),
                "size": a.get("size"),
                "content_type": a.get("content_type"),
                "url": f"/chat/api/messages/{msg.id}/attachments/{n}",
            }
            for n, a in enumerate(msg.attachments or [])
            if isinstance(a, dict) and a.get("sha256")
        ],
        # The satisfaction survey's page (``server.surveys``): the widget shows it as a link.
        "survey": survey_path(msg.body_text) if msg.auto_kind == "survey" else None,
        "rating": rating,
    }


def wire_all(session: Session, msgs: list[m.Message]) -> list[dict[str, Any]]:
    """``wire`` for each message, survey messages with their rating state."""
    ratings = rating_states(session, msgs, utcnow())
    return [wire(msg, ratings.get(msg.id)) for msg in msgs]


_SURVEY_PATH = re.compile(r"/survey/[A-Za-z0-9_\-]{1,200}\.[A-Za-z0-9_\-]{1,64}")


def survey_path(text: str) -> str | None:
    found = _SURVEY_PATH.search(text)
    return found.group(0) if found else None


def visible_attachment(
    session: Session, visitor: Visitor, message_id: str, index: int
) -> dict[str, Any] | None:
    """A file of a message in one of this visitor's own chats (never a note), or None."""
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return None
    msg = visible_message(session, ids, message_id)
    attachments = list(msg.attachments or []) if msg is not None else []
    if index >= len(attachments) or not isinstance(attachments[index], dict):
        return None
    meta: dict[str, Any] = attachments[index]
    return meta


def visible_message(session: Session, conv_ids: list[str], message_id: str) -> m.Message | None:
    """The message ``message_id`` when it is in one of ``conv_ids`` (the visitor's chats)."""
    return session.scalars(_visible(conv_ids).where(m.Message.id == message_id)).first()


def _visible(conv_ids: list[str]) -> Any:
    return (
        select(m.Message)
        .where(
            # Merging conversations (docs/merge-split.md): the visitor's chat messages stay
            # theirs after a merge moved them into another conversation.
            or_(m.Message.conversation_id.in_(conv_ids), m.Message.merged_from_id.in_(conv_ids)),
            m.Message.is_note.is_(False),
            m.Message.realm == REALM,
            m.Message.channel == Channel.CHAT.value,  # not a transcript mailed from the chat
        )
        .order_by(m.Message.created_at, m.Message.id)
    )


def transcript(session: Session, visitor: Visitor, limit: int = 500) -> list[dict[str, Any]]:
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return []
    rows = list(session.scalars(_visible(ids)))
    return wire_all(session, rows[-limit:])


def acknowledge(session: Session, visitor: Visitor, message_ids: list[str]) -> int:
    """The widget showed these replies: mark them delivered; the number changed."""
    if not message_ids:
        return 0
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return 0
    now = utcnow()
    changed = 0
    for msg in session.scalars(
        select(m.Message).where(
            m.Message.id.in_(message_ids[:200]),
            or_(m.Message.conversation_id.in_(ids), m.Message.merged_from_id.in_(ids)),
            m.Message.direction == Direction.OUT.value,
        )
    ):
        changed += statuses.apply_to(msg, DeliveryStatus.DELIVERED, now)
    return changed


def pending(session: Session, visitor: Visitor) -> list[m.Message]:
    """Agent replies the widget has not acknowledged yet (queued or handed over once)."""
    ids = visitors.conversation_ids(session, visitor)
    if not ids:
        return []
    return list(
        session.scalars(
            _visible(ids).where(
                m.Message.direction == Direction.OUT.value,
                m.Message.delivery_status.in_(
                    [DeliveryStatus.QUEUED.value, DeliveryStatus.SENT.value]
                ),
            )
        )
    )


def hand_over(session: Session, visitor: Visitor) -> list[dict[str, Any]]:
    """The pending replies, for the widget; queued ones become ``sent``."""
    rows = pending(session, visitor)
    now = utcnow()
    for msg in rows:
        statuses.apply_to(msg, DeliveryStatus.SENT, now)
    return wire_all(session, rows)


def agents_typing(
    session: Session, visitor: Visitor, now: datetime, within: timedelta
) -> list[str]:
    """Names of agents typing in the visitor's current conversation (from presence)."""
    conv = visitors.current_conversation(session, visitor)
    if conv is None:
        return []
    rows = session.execute(
        select(m.User.display_name)
        .join(m.Presence, m.Presence.user_id == m.User.id)
        .where(
            m.Presence.conversation_id == conv.id,
            m.Presence.typing.is_(True),
            m.Presence.seen_at >= now - within,
            m.User.active.is_(True),
            m.User.role != "trainee",
        )
    ).all()
    return [r[0] for r in rows]


@dataclass(frozen=True, slots=True)
class EmailLink:
    customer_id: str
    how: str  # always "noted": whether a customer has the address is not the visitor's business


def leave_email(session: Session, visitor: Visitor, raw: str) -> EmailLink:
    """Note the address the visitor typed (ValueError when it is not an address).

    It is a claim, never an identity: it merges nobody, is attached to nobody and routes no
    mail (see ``channels.claims``).  If a customer has that address, agents see them as a
    possible match and can link the chat to them.  The answer is the same either way, so the
    widget cannot be used to find out who is a customer.
    """
    handle = customers.canonical(Handle(IdentityKind.EMAIL, raw))
    if handle is None:
        raise ValueError("not an email address")
    conv_ids = visitors.conversation_ids(session, visitor)
    claims.record(
        session,
        REALM,
        visitor.customer_id,
        handle,
        source=claims.CHAT,
        conversation_id=conv_ids[-1] if conv_ids else None,
        session_hash=visitor.token_hash,
    )
    for cid in conv_ids:
        conv = session.get(m.Conversation, cid)
        if conv is not None:
            threads.add_tag(conv, UNVERIFIED_TAG)
    session.flush()
    return EmailLink(visitor.customer_id, "noted")


def contact_form(
    session: Session,
    name: str,
    email: str,
    text: str,
    store: str | None,
    language: str | None = None,
) -> IngestResult:
    """An offline-hours form: a new email-channel conversation, so the reply goes by email.

    The typed address is where the agent's reply goes (the conversation's route) and a claim
    on a customer of its own; it is not matched, so a form in someone's name never lands in
    their history.  ``language`` (the widget's) is the conversation's and the customer's when
    the text does not tell (``languages.on_ingest.from_page``).
    """
    handle = customers.canonical(Handle(IdentityKind.EMAIL, email))
    if handle is None:
        raise ValueError("not an email address")
    msg = InboundMessage(
        channel=Channel.EMAIL,
        provider_message_id=f"<chat-form-{uuid.uuid4().hex}@csdesk.invalid>",
        sender_handle=None,  # typed into a form: a claim, not a proven sender
        sender_name=customers.usable_name(name),
        text=text,
        subject="Chat contact form" + (f" ({store})" if store else ""),
        sent_at=utc_now(),
    )
    result = ingest_message(session, msg, realm=REALM, thread_hint=ThreadHint())
    claims.record(
        session,
        REALM,
        result.customer_id,
        handle,
        source=claims.CONTACT_FORM,
        conversation_id=result.conversation_id,
    )
    save_route(session, result.conversation_id, Provider.EMAIL.value, handle, None)
    conv = session.get(m.Conversation, result.conversation_id)
    row = session.get(m.Message, result.message_id)
    customer = session.get(m.Customer, result.customer_id)
    page = on_ingest.from_page(customer, language) if customer is not None else None
    if conv is not None and page is not None and row is not None and row.language is None:
        conv.language = page
    if conv is not None:
        threads.add_tag(conv, FORM_TAG)
        threads.add_tag(conv, UNVERIFIED_TAG)
    session.flush()
    return result


class TranscriptRefused(Exception):
    """Why the transcript cannot be mailed; shown to the visitor."""


class TranscriptLimited(TranscriptRefused):
    """The address had its share of mail for now (``claims.ADDRESS_LIMIT``)."""


TRANSCRIPT_SUBJECT = texts.TRANSCRIPT_SUBJECT  # in the conversation's language when sent
PROOF_SUBJECT = texts.PROOF_SUBJECT


@dataclass(frozen=True, slots=True)
class TranscriptPlan:
    """Where a transcript of ``conversation_id`` may go: ``address``, now (``proven``) or once
    the visitor opened the link mailed there first (``claim_id`` names what the link proves)."""

    conversation_id: str
    address: str
    proven: bool
    claim_id: str | None


def plan_transcript(session: Session, visitor: Visitor) -> TranscriptPlan:
    """The address the visitor's transcript may go to; TranscriptRefused when there is none.

    Only the conversation customer's verified address (an agent linked the chat to a known
    customer) or an address this very session proved: anything else would mail text the
    visitor wrote, from the shop's mailbox, to whomever they name.
    """
    ids = visitors.conversation_ids(session, visitor)
    conv = session.get(m.Conversation, ids[-1]) if ids else None
    if conv is None:
        raise TranscriptRefused("There is no conversation to send yet.")
    verified = session.scalars(
        select(m.CustomerIdentity.value)
        .where(
            m.CustomerIdentity.customer_id == conv.customer_id,
            m.CustomerIdentity.kind == IdentityKind.EMAIL.value,
            m.CustomerIdentity.verified.is_(True),
        )
        .order_by(m.CustomerIdentity.created_at.desc())
        .limit(1)
    ).first()
    if verified is not None:
        return TranscriptPlan(conv.id, verified, True, None)
    claim = claims.latest_email(session, visitor.token_hash)
    if claim is None:
        raise TranscriptRefused("Leave your email address first.")
    return TranscriptPlan(conv.id, claim.value, claim.proven_at is not None, claim.id)


def queue_mail(
    session: Session, conv: m.Conversation, address: str, subject: str, body: str, author: str
) -> m.Message:
    """An outbound email the server wrote, to ``address``, shown in the conversation.

    The dispatcher sends it like an agent's reply (retries, visible failure), so agents see in
    the thread what went out and to whom it was counted (``claims.mails_to``).
    """
    now = utcnow()
    mail = m.Message(
        id=customers.new_id(),
        realm=conv.realm,
        conversation_id=conv.id,
        channel=Channel.EMAIL.value,
        direction=Direction.OUT.value,
        author_name=author,
        subject=subject,
        body_text=body,
        delivery_status=DeliveryStatus.QUEUED.value,
        created_at=now,
        recipient=address,
    )
    session.add(mail)
    conv.message_count = (conv.message_count or 0) + 1
    conv.last_message_at = max(conv.last_message_at or now, now)
    session.flush()
    return mail


def transcript_text(session: Session, conv: m.Conversation) -> str:
    """The conversation as the visitor saw it, in its language (the words around the text)."""
    lang = conv.language or "en"
    you, agent = tr(lang, texts.WIDGET["you"]), tr(lang, texts.WIDGET["agent"])
    line = tr(lang, texts.TRANSCRIPT_LINE)
    lines = [tr(lang, texts.TRANSCRIPT_INTRO), ""]
    for msg in session.scalars(_visible([conv.id])):
        who = you if msg.direction == Direction.IN.value else (msg.author_name or agent)
        at = f"{msg.created_at:%Y-%m-%d %H:%M}"
        lines.append(_fill(line, texts.TRANSCRIPT_LINE, time=at, who=who, text=msg.body_text))
    return "\n".join(lines)


def _fill(translated: str, source: str, **values: str) -> str:
    """``translated`` with ``values`` put in; the English ``source`` if a translation's
    placeholders are broken (a catalogue mistake must not stop the mail)."""
    try:
        return translated.format(**values)
    except (KeyError, IndexError, ValueError):
        return source.format(**values)


def _mail(
    session: Session, conv: m.Conversation, address: str, subject: str, body: str
) -> m.Message:
    """``queue_mail`` with the subject in the conversation's language."""
    subject = tr(conv.language or "en", subject)
    return queue_mail(session, conv, address, subject, body, texts.SENDER)


def email_transcript(session: Session, plan: TranscriptPlan, confirm_url: str) -> tuple[str, bool]:
    """Carry out ``plan``: the transcript itself, or the link that proves the address first.

    Returns the queued message's id and whether it is the transcript.  The proof mail is fixed
    text: nothing the visitor wrote (not even the store name they sent) goes to an address
    nobody proved.  TranscriptRefused when the address had its share of mail for now.
    """
    conv = session.get(m.Conversation, plan.conversation_id)
    if conv is None:
        raise TranscriptRefused("There is no conversation to send yet.")
    if claims.mails_to(session, plan.address) >= claims.ADDRESS_LIMIT:
        raise TranscriptLimited("Too many emails to this address; try again in an hour.")
    if plan.proven:
        body = transcript_text(session, conv)
        return _mail(session, conv, plan.address, TRANSCRIPT_SUBJECT, body).id, True
    claim = session.get(m.IdentityClaim, plan.claim_id) if plan.claim_id else None
    if claim is None:
        raise TranscriptRefused("Leave your email address first.")
    token = claims.issue_token(claim)
    hours = int(claims.TOKEN_TTL.total_seconds() // 3600)
    # The page the link opens speaks the mail's language too (``routes.confirm_page``).
    lang = texts.widget_language(conv.language)
    url = f"{confirm_url}{token}" + (f"&lang={quote(lang)}" if lang != "en" else "")
    body = _fill(
        tr(conv.language or "en", texts.PROOF_BODY), texts.PROOF_BODY, hours=str(hours), url=url
    )
    return _mail(session, conv, plan.address, PROOF_SUBJECT, body).id, False


def confirm_transcript(session: Session, token: str) -> str | None:
    """The visitor opened the link: the address is proven, the transcript goes. Its message id,
    or None when the link is unknown, used or expired (or the address had its share)."""
    claim = claims.redeem(session, token)
    if claim is None or claim.session_hash is None:
        return None
    ids = visitors.conversation_ids(session, Visitor(claim.session_hash, claim.customer_id))
    conv = session.get(m.Conversation, ids[-1]) if ids else None
    if conv is None or claims.mails_to(session, claim.value) >= claims.ADDRESS_LIMIT:
        return None
    body = transcript_text(session, conv)
    return _mail(session, conv, claim.value, TRANSCRIPT_SUBJECT, body).id
