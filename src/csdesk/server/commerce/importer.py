"""Store records into csdesk's tables, idempotently: the same record applied twice (an import
page retried, a webhook and the reconcile both seeing a change) changes nothing the second time.

Orders are found by (realm, store, external_id) (``ux_orders_store_external_id``); lines,
shipments, returns and refunds by their store ids. A store's customer becomes a csdesk
customer once and stays linked (``store_customer_links``); the first time it is matched to an
existing customer only through a *verified* identity (an email the store verified and an
identity row some channel verified), never through an address merely typed at checkout.
Otherwise it is a new customer, carrying the store's email and phone as unverified identities.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import IdentityKind, Realm, ReturnStatus
from csdesk.server.channels.customers import (
    attach,
    canonical,
    match,
    name_if_nameless,
    survivor,
    usable_name,
)
from csdesk.server.channels.inbound import Handle
from csdesk.server.commerce.store_api import StoreCustomer, StoreOrder
from csdesk.storage import audit
from csdesk.storage import models as m

REALM = Realm.PRODUCTION.value


def _new_id() -> str:
    return str(uuid.uuid4())


def _handles(
    email: str | None, phone: str | None, email_verified: bool
) -> list[tuple[Handle, bool]]:
    out: list[tuple[Handle, bool]] = []
    if email:
        found = canonical(Handle(IdentityKind.EMAIL, email))
        if found is not None:
            out.append((found, email_verified))
    if phone:
        found = canonical(Handle(IdentityKind.PHONE, phone))
        if found is not None and found.value.startswith("+"):
            out.append((found, False))  # no store verifies a phone number
    return out


def _linked(session: Session, store: str, external_id: str) -> m.Customer | None:
    link = session.get(m.StoreCustomerLink, (store, external_id))
    if link is None:
        return None
    customer = session.get(m.Customer, link.customer_id)
    return survivor(session, customer) if customer is not None else None


def apply_customer(session: Session, store: str, rec: StoreCustomer) -> m.Customer:
    """The csdesk customer for ``rec``: linked before, matched by a verified identity, or new."""
    handles = _handles(rec.email, rec.phone, rec.email_verified)
    customer = _linked(session, store, rec.external_id)
    if customer is not None:
        attach(session, customer, handles)
        # Known first from an order (named by its address), now by the name the store has.
        name_if_nameless(session, customer, rec.name, "store")
        return customer
    verified = [h for h, ok in handles if ok]
    customer = match(session, REALM, verified) if verified else None
    matched = customer is not None
    if customer is None:
        customer = m.Customer(
            id=_new_id(),
            realm=REALM,
            name=usable_name(rec.name) or rec.email or rec.phone or "Store customer",
            tags=list(rec.tags),
        )
        session.add(customer)
        session.flush()
    attach(session, customer, handles)
    session.add(
        m.StoreCustomerLink(
            store=store, external_id=rec.external_id, customer_id=customer.id, realm=REALM
        )
    )
    session.flush()
    audit.record(
        session,
        None,
        "store.customer_link",
        "customer",
        customer.id,
        after={"store": store, "external_id": rec.external_id, "matched": matched},
    )
    return customer


def forget_customer(session: Session, store: str, external_id: str) -> bool:
    """The store deleted its customer: csdesk keeps its customer (and history), unlinked."""
    link = session.get(m.StoreCustomerLink, (store, external_id))
    if link is None:
        return False
    session.delete(link)
    session.flush()
    return True


def _order_customer(
    session: Session, store: str, rec: StoreOrder, customer: StoreCustomer | None
) -> m.Customer:
    if customer is not None:
        return apply_customer(session, store, customer)
    if rec.customer_external_id:
        found = _linked(session, store, rec.customer_external_id)
        if found is not None:
            return found
    # A customer the import has not reached yet is linked under the store's id now (its own
    # record, when it comes, finds this customer); a guest checkout gets one csdesk customer
    # per address it gives. Neither is matched to anyone else: the address is unverified.
    key = rec.customer_external_id or f"guest:{(rec.email or '').lower() or rec.external_id}"[:80]
    return apply_customer(
        session,
        store,
        StoreCustomer(external_id=key, name=rec.email or "Store customer", email=rec.email,
                      phone=rec.phone),
    )  # fmt: skip


def _number(session: Session, store: str, rec: StoreOrder) -> str:
    """The order's number as the customer knows it, told apart if another store has it."""
    for candidate in (rec.number, f"{rec.number} {store}", f"{rec.number} {rec.external_id}"):
        candidate = candidate[:40]
        if session.scalar(select(m.Order.id).where(m.Order.number == candidate)) is None:
            return candidate
    return _new_id()[:40]


