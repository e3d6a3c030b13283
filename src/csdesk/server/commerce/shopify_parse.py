"""Shopify's shapes as csdesk records: GraphQL Admin API nodes (import, reconcile, one order)
and the REST-shaped JSON of webhooks (``orders/updated`` and friends).

Both name the same objects, so ids are always the GraphQL global ids
(``gid://shopify/Order/450789469``): a webhook's numeric ``id`` is turned into one. Money is
parsed from decimal strings into minor units; anything malformed raises :class:`ShapeError`
(the webhook answers 400, an import records the error and retries). Text is cut to what the
columns hold; NUL and lone surrogates were already replaced when the JSON was read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from csdesk.domain.enums import OrderStatus, ReturnStatus
from csdesk.server.commerce.minor_units import MAX_MINOR
from csdesk.server.commerce.store_api import (
    StoreCustomer,
    StoreLine,
    StoreOrder,
    StoreRefund,
    StoreReturn,
    StoreShipment,
)

#: ISO 4217 currencies without minor units (the rest Shopify sells in have two).
_ZERO_DECIMAL: Final = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX", "XAF"})
_THREE_DECIMAL: Final = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
#: What the INTEGER money columns hold (PostgreSQL refuses more: a 500 before this bound).
_MAX_CENTS: Final = MAX_MINOR
_MAX_ITEMS: Final = 250
#: The most of an order's lines and returns kept (the connector pages up to these).
MAX_ORDER_LINES: Final = 1000
MAX_ORDER_RETURNS: Final = 500
#: Shopify's fulfillment display/shipment statuses in csdesk's words.
SHIPMENT_STATUS: Final = {
    "label_printed": "label_created",
    "label_purchased": "label_created",
    "label_voided": "cancelled",
    "confirmed": "in_transit",
    "submitted": "in_transit",
    "fulfilled": "in_transit",
    "marked_as_fulfilled": "in_transit",
    "success": "in_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "attempted_delivery": "exception",
    "ready_for_pickup": "out_for_delivery",
    "picked_up": "delivered",
    "delivered": "delivered",
    "failure": "exception",
    "not_delivered": "exception",
    "error": "exception",
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "open": "label_created",
    "pending": "label_created",
}
RETURN_STATUS: Final = {
    "requested": ReturnStatus.REQUESTED.value,
    "open": ReturnStatus.APPROVED.value,
    "closed": ReturnStatus.RECEIVED.value,
    "declined": ReturnStatus.REJECTED.value,
    "canceled": ReturnStatus.REJECTED.value,
}


class ShapeError(ValueError):
    """Shopify's JSON is not the documented shape."""


def gid(kind: str, value: Any) -> str:
    """A global id from a REST numeric id (or the global id itself)."""
    if isinstance(value, str) and value.startswith("gid://shopify/"):
        return value[:80]
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ShapeError(f"{kind} id is not a Shopify id")
    text = str(value)
    if len(text) > 20:
        raise ShapeError(f"{kind} id is too long")
    return f"gid://shopify/{kind}/{text}"


def text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ShapeError("a text field is not text")
    return " ".join(str(value).split())[:limit] if limit < 1000 else str(value)[:limit]


def opt_text(value: Any, limit: int) -> str | None:
    out = text(value, limit)
    return out or None


