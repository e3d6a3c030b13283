"""WooCommerce's REST API v3 objects (customers, orders) as csdesk's store records.

The same shapes arrive from ``/wp-json/wc/v3/...`` and from webhooks (API version "WP REST API
Integration v3"). Everything is checked: a field of the wrong type, a negative or unparseable
amount, an unknown currency shape or a date that is not a date makes the record
:class:`Malformed` (the caller skips it or refuses the body), never a crash later in the
database. Text is clipped to what csdesk's columns hold.

* Dates: ``date_created_gmt`` / ``date_modified_gmt`` are naive ISO 8601 strings in UTC
  (``"2026-03-22T16:28:02"``); they become aware UTC datetimes.
* Money: decimal strings in the order's ``currency`` (see ``minor_units``). An order's
  ``refunds`` summary carries negative totals (``"-5.00"``): that sign is WooCommerce's
  convention and is dropped. A line's unit price is its ``subtotal`` (before coupons, without
  tax) divided by its quantity, rounded half up to the currency's minor unit.
* Status: WooCommerce's order states map to csdesk's ``OrderStatus`` words (see ``STATUS``).
* Tracking: the Shipment Tracking extension (and Advanced Shipment Tracking, which reuses its
  key) keeps ``_wc_shipment_tracking_items`` in the order's ``meta_data``: a list of
  ``{tracking_provider | custom_tracking_provider, tracking_number, custom_tracking_link,
  date_shipped (unix seconds), tracking_id}``. WooCommerce itself has no shipments.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from csdesk.domain.enums import OrderStatus
from csdesk.server.commerce.bounded_json import Malformed
from csdesk.server.commerce.minor_units import BadAmount, check_currency, to_minor
from csdesk.server.commerce.store_api import (
    StoreCustomer,
    StoreLine,
    StoreOrder,
    StoreRefund,
    StoreShipment,
)

#: WooCommerce order status -> csdesk's. "refunded" stays "paid": the refunds carry the money
#: back (a cancelled order counts for nothing, so calling it cancelled would subtract twice).
STATUS: Final[dict[str, str]] = {
    "pending": OrderStatus.PLACED.value,
    "on-hold": OrderStatus.PLACED.value,
    "failed": OrderStatus.PLACED.value,
    "checkout-draft": OrderStatus.PLACED.value,
    "processing": OrderStatus.PAID.value,
    "completed": OrderStatus.SHIPPED.value,
    "refunded": OrderStatus.PAID.value,
    "cancelled": OrderStatus.CANCELLED.value,
    "trash": OrderStatus.CANCELLED.value,
    # Common plugin statuses (custom order status extensions)
    "shipped": OrderStatus.SHIPPED.value,
    "partial-shipped": OrderStatus.SHIPPED.value,
    "delivered": OrderStatus.DELIVERED.value,
}
TRACKING_META: Final = "_wc_shipment_tracking_items"
#: Column sizes in csdesk's tables (storage/models.py).
_NAME, _SKU, _TITLE, _CARRIER, _TRACKING, _REASON, _NUMBER = 200, 64, 200, 64, 64, 500, 40
_EMAIL, _PHONE, _URL = 320, 40, 2000
_MAX_ID: Final = 10**15


def external_id(value: object, what: str) -> str:
    """A WooCommerce object id (a positive integer) as text."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < _MAX_ID:
        raise Malformed(f"{what} has no valid id")
    return str(value)