def apply_order(
    session: Session, store: str, rec: StoreOrder, customer: StoreCustomer | None = None
) -> m.Order:
    order = session.scalars(
        select(m.Order).where(
            m.Order.realm == REALM, m.Order.store == store, m.Order.external_id == rec.external_id
        )
    ).first()
    if order is None:
        owner = _order_customer(session, store, rec, customer)
        order = m.Order(
            id=_new_id(),
            realm=REALM,
            customer_id=owner.id,
            number=_number(session, store, rec),
            store=store,
            external_id=rec.external_id,
            placed_at=rec.placed_at,
        )
        session.add(order)
    elif customer is not None:
        apply_customer(session, store, customer)
    order.status = rec.status
    order.total_cents = rec.total_cents
    order.currency = rec.currency
    if rec.incomplete is not None:  # None: the record does not say (a webhook's payload)
        order.store_incomplete = sorted(set(rec.incomplete)) or None
    session.flush()
    _lines(session, order, rec)
    _shipments(session, order, rec)
    _returns(session, order, rec)
    return order


def _lines(session: Session, order: m.Order, rec: StoreOrder) -> None:
    have = session.scalars(select(m.OrderLine).where(m.OrderLine.order_id == order.id)).all()
    known = {r.external_id: r for r in have if r.external_id}
    for line in rec.lines:
        row = known.get(line.external_id)
        if row is None:
            row = m.OrderLine(
                id=_new_id(), realm=order.realm, order_id=order.id, external_id=line.external_id
            )
            session.add(row)
        row.sku, row.title = line.sku, line.title
        row.quantity, row.unit_price_cents = line.quantity, line.unit_price_cents
    if rec.lines_complete:
        # Removed at the store: kept (actions and returns may name it) with nothing left on it.
        now_there = {line.external_id for line in rec.lines}
        for external, row in known.items():
            if external not in now_there and row.quantity:
                row.quantity = 0


def _shipments(session: Session, order: m.Order, rec: StoreOrder) -> None:
    have = session.scalars(select(m.Shipment).where(m.Shipment.order_id == order.id)).all()
    known = {r.external_id: r for r in have if r.external_id}
    for ship in rec.shipments:
        row = known.get(ship.external_id)
        if row is None:
            row = m.Shipment(
                id=_new_id(), realm=order.realm, order_id=order.id, external_id=ship.external_id
            )
            session.add(row)
        row.carrier, row.tracking_number = ship.carrier, ship.tracking_number
        row.status, row.tracking_url = ship.status, ship.tracking_url
        row.shipped_at, row.delivered_at = ship.shipped_at, ship.delivered_at
        if ship.eta is not None:
            row.eta = ship.eta


def _returns(session: Session, order: m.Order, rec: StoreOrder) -> None:
    have = session.scalars(select(m.Return).where(m.Return.order_id == order.id)).all()
    known = {r.external_id: r for r in have if r.external_id}

    def row_for(external_id: str) -> m.Return:
        row = known.get(external_id)
        if row is None:
            row = m.Return(
                id=_new_id(), realm=order.realm, order_id=order.id, external_id=external_id
            )
            session.add(row)
            known[external_id] = row
        return row

    for refund in rec.refunds:
        row = row_for(refund.external_id)
        row.status = ReturnStatus.REFUNDED.value
        row.refund_cents = refund.amount_cents
        row.reason = refund.reason or row.reason or ""
    for ret in rec.returns:
        row = row_for(ret.external_id)
        row.status = ret.status
        row.reason = ret.reason or row.reason or ""
        if row.refund_cents is None:
            row.refund_cents = 0