def when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ShapeError("a time is not an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ShapeError(f"{value[:40]!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def exponent(currency: str) -> int:
    if currency in _ZERO_DECIMAL:
        return 0
    return 3 if currency in _THREE_DECIMAL else 2


def cents(amount: Any, currency: str) -> int:
    """``"12.34"`` in ``currency`` as minor units; refuses what is not a sane amount."""
    if isinstance(amount, bool) or not isinstance(amount, str | int | float):
        raise ShapeError("an amount is not a number")
    try:
        value = Decimal(str(amount)[:40])
    except InvalidOperation:
        raise ShapeError("an amount is not a number") from None
    if not value.is_finite():
        raise ShapeError("an amount is not a number")
    if value.adjusted() > 18:  # "9e999999": past any amount, and past Decimal's range once scaled
        raise ShapeError("an amount is out of range")
    minor = int((value * (10 ** exponent(currency))).to_integral_value())
    if abs(minor) > _MAX_CENTS:
        raise ShapeError("an amount is out of range")
    return minor


def money(node: Any, fallback_currency: str) -> tuple[int, str]:
    """A ``MoneyBag`` (``{shopMoney: {amount, currencyCode}}``) as (minor units, currency)."""
    shop = _obj(_obj(node).get("shopMoney"))
    currency = currency_code(shop.get("currencyCode") or fallback_currency)
    return cents(shop.get("amount", "0"), currency), currency


def currency_code(value: Any) -> str:
    code = str(value or "").upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ShapeError("a currency is not an ISO 4217 code")
    return code


def _obj(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ShapeError("an object was expected")
    return value


def _list(
    value: Any, limit: int = _MAX_ITEMS, cut: list[str] | None = None, kind: str = ""
) -> list[Any]:
    """The items of a list (or a connection's ``nodes``), at most ``limit``; when there were
    more, ``kind`` is added to ``cut`` (the order says it was not read whole)."""
    if value is None:
        return []
    if isinstance(value, dict) and "nodes" in value:
        value = value["nodes"]
    if not isinstance(value, list):
        raise ShapeError("a list was expected")
    if len(value) > limit and cut is not None:
        cut.append(kind)
    return value[:limit]


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = value.split(",")
    else:
        items = [str(v) for v in _list(value) if isinstance(v, str | int)]
    return tuple(t for t in (" ".join(i.split())[:40] for i in items[:50]) if t)


def _name(first: Any, last: Any, display: Any = None) -> str:
    whole = text(display, 200) or " ".join(p for p in (text(first, 100), text(last, 100)) if p)
    return whole[:200]


# --- GraphQL --------------------------------------------------------------------------------


def customer_node(node: Any) -> StoreCustomer:
    c = _obj(node)
    email = opt_text(c.get("email"), 320)
    return StoreCustomer(
        external_id=gid("Customer", c.get("id")),
        name=_name(c.get("firstName"), c.get("lastName"), c.get("displayName")) or (email or ""),
        email=email,
        phone=opt_text(c.get("phone"), 32),
        email_verified=bool(c.get("verifiedEmail")) and email is not None,
        created_at=when(c.get("createdAt")),
        tags=_tags(c.get("tags")),
        updated_at=when(c.get("updatedAt")),
    )


def _shipment_node(node: Any) -> StoreShipment:
    f = _obj(node)
    tracking = _list(f.get("trackingInfo"))
    first = _obj(tracking[0]) if tracking else {}
    status = str(f.get("displayStatus") or f.get("status") or "").lower()
    return StoreShipment(
        external_id=gid("Fulfillment", f.get("id")),
        carrier=text(first.get("company"), 64),
        tracking_number=text(first.get("number"), 64),
        status=SHIPMENT_STATUS.get(status, "in_transit"),
        tracking_url=_https(first.get("url")),
        shipped_at=when(f.get("inTransitAt") or f.get("createdAt")),
        delivered_at=when(f.get("deliveredAt")),
        eta=when(f.get("estimatedDeliveryAt")),
    )


def _https(value: Any) -> str | None:
    url = text(value, 500)
    return url if url.startswith("https://") and len(url) < 500 else None


def _order_status(
    cancelled: bool, financial: str, fulfillment: str, shipments: tuple[StoreShipment, ...]
) -> str:
    if cancelled:
        return OrderStatus.CANCELLED.value
    if shipments and all(s.status == "delivered" for s in shipments):
        return OrderStatus.DELIVERED.value
    if fulfillment in ("fulfilled", "partially_fulfilled", "partial") or shipments:
        return OrderStatus.SHIPPED.value
    if financial in ("paid", "partially_refunded", "refunded", "partially_paid"):
        return OrderStatus.PAID.value
    return OrderStatus.PLACED.value


def order_node(node: Any) -> StoreOrder:
    o = _obj(node)
    total, currency = money(o.get("totalPriceSet"), str(o.get("currencyCode") or "USD"))
    cut: list[str] = []
    lines = []
    for item in _list(o.get("lineItems"), MAX_ORDER_LINES, cut, "lines"):
        li = _obj(item)
        price, _cur = money(li.get("originalUnitPriceSet"), currency)
        lines.append(
            StoreLine(
                external_id=gid("LineItem", li.get("id")),
                sku=text(li.get("sku"), 64),
                title=text(li.get("title"), 200),
                # What is on the order now: an order edit that removes an item leaves the
                # line with ``currentQuantity`` 0 (``quantity`` stays what was first ordered).
                quantity=_quantity(_current(li, "currentQuantity")),
                unit_price_cents=price,
            )
        )
    shipments = tuple(
        _shipment_node(f) for f in _list(o.get("fulfillments"), _MAX_ITEMS, cut, "shipments")
    )
    refunds = []
    for item in _list(o.get("refunds"), _MAX_ITEMS, cut, "refunds"):
        r = _obj(item)
        amount, _cur = money(r.get("totalRefundedSet"), currency)
        refunds.append(
            StoreRefund(
                external_id=gid("Refund", r.get("id")),
                amount_cents=amount,
                reason=text(r.get("note"), 500),
                created_at=when(r.get("createdAt")),
            )
        )
    returns = tuple(
        StoreReturn(
            external_id=gid("Return", _obj(r).get("id")),
            status=RETURN_STATUS.get(str(_obj(r).get("status") or "").lower(), "requested"),
            reason=text(_obj(r).get("name"), 500),
        )
        for r in _list(o.get("returns"), MAX_ORDER_RETURNS, cut, "returns")
    )
    customer = _obj(o.get("customer"))
    placed = when(o.get("processedAt") or o.get("createdAt"))
    if placed is None:
        raise ShapeError("an order has no creation time")
    return StoreOrder(
        external_id=gid("Order", o.get("id")),
        number=text(o.get("name"), 40) or text(o.get("id"), 40),
        status=_order_status(
            o.get("cancelledAt") is not None,
            str(o.get("displayFinancialStatus") or "").lower(),
            str(o.get("displayFulfillmentStatus") or "").lower(),
            shipments,
        ),
        currency=currency,
        total_cents=total,
        placed_at=placed,
        customer_external_id=gid("Customer", customer["id"]) if customer.get("id") else None,
        email=opt_text(o.get("email"), 320),
        phone=opt_text(o.get("phone"), 32),
        lines=tuple(lines),
        shipments=shipments,
        refunds=tuple(refunds),
        updated_at=when(o.get("updatedAt")),
        returns=returns,
        incomplete=tuple(cut),
    )


def _current(line: dict[str, Any], key: str) -> Any:
    """The line's current quantity where Shopify gives one, else the ordered quantity."""
    value = line.get(key)
    return line.get("quantity") if value is None else value


def _quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise ShapeError("a quantity is not a sane whole number")
    return value


# --- webhooks (REST shapes) -----------------------------------------------------------------


def rest_customer(data: Any) -> StoreCustomer:
    c = _obj(data)
    email = opt_text(c.get("email"), 320)
    return StoreCustomer(
        external_id=gid("Customer", c.get("id")),
        name=_name(c.get("first_name"), c.get("last_name")) or (email or ""),
        email=email,
        phone=opt_text(c.get("phone"), 32),
        email_verified=bool(c.get("verified_email")) and email is not None,
        created_at=when(c.get("created_at")),
        tags=_tags(c.get("tags")),
        updated_at=when(c.get("updated_at")),
    )


def rest_order(data: Any) -> StoreOrder:
    o = _obj(data)
    currency = currency_code(o.get("currency") or "USD")
    cut: list[str] = []
    lines = tuple(
        StoreLine(
            external_id=gid("LineItem", _obj(li).get("id")),
            sku=text(_obj(li).get("sku"), 64),
            title=text(_obj(li).get("title") or _obj(li).get("name"), 200),
            quantity=_quantity(_current(_obj(li), "current_quantity")),
            unit_price_cents=cents(_obj(li).get("price", "0"), currency),
        )
        for li in _list(o.get("line_items"), MAX_ORDER_LINES, cut, "lines")
    )
    shipments = []
    for item in _list(o.get("fulfillments"), _MAX_ITEMS, cut, "shipments"):
        f = _obj(item)
        status = str(f.get("shipment_status") or f.get("status") or "").lower()
        numbers = _list(f.get("tracking_numbers")) or [f.get("tracking_number")]
        urls = _list(f.get("tracking_urls")) or [f.get("tracking_url")]
        shipments.append(
            StoreShipment(
                external_id=gid("Fulfillment", f.get("id")),
                carrier=text(f.get("tracking_company"), 64),
                tracking_number=text(numbers[0], 64),
                status=SHIPMENT_STATUS.get(status, "in_transit"),
                tracking_url=_https(urls[0]),
                shipped_at=when(f.get("created_at")),
            )
        )
    refunds = []
    for item in _list(o.get("refunds"), _MAX_ITEMS, cut, "refunds"):
        r = _obj(item)
        amount = sum(
            cents(_obj(t).get("amount", "0"), currency)
            for t in _list(r.get("transactions"))
            if _obj(t).get("kind") == "refund" and _obj(t).get("status") in ("success", None)
        )
        if not 0 <= amount <= _MAX_CENTS:  # each transaction in range, their sum too
            raise ShapeError("a refund's amount is out of range")
        refunds.append(
            StoreRefund(
                external_id=gid("Refund", r.get("id")),
                amount_cents=amount,
                reason=text(r.get("note"), 500),
                created_at=when(r.get("created_at")),
            )
        )
    customer = _obj(o.get("customer"))
    placed = when(o.get("processed_at") or o.get("created_at"))
    if placed is None:
        raise ShapeError("an order has no creation time")
    ships = tuple(shipments)
    return StoreOrder(
        external_id=gid("Order", o.get("id")),
        number=text(o.get("name"), 40) or f"#{text(o.get('order_number'), 30)}",
        status=_order_status(
            o.get("cancelled_at") is not None,
            str(o.get("financial_status") or "").lower(),
            str(o.get("fulfillment_status") or "").lower(),
            ships,
        ),
        currency=currency,
        total_cents=cents(o.get("total_price", "0"), currency),
        placed_at=placed,
        customer_external_id=gid("Customer", customer["id"]) if customer.get("id") else None,
        email=opt_text(o.get("email"), 320),
        phone=opt_text(o.get("phone"), 32),
        lines=lines,
        shipments=ships,
        refunds=tuple(refunds),
        updated_at=when(o.get("updated_at")),
        # A webhook carries no returns: it says nothing of them unless it was itself cut.
        incomplete=tuple(cut) or None,
    )


def rest_customer_of(data: Any) -> StoreCustomer | None:
    """The customer embedded in a REST order payload, if it has one."""
    customer = _obj(_obj(data).get("customer"))
    return rest_customer(customer) if customer.get("id") else None
