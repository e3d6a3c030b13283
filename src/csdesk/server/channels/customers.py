"""Recognising the customer behind an inbound contact, whatever the channel.

A person texts, calls and writes on WhatsApp from one number and emails from one address; the
identity rows (kind, canonical value) are how all of it lands on one customer.  A phone number
and a WhatsApp number are the same person, so each matches the other.  An unknown sender
becomes a new customer carrying the identities the contact proved.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import IdentityKind
from csdesk.server.channels.identities import normalize_email, normalize_phone
from csdesk.server.channels.inbound import Handle
from csdesk.storage import models as m

_SAME_PERSON: dict[IdentityKind, tuple[IdentityKind, ...]] = {
    IdentityKind.PHONE: (IdentityKind.WHATSAPP,),
    IdentityKind.WHATSAPP: (IdentityKind.PHONE,),
}
_MAX_MERGE_CHAIN = 20


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


def find_identity(session: Session, realm: str, handle: Handle) -> m.CustomerIdentity | None:
    return session.scalars(
        select(m.CustomerIdentity).where(
            m.CustomerIdentity.realm == realm,
            m.CustomerIdentity.kind == handle.kind.value,
            m.CustomerIdentity.value == handle.value,
        )
    ).first()


def match(session: Session, realm: str, handles: Sequence[Handle]) -> m.Customer | None:
    """The customer one of ``handles`` (canonical, strongest first) belongs to, if any."""
    for handle in handles:
        for variant in _variants(handle):
            identity = find_identity(session, realm, variant)
            if identity is None:
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
    inbound message to decide silently.
    """
    added = []
    for handle, verified in handles:
        if find_identity(session, customer.realm, handle) is not None:
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
        if handle.kind == IdentityKind.EMAIL and not customer.email:
            customer.email = handle.value
        is_phone = handle.kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP)
        if is_phone and not customer.phone and handle.value.startswith("+"):
            customer.phone = handle.value
    if added:
        session.flush()  # a concurrent claim of the same identity fails here, not at commit
    return added


def display_name(name: str | None, handles: Sequence[Handle]) -> str:
    """A name an agent can read for a customer we have never seen."""
    if name and name.strip():
        return name.strip()[:200]
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
