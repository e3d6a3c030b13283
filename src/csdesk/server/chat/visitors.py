"""Visitor sessions: a random token, kept only as its SHA-256 in a ``chat_visitor`` identity.

The identity row *is* the session: looking a token up is one indexed query, a merge of the
visitor's customer into another profile carries the session along, and nothing secret is
stored (the feed shows agents the hash, which opens nothing).  Which conversations belong to
a session is recorded in ``conversation_routes`` (kind ``chat_visitor``, address = the hash),
so a visitor only ever sees the threads they wrote in, never the rest of a linked customer's.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, IdentityKind, Realm
from csdesk.server.channels import conversations as threads
from csdesk.server.channels import customers
from csdesk.server.channels.inbound import Handle
from csdesk.server.channels.ingest import save_route
from csdesk.server.conversation_merge import follow as merged
from csdesk.server.errors import ApiError
from csdesk.server.languages import on_ingest
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

REALM = Realm.PRODUCTION.value
#: A visitor who comes back within this keeps their conversation; after it they start afresh.
SESSION_TTL = timedelta(days=30)
ROUTE_PROVIDER = "chat"
DEFAULT_NAME = "Website visitor"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def handle_for(token_hash: str) -> Handle:
    return Handle(IdentityKind.CHAT_VISITOR, token_hash)


@dataclass(frozen=True, slots=True)
class Visitor:
    token_hash: str
    customer_id: str  # the surviving customer (after merges)


def start(session: Session, name: str | None, language: str | None = None) -> tuple[str, Visitor]:
    """A new session and its customer; returns the token (shown once) and the visitor.

    ``language`` is the one the widget speaks to the visitor: the customer's until their
    messages say better (``languages.on_ingest.from_page``); their chats start in it."""
    token = secrets.token_urlsafe(32)
    digest = hash_token(token)
    handle = handle_for(digest)
    customer = customers.create(
        session, REALM, customers.usable_name(name) or DEFAULT_NAME, [handle]
    )
    customers.attach(session, customer, [(handle, True)])
    on_ingest.from_page(customer, language)
    return token, Visitor(digest, customer.id)


def lookup(session: Session, token: str | None) -> Visitor:
    """The visitor behind ``token``, or 401 (unknown, expired or malformed)."""
    if not token or len(token) > 200:
        raise ApiError(401, "chat_session_invalid", "start a chat session first")
    digest = hash_token(token)
    identity = customers.find_identity(session, REALM, handle_for(digest))
    if identity is None or utcnow() - identity.created_at > SESSION_TTL:
        raise ApiError(401, "chat_session_invalid", "this chat session has ended; start again")
    customer = session.get(m.Customer, identity.customer_id)
    assert customer is not None
    return Visitor(digest, customers.survivor(session, customer).id)


def conversation_ids(session: Session, visitor: Visitor) -> list[str]:
    """The visitor's own chat conversations, oldest first."""
    return list(
        session.scalars(
            select(m.ConversationRoute.conversation_id)
            .join(m.Conversation, m.Conversation.id == m.ConversationRoute.conversation_id)
            .where(
                m.ConversationRoute.kind == IdentityKind.CHAT_VISITOR.value,
                m.ConversationRoute.address == visitor.token_hash,
                m.Conversation.deleted_at.is_(None),
            )
            .order_by(m.Conversation.created_at)
        )
    )


def current_conversation(session: Session, visitor: Visitor) -> m.Conversation | None:
    """The conversation the visitor's next message continues (None: a new one)."""
    ids = conversation_ids(session, visitor)
    if not ids:
        return None
    conv = session.get(m.Conversation, ids[-1])
    if conv is not None:  # merged (docs/merge-split.md): the chat goes on where it went
        conv = merged.live(session, conv)  # None: merged into one deleted since
    if conv is None or not threads.continues(conv, utcnow()):
        return None
    return conv


def remember(session: Session, visitor: Visitor, conversation_id: str, store: str | None) -> None:
    """Replies in ``conversation_id`` go to this visitor's session (the ingest route rule)."""
    save_route(
        session,
        conversation_id,
        ROUTE_PROVIDER,
        Handle(IdentityKind.CHAT_VISITOR, visitor.token_hash),
        store,
    )


def first_inbound_id(session: Session, conversation_id: str) -> str | None:
    """A provider id in ``conversation_id``, for threading the next message into it."""
    return session.scalars(
        select(m.Message.provider_message_id)
        .where(
            m.Message.conversation_id == conversation_id,
            m.Message.channel == Channel.CHAT.value,
            m.Message.provider_message_id.is_not(None),
        )
        .limit(1)
    ).first()