def text(value: object, limit: int, what: str = "a field") -> str:
    """A string field (None or absent: ""), stripped and clipped to ``limit`` characters."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()[:limit]
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)[:limit]  # sku "123" sometimes arrives as a number from plugins
    raise Malformed(f"{what} is not text")


def gmt(value: object, what: str) -> datetime | None:
    """A ``*_gmt`` field as an aware UTC datetime (None when WooCommerce has none)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise Malformed(f"{what} is not a date")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Malformed(f"{what} is not a date") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _obj(value: object, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Malformed(f"{what} is not an object")
    return value


def _list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{what} is not a list")
    return value


def _name(*parts: object) -> str:
    return " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())[:_NAME]


def _or_none(value: str) -> str | None:
    return value or None


def customer(data: object) -> StoreCustomer:
    """A ``customer`` object (``GET /customers``, ``customer.*`` webhooks)."""
    body = _obj(data, "the customer")
    cid = external_id(body.get("id"), "the customer")
    billing = _obj(body.get("billing"), "the customer's billing address")
    email = text(body.get("email"), _EMAIL, "the customer's email")
    name = (
        _name(body.get("first_name"), body.get("last_name"))
        or _name(billing.get("first_name"), billing.get("last_name"))
        or text(body.get("username"), _NAME)
        or email
    )
    return StoreCustomer(
        external_id=cid,
        name=name,
        email=_or_none(email),
        phone=_or_none(text(billing.get("phone"), _PHONE, "the customer's phone")),
        # WooCommerce never confirms an account's email: anyone can register (or be created by
        # the REST API) with someone else's address. A typed address merges nothing, so it is
        # carried as an unverified identity for an agent to link.
        email_verified=False,
        created_at=gmt(body.get("date_created_gmt"), "the customer's creation date"),
        updated_at=gmt(body.get("date_modified_gmt"), "the customer's modification date"),
        tags=_customer_tags(body),
    )


def _customer_tags(body: Mapping[str, Any]) -> tuple[str, ...]:
    role = body.get("role")
    tags: list[str] = []
    if isinstance(role, str) and role and role != "customer":
        tags.append(role[:40])
    if body.get("is_paying_customer") is True:
        tags.append("paying")
    return tuple(tags)


def order(data: object) -> StoreOrder:
    """An ``order`` object (``GET /orders``, ``order.*`` webhooks)."""
    body = _obj(data, "the order")
    oid = external_id(body.get("id"), "the order")
    what = f"order {oid}"
    try:
        currency = check_currency(body.get("currency"))
        total = to_minor(body.get("total"), currency)
        lines = tuple(_line(item, currency, what) for item in _list(body.get("line_items"), what))
        refunds = tuple(
            _refund_summary(item, currency, what) for item in _list(body.get("refunds"), what)
        )
    except BadAmount as exc:
        raise Malformed(f"{what}: {exc}") from None
    raw_status = body.get("status")
    if not isinstance(raw_status, str):
        raise Malformed(f"{what} has no status")
    placed = gmt(body.get("date_created_gmt"), f"{what}'s date") or gmt(
        body.get("date_modified_gmt"), f"{what}'s date"
    )
    if placed is None:
        raise Malformed(f"{what} has no date")
    billing = _obj(body.get("billing"), f"{what}'s billing address")
    customer_id = body.get("customer_id")
    number = text(body.get("number"), _NUMBER - 1, f"{what}'s number") or oid
    return StoreOrder(
        external_id=oid,
        number=f"#{number}",
        status=STATUS.get(raw_status, OrderStatus.PLACED.value),
        currency=currency,
        total_cents=total,
        placed_at=placed,
        customer_external_id=(
            external_id(customer_id, f"{what}'s customer")
            if isinstance(customer_id, int) and customer_id > 0
            else None
        ),
        email=_or_none(text(billing.get("email"), _EMAIL, f"{what}'s email")),
        phone=_or_none(text(billing.get("phone"), _PHONE, f"{what}'s phone")),
        lines=lines,
        lines_complete=True,
        shipments=tracking_items(body.get("meta_data"), what),
        refunds=refunds,
        updated_at=gmt(body.get("date_modified_gmt"), f"{what}'s modification date"),
    )


def _line(data: object, currency: str, what: str) -> StoreLine:
    item = _obj(data, f"a line of {what}")
    lid = external_id(item.get("id"), f"a line of {what}")
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity < 10**6:
        raise Malformed(f"line {lid} of {what} has no valid quantity")
    # WooCommerce may keep a line subtotal more precise than the currency ("16.666667").
    subtotal = to_minor(item.get("subtotal", item.get("total")), currency, rounding=True)
    unit = (2 * subtotal + quantity) // (2 * quantity)  # subtotal / quantity, half up
    return StoreLine(
        external_id=lid,
        sku=text(item.get("sku"), _SKU, f"line {lid}'s sku"),
        title=text(item.get("name"), _TITLE, f"line {lid}'s name"),
        quantity=quantity,
        unit_price_cents=unit,
    )


def _refund_summary(data: object, currency: str, what: str) -> StoreRefund:
    item = _obj(data, f"a refund of {what}")
    rid = external_id(item.get("id"), f"a refund of {what}")
    # The order's summary has "total": "-5.00"; a refund object has "amount": "5.00".
    minor = to_minor(item.get("total", item.get("amount")), currency, allow_negative=True)
    return StoreRefund(
        external_id=rid,
        amount_cents=abs(minor),
        reason=text(item.get("reason"), _REASON, f"refund {rid}'s reason"),
        created_at=gmt(item.get("date_created_gmt"), f"refund {rid}'s date"),
    )


def refund(data: object, currency: str) -> StoreRefund:
    """A refund object (``POST /orders/<id>/refunds`` answers one)."""
    try:
        return _refund_summary(data, currency, "the order")
    except BadAmount as exc:
        raise Malformed(f"the refund: {exc}") from None


def tracking_items(meta_data: object, what: str) -> tuple[StoreShipment, ...]:
    """The Shipment Tracking extension's items in ``meta_data`` (none when not installed)."""
    shipments: list[StoreShipment] = []
    for meta in _list(meta_data, f"{what}'s meta data"):
        if not isinstance(meta, Mapping) or meta.get("key") != TRACKING_META:
            continue
        for n, item in enumerate(_list(meta.get("value"), f"{what}'s tracking items")):
            shipment = _tracking(item, n, what)
            if shipment is not None:
                shipments.append(shipment)
    return tuple(shipments)


def _tracking(data: object, n: int, what: str) -> StoreShipment | None:
    item = _obj(data, f"{what}'s tracking item")
    number = text(item.get("tracking_number"), _TRACKING, f"{what}'s tracking number")
    if not number:
        return None
    carrier = text(item.get("custom_tracking_provider"), _CARRIER) or text(
        item.get("tracking_provider"), _CARRIER
    )
    link = text(item.get("custom_tracking_link"), _URL)
    tracking_id = text(item.get("tracking_id"), 64) or f"{n}-{number}"
    return StoreShipment(
        external_id=tracking_id,
        carrier=carrier,
        tracking_number=number,
        # The extension records that a parcel left, not where it is.
        status="in_transit",
        tracking_url=link if link.lower().startswith("https://") else None,
        shipped_at=_unix(item.get("date_shipped")),
    )


def _unix(value: object) -> datetime | None:
    """``date_shipped``: unix seconds, as a number or a string of digits."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**11:
        return datetime.fromtimestamp(value, UTC)
    return None
