"""Identities somebody typed for themselves: kept as claims, suggested to agents, proven by mail.

A chat visitor (or the offline form) can type any address, including a customer's. Such an
address proves nothing, so it never becomes a ``customer_identities`` row that later mail
would be matched on, and it never merges anyone: it is an ``IdentityClaim`` on the typist's
own customer. When a customer already has that identity, the claim names them as a *possible
match*; only an agent acts on it (``link_match``, audited).

Mail the server sends on a visitor's behalf goes only to an address the visitor proved: the
first request mails a fixed-text link (no visitor text in it) to the typed address; opening
it (single use, expiring) marks the claim proven. What any one address receives is counted
in the database, across processes and restarts.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from csdesk.domain.enums import IdentityKind
from csdesk.server.channels import customers
from csdesk.server.channels.inbound import Handle
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

CHAT = "chat"
CONTACT_FORM = "contact_form"
TYPED = "typed"  # handed to ingest as ``extra_handles``
#: How long the link that proves an address works.
TOKEN_TTL = timedelta(hours=24)
#: Mails (proof links and transcripts together) one address may receive in ``ADDRESS_WINDOW``.
ADDRESS_LIMIT = 3
ADDRESS_WINDOW = timedelta(hours=1)
#: Different addresses one chat session may type (a typo or two); more is refused.
SESSION_LIMIT = 5


class TooManyClaims(Exception):
    """This chat session has typed ``SESSION_LIMIT`` addresses already."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def record(
    session: Session,
    realm: str,
    customer_id: str,
    handle: Handle,
    *,
    source: str,
    conversation_id: str | None = None,
    session_hash: str | None = None,
) -> m.IdentityClaim:
    """Note that ``customer_id`` typed ``handle`` (canonical); the same claim again is reused.

    The customer who really has that identity (verified or not) becomes the possible match.
    """
    claim = None
    if session_hash is not None:
        claim = session.scalars(
            select(m.IdentityClaim).where(
                m.IdentityClaim.session_hash == session_hash,
                m.IdentityClaim.kind == handle.kind.value,
                m.IdentityClaim.value == handle.value,
            )
        ).first()
        if claim is None and _claims_of_session(session, session_hash) >= SESSION_LIMIT:
            # Each claim is a row and a suggestion agents see: a session cannot mint them
            # without end (sessions are cheap to start).
            raise TooManyClaims(session_hash)
    owner = customers.find_identity(session, realm, handle)
    match: str | None = None
    if owner is not None:
        holder = session.get(m.Customer, owner.customer_id)
        if holder is not None:
            match = customers.survivor(session, holder).id
    if match == customer_id:
        match = None
    if claim is None:
        claim = m.IdentityClaim(
            id=customers.new_id(),
            realm=realm,
            customer_id=customer_id,
            kind=handle.kind.value,
            value=handle.value,
            source=source,
            session_hash=session_hash,
        )
        session.add(claim)
    claim.customer_id = customer_id
    claim.match_customer_id = match
    if conversation_id is not None:
        claim.conversation_id = conversation_id
    claim.updated_at = utcnow()  # the newest claim of a session is the one mail goes to
    session.flush()
    return claim


def _claims_of_session(session: Session, session_hash: str) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(m.IdentityClaim)
        .where(m.IdentityClaim.session_hash == session_hash)
    )
    return int(count or 0)


def latest_email(session: Session, session_hash: str) -> m.IdentityClaim | None:
    """The address this chat session typed last."""
    return session.scalars(
        select(m.IdentityClaim)
        .where(
            m.IdentityClaim.session_hash == session_hash,
            m.IdentityClaim.kind == IdentityKind.EMAIL.value,
        )
        .order_by(m.IdentityClaim.updated_at.desc(), m.IdentityClaim.id)
        .limit(1)
    ).first()


def issue_token(claim: m.IdentityClaim, now: datetime | None = None) -> str:
    """A fresh proof link token for ``claim`` (any earlier one stops working)."""
    token = secrets.token_urlsafe(32)
    claim.token_hash = hash_token(token)
    claim.token_expires_at = (now or utcnow()) + TOKEN_TTL
    return token


def is_live(session: Session, token: str) -> bool:
    """Whether ``token`` would prove its claim now (read-only: opening the page is not proof)."""
    if not token or len(token) > 200:
        return False
    expires = session.scalar(
        select(m.IdentityClaim.token_expires_at).where(
            m.IdentityClaim.token_hash == hash_token(token)
        )
    )
    return expires is not None and expires > utcnow()


def redeem(session: Session, token: str) -> m.IdentityClaim | None:
    """The claim ``token`` proves, now marked proven; None if unknown, used or expired."""
    if not token or len(token) > 200:
        return None
    # Locked: a second open of the same link (a mail scanner, a double click) waits here, and
    # on PostgreSQL then finds the token gone instead of also sending the transcript.
    claim = session.scalars(
        select(m.IdentityClaim)
        .where(m.IdentityClaim.token_hash == hash_token(token))
        .with_for_update()
    ).first()
    if claim is None:
        return None
    now = utcnow()
    expired = claim.token_expires_at is None or claim.token_expires_at <= now
    claim.token_hash, claim.token_expires_at = None, None  # single use, even when expired
    if expired:
        return None
    claim.proven_at = now
    return claim


def mails_to(session: Session, address: str, now: datetime | None = None) -> int:
    """Server-written mails to ``address`` in the current window (proof links, transcripts).

    Counting takes the address's turn for the rest of the transaction (PostgreSQL: an advisory
    lock; SQLite has one writer anyway), so requests from several chat sessions at once cannot
    each count the same mails and together go past ``ADDRESS_LIMIT``.
    """
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(b"csdesk mails_to " + address.encode("utf-8")).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    since = (now or utcnow()) - ADDRESS_WINDOW
    count = session.scalar(
        select(func.count())
        .select_from(m.Message)
        .where(m.Message.recipient == address, m.Message.created_at >= since)
    )
    return int(count or 0)


def open_matches(session: Session, customer_id: str) -> list[m.IdentityClaim]:
    """Claims on ``customer_id`` that suggest another customer and no agent acted on yet."""
    return list(
        session.scalars(
            select(m.IdentityClaim).where(
                m.IdentityClaim.customer_id == customer_id,
                m.IdentityClaim.match_customer_id.is_not(None),
                m.IdentityClaim.linked_at.is_(None),
            )
        )
    )


def anonymous(session: Session, customer: m.Customer) -> bool:
    """A profile with nothing but chat sessions and no orders: a visitor, not a customer yet."""
    kinds = set(
        session.scalars(
            select(m.CustomerIdentity.kind).where(m.CustomerIdentity.customer_id == customer.id)
        )
    )
    has_orders = session.scalars(
        select(m.Order.id).where(m.Order.customer_id == customer.id).limit(1)
    ).first()
    return kinds <= {IdentityKind.CHAT_VISITOR.value} and has_orders is None
