"""Shopify's Admin GraphQL API (2025-01) as documented, for the store connector's tests.

Checked on every request (a breach is answered with Shopify's error *and* listed in
``violations``): ``POST /admin/api/2025-01/graphql.json``; ``X-Shopify-Access-Token`` the
app's token (else 401 ``{"errors": "[API] Invalid API key or access token ..."}``);
``Content-Type: application/json``; a body ``{"query": str, "variables": object}`` whose
operation is one csdesk sends, with variables of the documented types (``first`` 1..250,
``after`` a cursor this server issued, ``query`` Shopify's search syntax) and mutation inputs
of the documented shapes (RefundInput, ReturnInput, OrderCancel's arguments, DraftOrderInput,
OrderInput); ``draftOrders`` searched by ``tag:'…'``.

The cost-based throttle: a bucket of ``maximum`` points refilled at ``restore_rate`` a
second; every operation costs ``cost`` points; without enough points the answer is
``{"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}`` with the
``extensions.cost.throttleStatus`` Shopify sends. Lists are cursor-paged and sorted by
``updatedAt``; ``updated_at:>'…'`` filters them.

Every query document is parsed (``graphql_doc``): its requested cost counted as Shopify
documents it (over 1,000 points: ``MAX_COST_EXCEEDED``), every connection (``customers``,
``orders``, ``lineItems``, ``returns``, ``fulfillmentLineItems`` ...) asked with ``first``
1..250 and answered a page at a time by ``after`` cursor with ``pageInfo``; ``fulfillments``,
``refunds`` and ``transactions`` are plain lists truncated by ``first`` (no cursor), as in
the schema; a field the schema's object does not have is an error. Nested connections of one
order page too, so an order with 120 lines arrives over several requests.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.helpers.fakes import graphql_doc as gql
from tests.helpers.fakes.base import Answer, FakeProvider, Recorded, Violation

API_VERSION = "2025-01"
PATH = f"/admin/api/{API_VERSION}/graphql.json"
_OPERATIONS = {
    "Customers": "query",
    "Orders": "query",
    "Order": "query",
    "OrderForActions": "query",
    "RefundCreate": "mutation",
    "ReturnCreate": "mutation",
    "OrderCancel": "mutation",
    "DraftOrderCreate": "mutation",
    "DraftOrdersTagged": "query",
    "OrderUpdate": "mutation",
    # The rest of one order, followed up on its node (or its fulfillment's).
    "OrderLineItems": "query",
    "OrderReturns": "query",
    "OrderRefunds": "query",
    "OrderFulfillments": "query",
    "OrderLineVariants": "query",
    "OrderFulfillmentIds": "query",
    "FulfillmentLineItems": "query",
}
#: A MailingAddress's fields (what the order's address does not set is null).
_MAILING_ADDRESS: dict[str, Any] = dict.fromkeys(
    ("firstName", "lastName", "company", "address1", "address2", "city", "provinceCode",
     "zip", "countryCode", "phone")
)  # fmt: skip
#: Which fields are connections (``first``/``after``, ``pageInfo``, ``nodes``) and which plain
#: lists sized by ``first`` (no cursor), as the Admin API 2025-01 schema has them.
_SHAPES = {
    "customers": "connection",
    "orders": "connection",
    "draftOrders": "connection",
    "lineItems": "connection",
    "returns": "connection",
    "returnLineItems": "connection",
    "fulfillmentLineItems": "connection",
    "fulfillments": "list",
    "refunds": "list",
    "transactions": "list",
    "trackingInfo": "list",
}
_GID = re.compile(r"^gid://shopify/[A-Za-z]+/\d+$")
_SINCE = re.compile(r"^updated_at:>'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'$")
#: ``tag:'<tag>'`` in Shopify's search syntax (a quoted value: no quote or backslash in it).
_TAG = re.compile(r"^tag:'([^'\\]{1,255})'$")


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: str, currency: str = "EUR") -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


class FakeShopify(FakeProvider):
    name = "shopify"

    def __init__(self, token: str, *, maximum: float = 1000.0, restore_rate: float = 50.0) -> None:
        super().__init__()
        self.token = token
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.cost = 10.0
        self._points = maximum
        self._at = time.monotonic()
        self.throttled = 0
        self._forced = 0
        self._report_empty = False
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()
        self.clock = datetime.now(UTC) - timedelta(days=30)
        self.customers: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        #: order gid -> extra data only actions see: transactions, note, address, variants.
        self.extra: dict[str, dict[str, Any]] = {}
        self.drafts: list[dict[str, Any]] = []
        self.cancelled: list[str] = []
        #: fulfillment gid -> its (fulfillment line item gid, line item gid) pairs.
        self.fulfillment_lines: dict[str, list[tuple[str, str]]] = {}
        #: (operation, requested cost) of every request, in order.
        self.costs: list[tuple[str, int]] = []

    def force_throttle(self, times: int) -> None:
        """Answer the next ``times`` API calls THROTTLED (an empty bucket), whatever the time."""
        with self._lock:
            self._forced = times

    def bucket(self, maximum: float, cost: float, restore_rate: float) -> None:
        """A smaller throttle bucket, full now."""
        with self._lock:
            self.maximum, self.cost, self.restore_rate = maximum, cost, restore_rate
            self._points, self._at = maximum, time.monotonic()

    # --- data -----------------------------------------------------------------------------

    def _tick(self) -> str:
        """Now (as Shopify stamps ``updatedAt``), strictly later than the last stamp."""
        self.clock = max(self.clock + timedelta(seconds=1), datetime.now(UTC))
        return iso(self.clock)

    def gid(self, kind: str) -> str:
        return f"gid://shopify/{kind}/{next(self._ids)}"

    def add_customer(
        self, email: str | None, *, verified: bool = True, first: str = "Ana", last: str = "Lima",
        phone: str | None = None,
    ) -> str:  # fmt: skip
        with self._lock:
            cid = self.gid("Customer")
            now = self._tick()
            self.customers[cid] = {
                "id": cid,
                "displayName": f"{first} {last}",
                "firstName": first,
                "lastName": last,
                "email": email,
                "phone": phone,
                "verifiedEmail": verified,
                "createdAt": now,
                "updatedAt": now,
                "tags": ["vip"],
            }
            return cid

    def add_order(
        self, customer_id: str | None, *, lines: int = 2, price: str = "20.00",
        fulfilled: bool = False, email: str | None = None,
    ) -> str:  # fmt: skip
        with self._lock:
            oid = self.gid("Order")
            now = self._tick()
            number = f"#{next(self._ids)}"
            items = [
                {
                    "id": self.gid("LineItem"),
                    "sku": f"SKU-{i}",
                    "title": f"Mug {i}",
                    "quantity": 1,
                    "currentQuantity": 1,
                    "originalUnitPriceSet": money(price),
                }
                for i in range(lines)
            ]
            total = str(Decimal(price) * lines)
            customer = self.customers.get(customer_id) if customer_id else None
            order: dict[str, Any] = {
                "id": oid,
                "name": number,
                "createdAt": now,
                "processedAt": now,
                "updatedAt": now,
                "cancelledAt": None,
                "email": email or (customer or {}).get("email"),
                "phone": None,
                "currencyCode": "EUR",
                "displayFinancialStatus": "PAID",
                "displayFulfillmentStatus": "UNFULFILLED",
                "totalPriceSet": money(total),
                "customer": dict(customer) if customer else None,
                "lineItems": {"nodes": items},
                "fulfillments": [],
                "refunds": [],
                "returns": {"nodes": []},
            }
            self.orders[oid] = order
            self.extra[oid] = {
                "note": None,
                "transactions": [
                    {
                        "id": self.gid("OrderTransaction"),
                        "gateway": "shopify_payments",
                        "kind": "SALE",
                        "status": "SUCCESS",
                        "amountSet": money(total),
                    }
                ],
                "variants": {li["id"]: self.gid("ProductVariant") for li in items},
                "fulfillment_lines": {},
                "shippingAddress": {"firstName": "Ana", "lastName": "Lima", "address1": "Rua 1",
                                    "city": "Porto", "zip": "4000-001", "countryCode": "PT"},
            }  # fmt: skip
            if fulfilled:
                self.fulfil(oid)
            return oid

    def fulfil(self, oid: str, status: str = "IN_TRANSIT") -> str:
        with self._lock:
            order = self.orders[oid]
            fid = self.gid("Fulfillment")
            order["fulfillments"].append(
                {
                    "id": fid,
                    "status": "SUCCESS",
                    "displayStatus": status,
                    "createdAt": self._tick(),
                    "inTransitAt": iso(self.clock),
                    "deliveredAt": None,
                    "estimatedDeliveryAt": iso(self.clock + timedelta(days=3)),
                    "trackingInfo": [
                        {
                            "company": "DHL Express",
                            "number": "JD014600006281230704",
                            "url": "https://www.dhl.com/track?n=JD014600006281230704",
                        }
                    ],
                }
            )
            pairs = self.fulfillment_lines.setdefault(fid, [])
            for li in order["lineItems"]["nodes"]:
                fli = self.gid("FulfillmentLineItem")
                self.extra[oid]["fulfillment_lines"][li["id"]] = fli
                pairs.append((fli, li["id"]))
            order["displayFulfillmentStatus"] = "FULFILLED"
            order["updatedAt"] = self._tick()
            return fid

    def add_refunds(self, oid: str, count: int, amount: str = "1.00") -> list[str]:
        """``count`` refunds made in the Shopify admin (not by csdesk), oldest first."""
        with self._lock:
            made = []
            for i in range(count):
                refund = {
                    "id": self.gid("Refund"),
                    "createdAt": self._tick(),
                    "note": f"Refund {i + 1}",
                    "totalRefundedSet": money(amount),
                }
                self.orders[oid]["refunds"].append(refund)
                made.append(refund["id"])
            self.orders[oid]["updatedAt"] = self._tick()
            return made

    def add_returns(self, oid: str, count: int, status: str = "OPEN") -> list[str]:
        with self._lock:
            order = self.orders[oid]
            made = []
            for _i in range(count):
                number = len(order["returns"]["nodes"]) + 1
                ret = {"id": self.gid("Return"), "name": f"{order['name']}-R{number}",
                       "status": status}  # fmt: skip
                order["returns"]["nodes"].append(ret)
                made.append(ret["id"])
            order["updatedAt"] = self._tick()
            return made

    def edit_out(self, oid: str, line_index: int) -> str:
        """An order edit removing a line: Shopify keeps the line with ``currentQuantity`` 0."""
        with self._lock:
            line = self.orders[oid]["lineItems"]["nodes"][line_index]
            line["currentQuantity"] = 0
            self.orders[oid]["updatedAt"] = self._tick()
            return str(line["id"])

    def touch(self, oid: str, **changes: Any) -> None:
        with self._lock:
            self.orders[oid].update(changes)
            self.orders[oid]["updatedAt"] = self._tick()

    def rest_order(self, oid: str) -> dict[str, Any]:
        """The order as a webhook (REST shape) carries it."""
        o = self.orders[oid]
        num = lambda g: int(g.rsplit("/", 1)[1])  # noqa: E731
        customer = o["customer"]
        return {
            "id": num(o["id"]),
            "admin_graphql_api_id": o["id"],
            "name": o["name"],
            "email": o["email"],
            "phone": None,
            "created_at": o["createdAt"],
            "updated_at": o["updatedAt"],
            "processed_at": o["processedAt"],
            "cancelled_at": o["cancelledAt"],
            "currency": "EUR",
            "total_price": o["totalPriceSet"]["shopMoney"]["amount"],
            "financial_status": o["displayFinancialStatus"].lower(),
            "fulfillment_status": "fulfilled" if o["fulfillments"] else None,
            "customer": None
            if customer is None
            else {
                "id": num(customer["id"]),
                "email": customer["email"],
                "phone": customer["phone"],
                "first_name": customer["firstName"],
                "last_name": customer["lastName"],
                "verified_email": customer["verifiedEmail"],
                "created_at": customer["createdAt"],
                "updated_at": customer["updatedAt"],
                "tags": "vip",
            },
            "line_items": [
                {
                    "id": num(li["id"]),
                    "sku": li["sku"],
                    "title": li["title"],
                    "quantity": li["quantity"],
                    "current_quantity": li["currentQuantity"],
                    "price": li["originalUnitPriceSet"]["shopMoney"]["amount"],
                }
                for li in o["lineItems"]["nodes"]
            ],
            "fulfillments": [
                {
                    "id": num(f["id"]),
                    "status": "success",
                    "shipment_status": f["displayStatus"].lower(),
                    "tracking_company": f["trackingInfo"][0]["company"],
                    "tracking_number": f["trackingInfo"][0]["number"],
                    "tracking_url": f["trackingInfo"][0]["url"],
                    "created_at": f["createdAt"],
                }
                for f in o["fulfillments"]
            ],
            "refunds": [],
        }

    # --- the API --------------------------------------------------------------------------

    def error(self, status: int, message: str) -> Answer:
        if status == 401:
            return Answer(
                401,
                {
                    "errors": "[API] Invalid API key or access token "
                    "(unrecognized login or wrong password)"
                },
            )
        return Answer(status, {"errors": message})

    def _refuse(self, status: int, why: str) -> Violation:
        return Violation(self.error(status, why), why)

    def _graphql_error(self, why: str) -> Violation:
        return Violation(Answer(200, {"errors": [{"message": why}]}), why)

    def _throttle(self) -> dict[str, Any] | None:
        with self._lock:
            if self._forced > 0:
                self._forced -= 1
                self.throttled += 1
                self._report_empty = True
                return None
            self._report_empty = False
            now = time.monotonic()
            self._points = min(self.maximum, self._points + (now - self._at) * self.restore_rate)
            self._at = now
            if self._points < self.cost:
                self.throttled += 1
                return None
            self._points -= self.cost
            return self._status()

    def _status(self) -> dict[str, Any]:
        return {
            "requestedQueryCost": self.cost,
            "actualQueryCost": self.cost,
            "throttleStatus": {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": int(self._points),
                "restoreRate": self.restore_rate,
            },
        }

    def handle(self, req: Recorded) -> Answer:
        if req.method != "POST" or req.path != PATH:
            raise self._refuse(404, f"Not Found: {req.method} {req.path}")
        if req.headers.get("x-shopify-access-token") != self.token:
            raise self._refuse(401, "wrong or missing X-Shopify-Access-Token")
        if not req.headers.get("content-type", "").startswith("application/json"):
            raise self._refuse(415, "Content-Type is not application/json")
        try:
            body = req.json()
        except ValueError:
            raise self._refuse(400, "body is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise self._graphql_error("Parameter Missing or Invalid: query")
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            raise self._graphql_error("variables is not an object")
        try:
            op = gql.parse(body["query"])
            request = gql.Request(op, variables)
            cost = request.cost(_SHAPES) if op.kind == "query" else 10
        except gql.GraphQLError as exc:
            raise self._graphql_error(exc.message) from None
        if _OPERATIONS.get(op.name) != op.kind:
            raise self._graphql_error("an operation csdesk has no business sending")
        self.costs.append((op.name, cost))
        if cost > gql.MAX_COST:
            why = (
                f"Query cost is {cost}, which exceeds the single query max cost limit "
                f"({gql.MAX_COST})."
            )
            raise Violation(
                Answer(200, {"errors": [{"message": why, "extensions": {
                    "code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": gql.MAX_COST}}]}),
                why,
            )  # fmt: skip
        status = self._throttle()
        if status is None:
            cost = dict(self._status(), actualQueryCost=None)
            if self._report_empty:  # a forced throttle: as if the bucket were empty
                cost["throttleStatus"] = dict(cost["throttleStatus"], currentlyAvailable=0)
            return Answer(
                200,
                {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": {"cost": cost},
                },
            )
        with self._lock:
            data = getattr(self, "_op_" + op.name)(variables)
            if op.kind == "query":  # the selection, as a GraphQL server answers it
                try:
                    data = request.resolve(op.fields, data, "QueryRoot")
                except gql.GraphQLError as exc:
                    raise self._graphql_error(exc.message) from None
        return Answer(200, {"data": data, "extensions": {"cost": status}})

    # --- queries --------------------------------------------------------------------------

    def _rows(self, items: dict[str, dict[str, Any]], v: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row, sorted by ``updatedAt`` and filtered by ``$query`` (the resolver pages
        them by ``first``/``after``)."""
        query = v.get("query")
        rows = sorted(items.values(), key=lambda r: (r["updatedAt"], r["id"]))
        if query is not None:
            since = _SINCE.match(query) if isinstance(query, str) else None
            if since is None:
                raise self._graphql_error(f"unsupported search query {query!r}")
            rows = [r for r in rows if r["updatedAt"] > since.group(1)]
        return rows

    def _op_Customers(self, v: dict[str, Any]) -> dict[str, Any]:
        return {"customers": {"nodes": self._rows(self.customers, v)}}

    def _op_Orders(self, v: dict[str, Any]) -> dict[str, Any]:
        return {"orders": {"nodes": [self._view(o) for o in self._rows(self.orders, v)]}}

    def _order_id(self, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, str) or not _GID.match(value):
            raise self._graphql_error("Variable $id of type ID! was provided invalid value")
        return self.orders.get(value)

    def _view(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order as the Admin API has it: what the import reads and what actions read
        (transactions, note, address, variants, fulfillment line items, return notes)."""
        extra = self.extra[order["id"]]
        view: dict[str, Any] = json.loads(json.dumps(order))
        view["note"] = extra["note"]
        view["transactions"] = json.loads(json.dumps(extra["transactions"]))
        view["shippingAddress"] = {**_MAILING_ADDRESS, **extra["shippingAddress"]}
        view["customer"] = (
            None if order["customer"] is None else json.loads(json.dumps(order["customer"]))
        )
        for li in view["lineItems"]["nodes"]:
            li["variant"] = {"id": extra["variants"][li["id"]]}
        for ret in view["returns"]["nodes"]:
            notes = extra.get("return_notes", {}).get(ret["id"], [])
            ret["returnLineItems"] = {"nodes": [{"returnReasonNote": n} for n in notes]}
        for f in view["fulfillments"]:
            f["fulfillmentLineItems"] = self._fulfillment_lines(f["id"])
        return view

    def _fulfillment_lines(self, fid: str) -> dict[str, Any]:
        pairs = self.fulfillment_lines.get(fid, [])
        return {"nodes": [{"id": fli, "quantity": 1, "lineItem": {"id": li}} for fli, li in pairs]}

    def _op_order(self, v: dict[str, Any]) -> dict[str, Any]:
        order = self._order_id(v.get("id"))
        return {"order": None if order is None else self._view(order)}

    _op_Order = _op_OrderForActions = _op_OrderLineItems = _op_OrderReturns = _op_order
    _op_OrderRefunds = _op_OrderFulfillments = _op_OrderLineVariants = _op_order
    _op_OrderFulfillmentIds = _op_order

    def _op_FulfillmentLineItems(self, v: dict[str, Any]) -> dict[str, Any]:
        fid = v.get("id")
        if not isinstance(fid, str) or not _GID.match(fid):
            raise self._graphql_error("Variable $id of type ID! was provided invalid value")
        if fid not in self.fulfillment_lines:
            return {"fulfillment": None}
        return {"fulfillment": {"id": fid, "fulfillmentLineItems": self._fulfillment_lines(fid)}}

    # --- mutations ------------------------------------------------------------------------

    @staticmethod
    def _errors(*messages: str, field: str = "input") -> list[dict[str, Any]]:
        return [{"field": [field], "message": m} for m in messages]

    def _check_keys(self, value: Any, allowed: set[str], what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self._graphql_error(f"{what} must be an object")
        unknown = set(value) - allowed
        if unknown:
            raise self._graphql_error(f"{what} has no field(s) {sorted(unknown)}")
        return value

    def _op_RefundCreate(self, v: dict[str, Any]) -> dict[str, Any]:
        allowed = {"orderId", "note", "notify", "refundLineItems", "transactions", "shipping",
                   "currency"}  # fmt: skip
        inp = self._check_keys(v.get("input"), allowed, "RefundInput")
        order = self._order_id(inp.get("orderId"))
        if order is None:
            return {
                "refundCreate": {"refund": None, "userErrors": self._errors("Order does not exist")}
            }
        known = {li["id"]: li for li in order["lineItems"]["nodes"]}
        for rli in inp.get("refundLineItems") or []:
            self._check_keys(rli, {"lineItemId", "quantity", "restockType", "locationId"},
                             "RefundLineItemInput")  # fmt: skip
            if rli.get("restockType") not in ("NO_RESTOCK", "CANCEL", "RETURN", None):
                raise self._graphql_error("restockType is not a RefundLineItemRestockType")
            if rli.get("lineItemId") not in known:
                return {
                    "refundCreate": {
                        "refund": None,
                        "userErrors": self._errors("Line item does not exist"),
                    }
                }
        extra = self.extra[order["id"]]
        paid = Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
        refunded = sum(
            (Decimal(r["totalRefundedSet"]["shopMoney"]["amount"]) for r in order["refunds"]),
            Decimal(0),
        )
        amount = Decimal(0)
        for tx in inp.get("transactions") or []:
            self._check_keys(tx, {"orderId", "parentId", "gateway", "kind", "amount"},
                             "OrderTransactionInput")  # fmt: skip
            parents = {t["id"]: t for t in extra["transactions"]}
            if tx.get("kind") != "REFUND" or tx.get("orderId") != order["id"]:
                raise self._graphql_error("a refund transaction needs kind REFUND and the order")
            parent = parents.get(tx.get("parentId"))
            if parent is None or parent["gateway"] != tx.get("gateway"):
                return {
                    "refundCreate": {
                        "refund": None,
                        "userErrors": self._errors("Parent transaction not found"),
                    }
                }
            if not isinstance(tx.get("amount"), str) or not re.match(
                r"^\d+(\.\d+)?$", tx["amount"]
            ):
                raise self._graphql_error("amount must be a Decimal string")
            amount += Decimal(tx["amount"])
        if amount > paid - refunded:
            return {
                "refundCreate": {
                    "refund": None,
                    "userErrors": self._errors(
                        "Refund amount must be less than or equal to the refundable amount "
                        f"({paid - refunded})"
                    ),
                }
            }
        refund = {
            "id": self.gid("Refund"),
            "createdAt": self._tick(),
            "note": inp.get("note"),
            "totalRefundedSet": money(f"{amount:.2f}"),
        }
        order["refunds"].append(refund)
        order["displayFinancialStatus"] = "PARTIALLY_REFUNDED"
        order["updatedAt"] = self._tick()
        return {
            "refundCreate": {
                "refund": {"id": refund["id"], "totalRefundedSet": refund["totalRefundedSet"]},
                "userErrors": [],
            }
        }

    def _op_ReturnCreate(self, v: dict[str, Any]) -> dict[str, Any]:
        inp = self._check_keys(v.get("returnInput"), {"orderId", "returnLineItems",
                               "notifyCustomer", "requestedAt", "exchangeLineItems",
                               "returnShippingFee"}, "ReturnInput")  # fmt: skip
        order = self._order_id(inp.get("orderId"))
        if order is None:
            return {
                "returnCreate": {"return": None, "userErrors": self._errors("Order does not exist")}
            }
        valid = set(self.extra[order["id"]]["fulfillment_lines"].values())
        items = inp.get("returnLineItems")
        if not isinstance(items, list) or not items:
            raise self._graphql_error("returnLineItems is required")
        for item in items:
            fields = {"fulfillmentLineItemId", "quantity", "returnReason", "returnReasonNote",
                      "customerNote"}  # fmt: skip
            self._check_keys(item, fields, "ReturnLineItemInput")
            if item.get("returnReason") not in ("COLOR", "DEFECTIVE", "NOT_AS_DESCRIBED", "OTHER",
                                                "SIZE_TOO_LARGE", "SIZE_TOO_SMALL", "STYLE",
                                                "UNKNOWN", "UNWANTED", "WRONG_ITEM"):  # fmt: skip
                raise self._graphql_error("returnReason is not a ReturnReason")
            if item.get("fulfillmentLineItemId") not in valid:
                return {
                    "returnCreate": {
                        "return": None,
                        "userErrors": self._errors(
                            "Fulfillment line item does not exist", field="returnInput"
                        ),
                    }
                }
        for item in items:
            note = item.get("returnReasonNote")
            if note is not None and (not isinstance(note, str) or len(note) > 255):
                raise self._graphql_error("returnReasonNote must be a String of at most 255")
        number = len(order["returns"]["nodes"]) + 1
        ret = {"id": self.gid("Return"), "name": f"{order['name']}-R{number}", "status": "OPEN"}
        order["returns"]["nodes"].append(ret)
        self.extra[order["id"]].setdefault("return_notes", {})[ret["id"]] = [
            item.get("returnReasonNote") or "" for item in items
        ]
        order["updatedAt"] = self._tick()
        return {"returnCreate": {"return": ret, "userErrors": []}}

    def _op_OrderCancel(self, v: dict[str, Any]) -> dict[str, Any]:
        for key in ("reason", "refund", "restock"):
            if v.get(key) is None:
                raise self._graphql_error(f"Variable ${key} is required")
        if v["reason"] not in ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"):
            raise self._graphql_error("reason is not an OrderCancelReason")
        order = self._order_id(v.get("orderId"))
        if order is None or order["fulfillments"]:
            why = "Order does not exist" if order is None else "Cannot cancel a fulfilled order"
            return {
                "orderCancel": {
                    "job": None,
                    "orderCancelUserErrors": [
                        {"field": ["orderId"], "message": why, "code": "INVALID"}
                    ],
                }
            }
        order["cancelledAt"] = self._tick()
        order["updatedAt"] = order["cancelledAt"]
        self.cancelled.append(order["id"])
        return {
            "orderCancel": {
                "job": {"id": self.gid("Job"), "done": False},
                "orderCancelUserErrors": [],
            }
        }

    def _op_DraftOrderCreate(self, v: dict[str, Any]) -> dict[str, Any]:
        fields = {"lineItems", "note", "tags", "appliedDiscount", "customerId", "email",
                  "shippingAddress"}  # fmt: skip
        inp = self._check_keys(v.get("input"), fields, "DraftOrderInput")
        items = inp.get("lineItems")
        if not isinstance(items, list) or not items:
            return {
                "draftOrderCreate": {
                    "draftOrder": None,
                    "userErrors": self._errors("Add at least 1 product", field="lineItems"),
                }
            }
        tags = inp.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise self._graphql_error("tags must be a [String!]")
        for item in items:
            if not (item.get("variantId") or (item.get("title") and item.get("originalUnitPrice"))):
                raise self._graphql_error(
                    "a DraftOrderLineItemInput needs variantId or title and price"
                )
        draft = {"id": self.gid("DraftOrder"), "name": f"#D{len(self.drafts) + 1}", "input": inp}
        self.drafts.append(draft)
        return {
            "draftOrderCreate": {
                "draftOrder": {"id": draft["id"], "name": draft["name"]},
                "userErrors": [],
            }
        }

    def _op_DraftOrdersTagged(self, v: dict[str, Any]) -> dict[str, Any]:
        """``draftOrders(first: 5, query: $query)``: ``$query`` is ``String!`` and here a
        ``tag:'…'`` search, matched as Shopify matches tags (whole tag, any case)."""
        if set(v) - {"query"}:
            raise self._graphql_error(f"Variable(s) {sorted(set(v) - {'query'})} not declared")
        query = v.get("query")
        if not isinstance(query, str):
            raise self._graphql_error("Variable $query of type String! was provided invalid value")
        found = _TAG.match(query)
        if found is None:
            raise self._graphql_error(f"unsupported search query {query!r}")
        wanted = found.group(1).lower()
        nodes = [
            {"id": d["id"], "name": d["name"], "tags": list(d["input"].get("tags") or [])}
            for d in self.drafts
            if any(t.lower() == wanted for t in d["input"].get("tags") or [])
        ]
        return {"draftOrders": {"nodes": nodes[:5]}}

    def _op_OrderUpdate(self, v: dict[str, Any]) -> dict[str, Any]:
        inp = self._check_keys(v.get("input"), {"id", "note", "shippingAddress", "email", "tags"},
                               "OrderInput")  # fmt: skip
        order = self._order_id(inp.get("id"))
        if order is None:
            return {
                "orderUpdate": {
                    "order": None,
                    "userErrors": self._errors("Order does not exist", field="id"),
                }
            }
        extra = self.extra[order["id"]]
        if "note" in inp:
            extra["note"] = inp["note"]
        if "shippingAddress" in inp:
            address = self._check_keys(inp["shippingAddress"], {"firstName", "lastName", "address1",
                                       "address2", "city", "provinceCode", "zip", "countryCode",
                                       "phone", "company"}, "MailingAddressInput")  # fmt: skip
            if order["fulfillments"]:
                return {
                    "orderUpdate": {
                        "order": None,
                        "userErrors": self._errors(
                            "Shipping address cannot be changed after fulfillment",
                            field="shippingAddress",
                        ),
                    }
                }
            extra["shippingAddress"] = address
        order["updatedAt"] = self._tick()
        return {"orderUpdate": {"order": {"id": order["id"]}, "userErrors": []}}
