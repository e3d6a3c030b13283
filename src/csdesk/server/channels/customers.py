"""Recognising the customer behind an inbound contact, whatever the channel.

A person texts, calls and writes on WhatsApp from one number and emails from one address; the
identity rows (kind, canonical value) are how all of it lands on one customer.  A phone number
and a WhatsApp number are the same person, so each matches the other.  An unknown sender
becomes a new customer carrying the identities the contact proved.

Only *verified* identities route anything: rows a channel's provider vouched for (the sender of
a signed webhook, the From of a fetched mail) or an agent set up.  An address somebody merely
typed (the chat widget, the contact form) is an ``IdentityClaim``, a suggestion for the agent,
never a row here that later mail could be matched on.  Names follow the same rule from the
other side: text a sender chose is only a name when it does not pose as an address.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import IdentityKind
from csdesk.protocol import MutationType
from csdesk.server.channels.identities import normalize_email, normalize_phone
from csdesk.server.channels.inbound import Handle
from csdesk.storage import audit
from csdesk.storage import models as m

_SAME_PERSON: dict[IdentityKind, tuple[IdentityKind, ...]] = {
    IdentityKind.PHONE: (IdentityKind.WHATSAPP,),
    IdentityKind.WHATSAPP: (IdentityKind.PHONE,),
}
_MAX_MERGE_CHAIN = 20
#: Anything shaped like ``local@domain.tld`` inside a display name: a name posing as an address.
_ADDRESS_LIKE = re.compile(r"[^\s@<>()\[\],;:\"]+\s*@\s*[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\"]+")
#: A "name" made only of phone-number characters (CallerName is often just the number).
_PHONE_LIKE = re.compile(r"^[\s\d+().\-/#*]*\d[\s\d+().\-/#*]*$")
#: What the server itself names a customer it knows nothing about (see ``display_name``).
PLACEHOLDER_NAMES = frozenset({"Unknown sender", "Website visitor", "Withheld number"})


def new_id() -> str:
    return str(uuid.uuid4())


def canonical(handle: Handle) -> Handle | None:
    """The spelling identity rows store; None when the value cannot identify anyone.

    Email matching ignores the case of the local part as well as the domain: every mainstream
    mail provider does, and customers type their address differently each time.
    """
    value = handle.value.strip()
    if not value:
        return None
    try:
        if handle.kind == IdentityKind.EMAIL:
            value = normalize_email(value).lower()
        elif handle.kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
            value = normalize_phone(value)
    except ValueError:
        if handle.kind == IdentityKind.EMAIL:
            return None
        # Short codes and alphanumeric senders are real senders, just not E.164.
    return Handle(handle.kind, value[:320])


def _variants(handle: Handle) -> list[Handle]:
    return [handle, *(Handle(k, handle.value) for k in _SAME_PERSON.get(handle.kind, ()))]


def survivor(session: Session, customer: m.Customer) -> m.Customer:
    """Follow ``merged_into_id`` to the customer that absorbed this one."""
    seen = 0
    while customer.merged_into_id is not None and seen < _MAX_MERGE_CHAIN:
        target = session.get(m.Customer, customer.merged_into_id)
        if target is None:
            break
        customer, seen = target, seen + 1
    return customer


def usable_name(raw: str | None) -> str | None:
    """``raw`` as a customer name, or None when it is no name at all.

    A display name is text the sender chose: "ceo@shop.example" <x@evil.example> must not make
    the agent believe the mail came from that address, and "+1 415 555 0100" is a number, not a
    name.  Control characters go too (they are never part of a name).
    """
    if raw is None:
        return None
    text = " ".join("".join(ch for ch in raw if ch.isprintable()).split())[:200]
    # Compared in NFKC form, so look-alikes (fullwidth "＠" or "＋", "﹫") pose as nothing either,
    # with the ideographic full stop as the dot IDNA reads it as in a domain name.
    folded = unicodedata.normalize("NFKC", text).replace("\u3002", ".")
    if not text or _ADDRESS_LIKE.search(folded) or _PHONE_LIKE.match(folded):
        return None
    return text


def has_real_name(customer: m.Customer) -> bool:
    """Whether ``customer.name`` is a name someone gave, not one we made up from a handle."""
    name = customer.name or ""
    if name in PLACEHOLDER_NAMES or usable_name(name) is None:
        return False
    for kind in IdentityKind:
        label = kind.value.replace("_", " ").capitalize()
        if name.startswith(label + " "):
            return False
    return True


def name_if_nameless(session: Session, customer: m.Customer, raw: str | None, source: str) -> bool:
    """Give a customer we only know by a handle the name a provider tells us (caller ID, a
    WhatsApp profile, an email display name); the audit entry marks where it came from.  A
    name someone gave is never overwritten.  Whether it changed."""
    name = usable_name(raw)
    if name is None or has_real_name(customer):
        return False
    before = customer.name
    customer.name = name
    audit.record(
        session,
        None,
        MutationType.CUSTOMER_UPDATE,
        "customer",
        customer.id,
        {"name": before},
        {"name": name, "source": source},
    )
    return True


def find_identity(session: Session, realm: str, handle: Handle) -> m.CustomerIdentity | None:
    return session.scalars(
        select(m.CustomerIdentity).where(
            m.CustomerIdentity.realm == realm,
            m.CustomerIdentity.kind == handle.kind.value,
            m.CustomerIdentity.value == handle.value,
        )
    ).first()


def match(session: Session, realm: str, handles: Sequence[Handle]) -> m.Customer | None:
    """The customer one of ``handles`` (canonical, strongest first) belongs to, if any.

    Only verified identity rows count: an unverified row (typed by somebody, proven by nobody)
    must never decide where another channel's mail lands.
    """
    for handle in handles:
        for variant in _variants(handle):
            identity = find_identity(session, realm, variant)
            if identity is None or not identity.verified:
                continue
            customer = session.get(m.Customer, identity.customer_id)
            if customer is not None:
                return survivor(session, customer)
    return None


def attach(
    session: Session, customer: m.Customer, handles: Iterable[tuple[Handle, bool]]
) -> list[m.CustomerIdentity]:
    """Give ``customer`` the identities it lacks; one owned by someone else stays there.

    Two customers claiming one address is for an agent to settle (merge), never for an
    inbound message to decide silently.  The exception is proof against no proof: a verified
    handle whose row is unverified (an older database, an import) takes that row over, audited,
    since ``match`` ignores it and every message would otherwise make yet another customer.
    """
    added = []
    for handle, verified in handles:
        existing = find_identity(session, customer.realm, handle)
        if existing is not None:
            if verified and not existing.verified and existing.customer_id != customer.id:
                _take_over(session, existing, customer)
                added.append(existing)
                _suggest(session, customer, handle)
            elif verified and not existing.verified:
                existing.verified = True
            continue
        identity = m.CustomerIdentity(
            id=new_id(),
            realm=customer.realm,
            customer_id=customer.id,
            kind=handle.kind.value,
            value=handle.value,
            verified=verified,
        )
        session.add(identity)
        added.append(identity)
        if verified:
            _suggest(session, customer, handle)
        if handle.kind == IdentityKind.EMAIL and not customer.email:
            customer.email = handle.value
        is_phone = handle.kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP)
        if is_phone and not customer.phone and handle.value.startswith("+"):
            customer.phone = handle.value
    if added:
        session.flush()  # a concurrent claim of the same identity fails here, not at commit
    return added


def _suggest(session: Session, customer: m.Customer, handle: Handle) -> None:
    """Open claims of ``handle`` by others now have a possible match: ``customer`` proved it."""
    for claim in session.scalars(
        select(m.IdentityClaim).where(
            m.IdentityClaim.realm == customer.realm,
            m.IdentityClaim.kind == handle.kind.value,
            m.IdentityClaim.value == handle.value,
            m.IdentityClaim.match_customer_id.is_(None),
            m.IdentityClaim.linked_at.is_(None),
            m.IdentityClaim.customer_id != customer.id,
        )
    ):
        claim.match_customer_id = customer.id


def _take_over(session: Session, row: m.CustomerIdentity, customer: m.Customer) -> None:
    before = {"customer_id": row.customer_id, "verified": False}
    row.customer_id, row.verified = customer.id, True
    audit.record(
        session,
        None,
        "identity.verified_by_contact",
        "identity",
        row.id,
        before,
        {"customer_id": customer.id, "verified": True},
    )


def display_name(name: str | None, handles: Sequence[Handle]) -> str:
    """A name an agent can read for a customer we have never seen.

    Without a usable name it is the sender's real address (or number), never a display name
    that merely looks like one.
    """
    usable = usable_name(name)
    if usable is not None:
        return usable
    if not handles:
        return "Unknown sender"
    first = handles[0]
    if first.kind in (IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.WHATSAPP):
        return first.value[:200]
    label = first.kind.value.replace("_", " ").capitalize()
    return f"{label} {first.value}"[:200]


def create(session: Session, realm: str, name: str | None, handles: Sequence[Handle]) -> m.Customer:
    customer = m.Customer(id=new_id(), realm=realm, name=display_name(name, handles))
    session.add(customer)
    session.flush()
    return customer
