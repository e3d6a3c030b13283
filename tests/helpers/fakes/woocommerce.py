"""WooCommerce's REST API v3 as documented (``/wp-json/wc/v3/...``), for the store connector.

Checked on every request: HTTP Basic auth with the consumer key/secret (never in the query
string), the documented paths and query parameters (``page`` >= 1, ``per_page`` 1..100,
``orderby``/``order`` enums, ``modified_after`` ISO 8601 with ``dates_are_gmt``, the orders'
``customer``/``after``/``before``/``search`` filters, a note list's ``type``), a JSON
``Content-Type`` on writes and the documented body fields of each write (refunds, notes,
order updates, order creation). What breaks the rules gets WooCommerce's error JSON
(``{"code", "message", "data": {"status"}}``) and is listed in ``violations``.

Lists answer ``X-WP-Total`` / ``X-WP-TotalPages`` and a ``Link`` header, sorted as asked. The
site's time zone is UTC+2 (``SITE_OFFSET``), so a ``modified_after`` sent without
``dates_are_gmt=true`` is read two hours off, as on a real site. Business refusals come as
WooCommerce sends them: an over-refund or a gateway that cannot refund is HTTP 500
``woocommerce_rest_cannot_create_order_refund``.
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
from collections import deque
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

from tests.helpers.fakes.base import Answer, FakeProvider, Recorded, Violation

PREFIX = "/wp-json/wc/v3"
SITE_OFFSET = timedelta(hours=2)
ORDER_STATUSES = (
    "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash",
    "checkout-draft",
)  # fmt: skip
ADDRESS_KEYS = frozenset(
    {
        "first_name", "last_name", "company", "address_1", "address_2", "city", "state",
        "postcode", "country", "email", "phone",
    }
)  # fmt: skip
_LIST_PARAMS = {
    "customers": {
        "page", "per_page", "orderby", "order", "role", "email", "search", "context",
    },
    "orders": {
        "page", "per_page", "orderby", "order", "modified_after", "modified_before",
        "dates_are_gmt", "status", "customer", "after", "before", "context", "search",
    },
}  # fmt: skip
_LIST_PARAMS["refunds"] = {"page", "per_page", "orderby", "order", "context", "dp"}
#: ``GET /orders/<id>/notes`` takes no paging: ``context`` and ``type`` (any, customer, internal).
_NOTE_TYPES = ("any", "customer", "internal")
#: WordPress's ``date-time`` argument format (``rest_parse_date``): RFC 3339, the offset optional.
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}(?::\d{2})?)?$"
)
_ORDERBY = {
    "customers": {"id", "include", "name", "registered_date"},
    "orders": {"date", "id", "include", "title", "slug", "modified"},
    "refunds": {"date", "id", "include", "title", "slug", "modified"},
}


def wc_time(when: datetime) -> tuple[str, str]:
    """(site-local, GMT) as WooCommerce prints them: naive ISO 8601, seconds."""
    utc = when.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return (utc + SITE_OFFSET).isoformat(), utc.isoformat()


def money(value: Decimal | str) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def make_customer(
    cid: int, email: str, first: str, last: str, modified: datetime
) -> dict[str, Any]:
    local, gmt = wc_time(modified - timedelta(days=30))
    mlocal, mgmt = wc_time(modified)
    return {
        "id": cid,
        "date_created": local,
        "date_created_gmt": gmt,
        "date_modified": mlocal,
        "date_modified_gmt": mgmt,
        "email": email,
        "first_name": first,
        "last_name": last,
        "role": "customer",
        "username": email.split("@")[0],
        "billing": {
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": "+4915112345678",
        },
        "shipping": {"first_name": first, "last_name": last},
        "is_paying_customer": True,
        "avatar_url": "https://secure.gravatar.com/avatar/x",
        "meta_data": [],
    }


def make_order(
    oid: int,
    *,
    customer_id: int = 0,
    status: str = "processing",
    currency: str = "EUR",
    lines: list[tuple[str, int, str]] | None = None,  # (name, quantity, line total)
    modified: datetime | None = None,
    email: str = "ana@example.com",
    tracking: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An order as ``GET /orders/<id>`` returns it (the fields csdesk reads and a few more)."""
    modified = modified or datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    created = modified - timedelta(days=2)
    lines = lines if lines is not None else [("Blue mug", 2, "20.00")]
    items = []
    total = Decimal(0)
    for n, (name, qty, line_total) in enumerate(lines):
        total += Decimal(line_total)
        items.append(
            {
                "id": oid * 10 + n,
                "name": name,
                "product_id": 500 + n,
                "variation_id": 0,
                "quantity": qty,
                "tax_class": "",
                "subtotal": line_total,
                "subtotal_tax": "0.00",
                "total": line_total,
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
                "sku": f"SKU-{n}",
                "price": float(Decimal(line_total) / qty),
            }
        )
    clocal, cgmt = wc_time(created)
    mlocal, mgmt = wc_time(modified)
    meta: list[dict[str, Any]] = [{"id": 1, "key": "is_vat_exempt", "value": "no"}]
    if tracking is not None:
        meta.append({"id": 2, "key": "_wc_shipment_tracking_items", "value": tracking})
    return {
        "id": oid,
        "parent_id": 0,
        "number": str(oid),
        "order_key": f"wc_order_{oid}",
        "created_via": "checkout",
        "status": status,
        "currency": currency,
        "date_created": clocal,
        "date_created_gmt": cgmt,
        "date_modified": mlocal,
        "date_modified_gmt": mgmt,
        "discount_total": "0.00",
        "shipping_total": "0.00",
        "total": money(total) if currency != "JPY" else str(int(total)),
        "total_tax": "0.00",
        "customer_id": customer_id,
        "billing": {
            "first_name": "Ana",
            "last_name": "Lopez",
            "address_1": "Calle 1",
            "city": "Madrid",
            "postcode": "28001",
            "country": "ES",
            "email": email,
            "phone": "+34600000000",
        },
        "shipping": {
            "first_name": "Ana",
            "last_name": "Lopez",
            "address_1": "Calle 1",
            "city": "Madrid",
            "postcode": "28001",
            "country": "ES",
        },
        "payment_method": "bacs",
        "line_items": items,
        "shipping_lines": [],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
        "meta_data": meta,
    }


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


