"""The message an outreach record proposes: the delay-notice canned response in the customer's
language (English when the shop has none in it), its placeholders filled from the customer,
the order and its parcel (``domain.placeholders``). Unfilled placeholders stay visible, so the
agent sees them in the list before anything is sent."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.macros import Scope
from csdesk.domain.outreach import DelayReason
from csdesk.domain.placeholders import fill, split_name
from csdesk.storage import models as m

#: Canned-response shortcuts the proposals come from: a late parcel, an order not shipped.
SHIPPED_SHORTCUT: Final = "/delay-notice"
UNSHIPPED_SHORTCUT: Final = "/ship-delay"
#: Used when the shop has no such canned response in any language.
FALLBACK: Final = {
    SHIPPED_SHORTCUT: (
        "Hi {first_name}, your order {order_number} is taking longer than we promised. "
        "We are following it up with {carrier} (tracking number {tracking_number}) and will "
        "keep you posted. We are sorry for the wait."
    ),
    UNSHIPPED_SHORTCUT: (
        "Hi {first_name}, your order {order_number} has not left our warehouse yet, later "
        "than we promised. We are on it and will write as soon as it ships. We are sorry "
        "for the wait."
    ),
}
#: Email subjects, by language (``{order_number}`` filled in).
SUBJECTS: Final = {
    "en": "An update on your order {order_number}",
    "de": "Neuigkeiten zu Ihrer Bestellung {order_number}",
    "fr": "Des nouvelles de votre commande {order_number}",
    "es": "Novedades sobre tu pedido {order_number}",
    "nl": "Nieuws over je bestelling {order_number}",
}


def shortcut_for(reason: DelayReason) -> str:
    return UNSHIPPED_SHORTCUT if reason == DelayReason.UNSHIPPED else SHIPPED_SHORTCUT


def canned_body(session: Session, realm: str, shortcut: str, language: str) -> str:
    """The shop-wide canned response's body in ``language``, else English, else the built-in
    text. Only one shared with everyone counts (an agent's personal or a team's text never
    becomes the shop's message to customers), never a deleted one; the newest edit wins."""
    C = m.CannedResponse
    rows = session.execute(
        select(C.language, C.body)
        .where(
            C.realm == realm,
            C.shortcut == shortcut,
            C.scope == Scope.EVERYONE.value,
            C.deleted_at.is_(None),
        )
        .order_by(C.updated_at, C.id)
    ).all()
    by_lang = {str(lang): str(body) for lang, body in rows}
    return by_lang.get(language) or by_lang.get("en") or FALLBACK[shortcut]


def propose(
    session: Session,
    customer: m.Customer,
    order: m.Order,
    shipment: m.Shipment | None,
    reason: DelayReason,
) -> tuple[str, str, str]:
    """(language, subject, message) for writing to ``customer`` about ``order``."""
    language = (customer.language or "en").split("-")[0].lower()
    body = canned_body(session, order.realm, shortcut_for(reason), language)
    first, last = split_name(customer.name)
    values: dict[str, str | None] = {
        "first_name": first,
        "last_name": last,
        "customer_name": customer.name,
        "customer_email": customer.email,
        "customer_phone": customer.phone,
        "order_number": order.number,
        "order_status": order.status,
        "carrier": shipment.carrier if shipment else None,
        "tracking_number": shipment.tracking_number if shipment else None,
        "delivery_eta": f"{shipment.eta:%Y-%m-%d}" if shipment and shipment.eta else None,
    }
    subject = fill(SUBJECTS.get(language, SUBJECTS["en"]), values).text
    return language, subject, fill(body, values).text