class FakeWooCommerce(FakeProvider):
    name = "woocommerce"

    def __init__(self, key: str, secret: str) -> None:
        super().__init__()
        self.key = key
        self.secret = secret
        self.customers: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.gateway_refunds = True
        self._ids = itertools.count(9000)
        self._next: deque[Answer] = deque()

    # --- control ------------------------------------------------------------------------

    def reset(self) -> None:
        """An empty store with no faults or records (between tests on one running fake)."""
        self.clear()
        with self._cond:
            self.customers.clear()
            self.orders.clear()
            self.notes.clear()
            self.refunds.clear()
            self._next.clear()
            self.gateway_refunds = True

    def add_customer(self, data: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            self.customers[data["id"]] = data
        return data

    def add_order(self, data: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            self.orders[data["id"]] = data
        return data

    def answer_next(self, answer: Answer) -> None:
        """The next valid request gets ``answer`` (a malformed, huge or deep body)."""
        with self._cond:
            self._next.append(answer)

    # --- errors -------------------------------------------------------------------------

    def error(self, status: int, message: str) -> Answer:
        codes = {
            401: "woocommerce_rest_cannot_view",
            404: "rest_no_route",
            429: "too_many_requests",
        }
        body = {"code": codes.get(status, "internal_server_error"), "message": message,
                "data": {"status": status}}  # fmt: skip
        headers = {"Retry-After": "7"} if status == 429 else {}
        return Answer(status, body, headers=headers)

    def _wc_error(self, status: int, code: str, message: str) -> Answer:
        return Answer(status, {"code": code, "message": message, "data": {"status": status}})

    def _violation(self, status: int, code: str, why: str) -> Violation:
        return Violation(self._wc_error(status, code, why), why)

    def _bad_param(self, name: str, why: str) -> Violation:
        answer = Answer(
            400,
            {
                "code": "rest_invalid_param",
                "message": f"Invalid parameter(s): {name}",
                "data": {"status": 400, "params": {name: why}},
            },
        )
        return Violation(answer, f"{name}: {why}")

    # --- the API ------------------------------------------------------------------------

    def _authorised(self, req: Recorded) -> bool:
        expected = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        return req.headers.get("authorization") == f"Basic {expected}"

    def handle(self, req: Recorded) -> Answer:
        query = parse_qs(req.query, keep_blank_values=True)
        if "consumer_key" in query or "consumer_secret" in query:
            raise self._violation(400, "csdesk_rule", "credentials in the query string")
        if not self._authorised(req):
            raise self._violation(
                401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
            )
        if not req.path.startswith(PREFIX + "/"):
            raise self._violation(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        with self._cond:
            if self._next:
                return self._next.popleft()
        parts = req.path[len(PREFIX) + 1 :].split("/")
        with self._cond:
            return self._route(req, parts, query)

    def _route(self, req: Recorded, parts: list[str], query: dict[str, list[str]]) -> Answer:
        method = req.method
        if parts == ["customers"] and method == "GET":
            return self._list(query, "customers", list(self.customers.values()))
        if parts == ["orders"] and method == "GET":
            return self._list(query, "orders", list(self.orders.values()))
        if parts == ["orders"] and method == "POST":
            return self._create_order(self._body(req))
        if len(parts) >= 2 and parts[0] == "orders" and parts[1].isdigit():
            order = self.orders.get(int(parts[1]))
            if order is None:
                raise self._violation(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            rest = parts[2:]
            if rest == [] and method == "GET":
                return Answer(200, copy.deepcopy(order))
            if rest == [] and method == "PUT":
                return self._update_order(order, self._body(req))
            if rest == ["notes"] and method == "POST":
                return self._add_note(order, self._body(req))
            if rest == ["notes"] and method == "GET":
                return self._list_notes(order, query)
            if rest == ["refunds"] and method == "GET":
                return self._list(query, "refunds", list(self.refunds.get(order["id"], [])))
            if rest == ["refunds"] and method == "POST":
                return self._refund(order, self._body(req))
        raise self._violation(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    def _body(self, req: Recorded) -> dict[str, Any]:
        ctype = req.headers.get("content-type", "")
        if not ctype.startswith("application/json"):
            raise self._violation(400, "rest_invalid_json", f"content type {ctype!r}, not JSON")
        try:
            body = req.json()
        except ValueError:
            raise self._violation(400, "rest_invalid_json", "Invalid JSON body passed.") from None
        if not isinstance(body, dict):
            raise self._violation(400, "rest_invalid_json", "body is not an object")
        return body

    def _list(self, query: dict[str, list[str]], kind: str, items: list[dict[str, Any]]) -> Answer:
        unknown = set(query) - _LIST_PARAMS[kind]
        if unknown:
            raise self._bad_param(sorted(unknown)[0], "not a documented parameter of this list")
        one = {k: v[-1] for k, v in query.items()}
        page_text, per_text = one.get("page", "1"), one.get("per_page", "10")
        if not page_text.isdigit() or int(page_text) < 1:
            raise self._bad_param("page", "page must be greater than or equal to 1")
        if not per_text.isdigit() or not 1 <= int(per_text) <= 100:
            raise self._bad_param(
                "per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)"
            )
        orderby = one.get("orderby", "name" if kind == "customers" else "date")
        if orderby not in _ORDERBY[kind]:
            raise self._bad_param("orderby", f"orderby is not one of {sorted(_ORDERBY[kind])}")
        order = one.get("order", "asc" if kind == "customers" else "desc")
        if order not in ("asc", "desc"):
            raise self._bad_param("order", "order is not one of asc, desc")
        if "modified_after" in one:
            items = self._modified_after(items, one["modified_after"], one.get("dates_are_gmt"))
        if kind == "orders":
            items = self._order_filters(items, one)
        key = {"id": "id", "date": "date_created_gmt", "modified": "date_modified_gmt"}.get(
            orderby, "id"
        )
        items = sorted(items, key=lambda it: (it[key], it["id"]), reverse=order == "desc")
        page, per = int(page_text), int(per_text)
        total = len(items)
        pages = (total + per - 1) // per
        chunk = items[(page - 1) * per : page * per]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if page < pages:
            headers["Link"] = f'<{self.url}{PREFIX}/{kind}?page={page + 1}>; rel="next"'
        return Answer(200, copy.deepcopy(chunk), headers=headers)

    def _modified_after(
        self, items: list[dict[str, Any]], value: str, gmt_flag: str | None
    ) -> list[dict[str, Any]]:
        try:
            since = datetime.fromisoformat(value)
        except ValueError:
            raise self._bad_param("modified_after", "Invalid date.") from None
        if gmt_flag not in (None, "true", "false", "1", "0"):
            raise self._bad_param("dates_are_gmt", "dates_are_gmt is not of type boolean.")
        if since.tzinfo is not None:
            since = since.astimezone(UTC).replace(tzinfo=None)
        elif gmt_flag not in ("true", "1"):
            since = since - SITE_OFFSET  # read in the site's time zone
        return [it for it in items if datetime.fromisoformat(it["date_modified_gmt"]) > since]

    def _order_filters(
        self, items: list[dict[str, Any]], one: dict[str, str]
    ) -> list[dict[str, Any]]:
        """``customer`` (a user id, 0: guests), ``after``/``before`` (``date-time`` on the
        creation date, site time unless ``dates_are_gmt``) and ``search`` (a substring of the
        order's billing/shipping fields, as WooCommerce's order search matches the address
        index) as the orders controller applies them."""
        if "customer" in one:
            if not one["customer"].isdigit():
                raise self._bad_param("customer", "customer is not of type integer.")
            items = [it for it in items if it.get("customer_id", 0) == int(one["customer"])]
        gmt = one.get("dates_are_gmt") in ("true", "1")
        for name in ("after", "before"):
            if name not in one:
                continue
            if not _DATE_TIME.match(one[name]):
                raise self._bad_param(name, "Invalid date.")
            when = datetime.fromisoformat(one[name].replace("z", "Z"))
            if when.tzinfo is not None:
                when = when.astimezone(UTC).replace(tzinfo=None)
            elif not gmt:
                when = when - SITE_OFFSET
            if name == "after":
                items = [
                    it for it in items if datetime.fromisoformat(it["date_created_gmt"]) > when
                ]
            else:
                items = [
                    it for it in items if datetime.fromisoformat(it["date_created_gmt"]) < when
                ]
        if "search" in one:
            needle = one["search"].strip().lower()
            if not needle:
                raise self._bad_param("search", "search is empty.")
            items = [
                it
                for it in items
                if any(
                    needle in str(value).lower()
                    for part in ("billing", "shipping")
                    for value in (it.get(part) or {}).values()
                )
            ]
        return items

    def _list_notes(self, order: dict[str, Any], query: dict[str, list[str]]) -> Answer:
        unknown = set(query) - {"context", "type"}
        if unknown:
            raise self._bad_param(sorted(unknown)[0], "not a documented parameter of this list")
        kind = query.get("type", ["any"])[-1]
        if kind not in _NOTE_TYPES:
            raise self._bad_param("type", f"type is not one of {', '.join(_NOTE_TYPES)}.")
        notes = self.notes.get(order["id"], [])
        if kind != "any":
            notes = [n for n in notes if n["customer_note"] == (kind == "customer")]
        return Answer(200, copy.deepcopy(sorted(notes, key=lambda n: -n["id"])))

    def _touch(self, order: dict[str, Any]) -> None:
        local, gmt = wc_time(datetime.now(UTC))
        order["date_modified"], order["date_modified_gmt"] = local, gmt

    def _update_order(self, order: dict[str, Any], body: dict[str, Any]) -> Answer:
        unknown = set(body) - {"status", "shipping"}
        if unknown:
            raise self._violation(400, "csdesk_rule", f"unexpected fields {sorted(unknown)}")
        if "status" in body and body["status"] not in ORDER_STATUSES:
            raise self._bad_param("status", f"status is not one of {', '.join(ORDER_STATUSES)}.")
        if "shipping" in body:
            shipping = body["shipping"]
            if (
                not isinstance(shipping, dict)
                or set(shipping) - ADDRESS_KEYS
                or not all(isinstance(v, str) for v in shipping.values())
            ):
                raise self._bad_param("shipping", "shipping is not a valid address object")
            order["shipping"] = {**order["shipping"], **shipping}
        if "status" in body:
            order["status"] = body["status"]
        self._touch(order)
        return Answer(200, copy.deepcopy(order))

    def _add_note(self, order: dict[str, Any], body: dict[str, Any]) -> Answer:
        note = body.get("note")
        if not isinstance(note, str) or not note.strip():
            raise self._violation(
                400,
                "woocommerce_rest_invalid_order_note",
                "Cannot create order note, please provide a note.",
            )
        if set(body) - {"note", "customer_note", "added_by_user"} or not isinstance(
            body.get("customer_note", False), bool
        ):
            raise self._violation(400, "csdesk_rule", f"unexpected note fields {sorted(body)}")
        local, gmt = wc_time(datetime.now(UTC))
        made = {
            "id": next(self._ids),
            "author": "WooCommerce",
            "date_created": local,
            "date_created_gmt": gmt,
            "note": note,
            "customer_note": body.get("customer_note", False),
        }
        self.notes.setdefault(order["id"], []).append(made)
        return Answer(201, made)

    def _refund(self, order: dict[str, Any], body: dict[str, Any]) -> Answer:
        allowed = {
            "amount",
            "reason",
            "refunded_by",
            "meta_data",
            "line_items",
            "api_refund",
            "api_restock",
        }
        if set(body) - allowed:
            raise self._violation(
                400, "csdesk_rule", f"unexpected refund fields {sorted(set(body) - allowed)}"
            )
        amount_text = body.get("amount")
        if not isinstance(amount_text, str):
            raise self._violation(400, "csdesk_rule", "amount must be a decimal string")
        amount = _decimal(amount_text)
        if amount is None:
            raise self._bad_param("amount", "amount is not of type string.")
        if amount <= 0:
            raise self._violation(
                400,
                "woocommerce_rest_invalid_order_refund",
                "Refund amount must be greater than zero.",
            )
        if not isinstance(body.get("reason", ""), str) or not isinstance(
            body.get("api_refund", True), bool
        ):
            raise self._violation(400, "csdesk_rule", "reason must be text, api_refund a boolean")
        by_id = {item["id"]: item for item in order["line_items"]}
        lines = body.get("line_items", [])
        if not isinstance(lines, list):
            raise self._bad_param("line_items", "line_items is not of type array.")
        for line in lines:
            if not isinstance(line, dict) or set(line) - {
                "id",
                "quantity",
                "refund_total",
                "refund_tax",
            }:
                raise self._violation(400, "csdesk_rule", f"bad refund line {line!r}")
            item = by_id.get(line.get("id"))
            qty = line.get("quantity")
            if item is None or not isinstance(qty, int) or not 0 < qty <= item["quantity"]:
                raise self._violation(
                    400, "csdesk_rule", f"refund line {line!r} does not match the order"
                )
            if _decimal(line.get("refund_total")) is None:
                raise self._violation(400, "csdesk_rule", "refund_total is not a number")
        meta = body.get("meta_data", [])
        if not isinstance(meta, list) or not all(
            isinstance(m, dict) and isinstance(m.get("key"), str) and set(m) <= {"key", "value"}
            for m in meta
        ):
            raise self._bad_param("meta_data", "meta_data is not a list of {key, value}.")
        refunded = sum((-Decimal(r["total"]) for r in order["refunds"]), Decimal(0))
        remaining = Decimal(order["total"]) - refunded
        if amount > remaining:
            return self._wc_error(
                500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount."
            )
        api_refund = body.get("api_refund", True)
        if api_refund and not self.gateway_refunds:
            return self._wc_error(
                500,
                "woocommerce_rest_cannot_create_order_refund",
                "The payment gateway for this order does not support automatic refunds.",
            )
        local, gmt = wc_time(datetime.now(UTC))
        made = {
            "id": next(self._ids),
            "date_created": local,
            "date_created_gmt": gmt,
            "amount": amount_text,
            "reason": body.get("reason", ""),
            "refunded_by": 1,
            "refunded_payment": bool(api_refund),
            "meta_data": [
                {"id": next(self._ids), "key": m.get("key"), "value": m.get("value")} for m in meta
            ],
            "line_items": [{"id": next(self._ids), "quantity": -ln["quantity"]} for ln in lines],
        }
        self.refunds.setdefault(order["id"], []).append(made)
        order["refunds"].append(
            {"id": made["id"], "reason": made["reason"], "total": f"-{amount_text}"}
        )
        if amount == remaining:
            order["status"] = "refunded"
        self._touch(order)
        return Answer(201, made)

    def _create_order(self, body: dict[str, Any]) -> Answer:
        allowed = {
            "status", "currency", "set_paid", "billing", "shipping", "line_items", "meta_data",
            "customer_id", "customer_note",
        }  # fmt: skip
        if set(body) - allowed:
            raise self._violation(
                400, "csdesk_rule", f"unexpected order fields {sorted(set(body) - allowed)}"
            )
        if body.get("status", "pending") not in ORDER_STATUSES:
            raise self._bad_param("status", "status is not one of the order statuses.")
        for part in ("billing", "shipping"):
            value = body.get(part, {})
            if not isinstance(value, dict) or set(value) - ADDRESS_KEYS:
                raise self._bad_param(part, f"{part} is not a valid address object")
        lines = body.get("line_items")
        if not isinstance(lines, list) or not lines:
            raise self._violation(400, "csdesk_rule", "an order without line items")
        products = {
            item["product_id"]: item for o in self.orders.values() for item in o["line_items"]
        }
        items = []
        for line in lines:
            if not isinstance(line, dict) or set(line) - {
                "product_id",
                "variation_id",
                "quantity",
                "subtotal",
                "total",
            }:
                raise self._violation(400, "csdesk_rule", f"bad order line {line!r}")
            product = products.get(line.get("product_id"))
            if product is None:
                raise self._violation(
                    400, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid."
                )
            qty = line.get("quantity")
            if not isinstance(qty, int) or qty <= 0:
                raise self._violation(400, "csdesk_rule", "quantity must be a positive integer")
            for key in ("subtotal", "total"):
                if key in line and (not isinstance(line[key], str) or _decimal(line[key]) is None):
                    raise self._violation(400, "csdesk_rule", f"{key} must be a decimal string")
            items.append(
                {
                    **product,
                    "id": next(self._ids),
                    "quantity": qty,
                    "subtotal": line.get("subtotal", product["subtotal"]),
                    "total": line.get("total", product["total"]),
                }
            )
        oid = next(self._ids)
        order = make_order(
            oid,
            customer_id=body.get("customer_id", 0),
            status=body.get("status", "pending"),
            currency=body.get("currency", "EUR"),
            lines=[],
            modified=datetime.now(UTC),
        )
        order["line_items"] = items
        order["total"] = money(sum((Decimal(i["total"]) for i in items), Decimal(0)))
        order["billing"] = body.get("billing", {})
        order["shipping"] = body.get("shipping", {})
        meta = body.get("meta_data", [])
        if not isinstance(meta, list) or not all(
            isinstance(m, dict) and isinstance(m.get("key"), str) and set(m) <= {"key", "value"}
            for m in meta
        ):
            raise self._bad_param("meta_data", "meta_data is not a list of {key, value}.")
        order["meta_data"] = [{"id": next(self._ids), **m} for m in meta]
        order["date_created"], order["date_created_gmt"] = wc_time(datetime.now(UTC))
        self.orders[oid] = order
        return Answer(201, copy.deepcopy(order))
