"""Shopify through the Admin GraphQL API (``/admin/api/2025-01/graphql.json``).

* Every request carries ``X-Shopify-Access-Token``; the body is ``{"query", "variables"}``.
* Cost-based throttle: each answer's ``extensions.cost.throttleStatus`` says how many points
  are left and how fast they come back. Before a request the connector waits until the
  points its last request of that kind cost are available; a ``THROTTLED`` error (or HTTP
  429) is waited out and retried, up to ``MAX_THROTTLE_WAIT`` seconds in all, after which
  :class:`StoreUnavailable` carries the wait so the caller backs off instead of blocking.
* Lists are cursor-paged (``pageInfo { hasNextPage endCursor }``); the cursor is the import's
  resume point.
* Mutations' ``userErrors`` are the store saying no: :class:`StoreRefused` with its messages.
* Webhooks: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body with the
  app's client secret, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from csdesk.server.commerce import shopify_parse as parse
from csdesk.server.commerce import shopify_queries as q
from csdesk.server.commerce.http import StoreHttp, retry_after
from csdesk.server.commerce.store_api import (
    ActionResult,
    Address,
    LineQuantity,
    Page,
    StoreCustomer,
    StoreOrder,
    StoreRefused,
    StoreUnavailable,
    WebhookEvent,
)

if TYPE_CHECKING:
    from csdesk.server.commerce.stores import StoreSettings

log = logging.getLogger(__name__)

API_VERSION: Final = "2025-01"
MAX_THROTTLE_WAIT: Final = 20.0
_CUSTOMER_TOPICS: Final = frozenset({"customers/create", "customers/update"})
_ORDER_TOPICS: Final = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/edited",
    }
)
#: Topics whose payload names an order by ``order_id``: the order is fetched afresh.
_ORDER_ID_TOPICS: Final = frozenset(
    {"fulfillments/create", "fulfillments/update", "refunds/create"}
)
_RETURN_TOPICS: Final = frozenset(
    {"returns/request", "returns/approve", "returns/decline", "returns/close", "returns/cancel"}
)


def connect(settings: StoreSettings, http: StoreHttp) -> ShopifyConnector:
    size = settings.settings.get("page_size")
    return ShopifyConnector(
        http,
        settings.secret("access_token"),
        settings.secret("webhook_secret"),
        settings.text("api_version", API_VERSION),
        page_size=size if isinstance(size, int) and 1 <= size <= 250 else q.PAGE_SIZE,
    )


def hmac_signature(secret: str, body: bytes) -> str:
    """What Shopify puts in ``X-Shopify-Hmac-Sha256`` for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class ShopifyConnector:
    provider = "shopify"

    def __init__(
        self,
        http: StoreHttp,
        access_token: str,
        webhook_secret: str,
        api_version: str = API_VERSION,
        *,
        page_size: int = q.PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.page_size = page_size
        self.http = http
        self._token = access_token
        self._webhook_secret = webhook_secret
        self.path = f"/admin/api/{api_version}/graphql.json"
        self._sleep = sleep
        #: Seconds waited for the throttle so far (visible to tests and the log).
        self.waited = 0.0

    # --- transport ----------------------------------------------------------------------------

    def graphql(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` of a successful answer; waits for and retries throttled requests."""
        name = document.split("(", 1)[0].split()[-1]
        budget = MAX_THROTTLE_WAIT
        self._pace(name, budget)  # a retry below has already waited for what it needs
        while True:
            resp = self.http.request(
                "POST",
                self.path,
                headers={"X-Shopify-Access-Token": self._token, "Content-Type": "application/json"},
                body={"query": document, "variables": dict(variables)},
            )
            body = resp.data if isinstance(resp.data, dict) else {}
            self._note_cost(name, body)
            wait = self._throttled(resp.status, resp.headers, body)
            if wait is None:
                break
            if wait > budget:
                raise StoreUnavailable("Shopify is throttling csdesk's requests", wait)
            budget -= wait
            self._wait(wait)
        if resp.status in (401, 403):
            raise StoreUnavailable(
                f"Shopify refused the access token (HTTP {resp.status}); check the app's scopes"
            )
        if resp.status >= 500 or resp.status == 404:
            raise StoreUnavailable(f"Shopify answered HTTP {resp.status}")
        if resp.status != 200 or not isinstance(resp.data, dict):
            raise StoreUnavailable(f"Shopify answered HTTP {resp.status} without GraphQL data")
        errors = body.get("errors")
        if errors:
            raise StoreUnavailable(f"Shopify GraphQL error: {_messages(errors)}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise StoreUnavailable("Shopify's answer has no data")
        return data

    def _wait(self, seconds: float) -> None:
        self.waited += seconds
        self._sleep(seconds)

    def _pace(self, name: str, budget: float) -> None:
        """Wait until the points this kind of request cost last time are available."""
        wait = self.http.budget.wait_for(name)
        if wait <= 0:
            return
        if wait > budget:
            raise StoreUnavailable("Shopify's request budget is spent", wait)
        self._wait(wait)

    def _note_cost(self, name: str, body: Mapping[str, Any]) -> None:
        cost = body.get("extensions", {}).get("cost") if isinstance(body, dict) else None
        if not isinstance(cost, dict):
            return
        status = cost.get("throttleStatus")
        available = rate = None
        if isinstance(status, dict):
            available = _number(status.get("currentlyAvailable"))
            rate = _number(status.get("restoreRate"))
        asked = _number(cost.get("requestedQueryCost")) or _number(cost.get("actualQueryCost"))
        self.http.budget.note(name, available, rate, asked)

    def _throttled(
        self, status: int, headers: Mapping[str, str], body: Mapping[str, Any]
    ) -> float | None:
        """Seconds to wait before retrying, or None when the request was not throttled."""
        if status == 429:
            return retry_after(headers) or 1.0
        errors = body.get("errors")
        if not isinstance(errors, list) or not any(
            isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
            for e in errors
        ):
            return None
        cost = (body.get("extensions") or {}).get("cost") or {}
        status_ = cost.get("throttleStatus") or {}
        try:
            needed = float(cost.get("requestedQueryCost") or 1.0)
            available = float(status_.get("currentlyAvailable") or 0.0)
            rate = float(status_.get("restoreRate") or 50.0)
        except (TypeError, ValueError):
            return 1.0
        return max(0.0, (needed - available) / max(rate, 0.001))

    # --- reading --------------------------------------------------------------------------------

    def _page(
        self,
        document: str,
        key: str,
        cursor: str | None,
        since: datetime | None,
        size: int | None = None,
    ) -> tuple[list[Any], str | None]:
        variables: dict[str, Any] = {"first": size or self.page_size, "after": cursor}
        if since is not None:
            variables["query"] = f"updated_at:>'{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        data = self.graphql(document, variables)
        conn = data.get(key)
        if not isinstance(conn, dict):
            raise StoreUnavailable(f"Shopify's answer has no {key}")
        info = conn.get("pageInfo") or {}
        nodes = conn.get("nodes")
        if not isinstance(nodes, list) or not isinstance(info, dict):
            raise StoreUnavailable(f"Shopify's {key} page is malformed")
        nxt = info.get("endCursor") if info.get("hasNextPage") else None
        return nodes, str(nxt)[:2000] if nxt else None

    def customers(self, cursor: str | None, updated_since: datetime | None) -> Page[StoreCustomer]:
        nodes, nxt = self._page(q.CUSTOMERS, "customers", cursor, updated_since)
        return Page([_parsed(parse.customer_node, n) for n in nodes], nxt)

    def orders(self, cursor: str | None, updated_since: datetime | None) -> Page[StoreOrder]:
        nodes, nxt = self._page(
            q.ORDERS, "orders", cursor, updated_since, min(self.page_size, q.ORDERS_PAGE_SIZE)
        )
        return Page([self._whole_order(n) for n in nodes], nxt)

    def order(self, external_id: str) -> StoreOrder:
        data = self.graphql(q.ORDER, {"id": external_id})
        node = data.get("order")
        if node is None:
            raise StoreRefused("Shopify has no such order")
        return self._whole_order(node)

    # --- the rest of one order ------------------------------------------------------------------

    def _whole_order(self, node: Any) -> StoreOrder:
        """The order with every line, shipment, refund and return: what the first query left
        out is read with follow-ups on the order node (``lineItems`` and ``returns`` page by
        cursor; ``refunds`` and ``fulfillments`` are lists without a cursor, asked again for
        up to ``LIST_MAX``), up to the caps in ``shopify_queries``; what is past a cap is
        named in ``StoreOrder.incomplete`` and logged."""
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            raise StoreUnavailable("Shopify sent a record csdesk cannot read: an order has no id")
        oid: str = node["id"]
        node = dict(node)
        cut: list[str] = []
        lines = node.get("lineItems")
        if _has_next(lines):
            nodes, more = self._follow(q.ORDER_LINE_ITEMS, oid, "lineItems", lines, q.MAX_LINES)
            node["lineItems"] = {"nodes": nodes}
            if more:
                cut.append("lines")
        returns = node.get("returns")
        if _has_next(returns):
            nodes, more = self._follow(q.ORDER_RETURNS, oid, "returns", returns, q.MAX_RETURNS)
            node["returns"] = {"nodes": nodes}
            if more:
                cut.append("returns")
        for key, document, first, kind in (
            ("fulfillments", q.ORDER_FULFILLMENTS, q.FIRST_FULFILLMENTS, "shipments"),
            ("refunds", q.ORDER_REFUNDS, q.FIRST_REFUNDS, "refunds"),
        ):
            have = node.get(key)
            if isinstance(have, list) and len(have) >= first:  # truncated, or exactly full
                node[key] = self._order_list(document, oid, key)
                if len(node[key]) >= q.LIST_MAX:
                    cut.append(kind)
        order: StoreOrder = _parsed(parse.order_node, node)
        if cut:
            log.warning(
                "Shopify order %s: csdesk read only part of its %s (the caps in "
                "commerce/shopify_queries.py)",
                oid,
                ", ".join(cut),
            )
        return replace(order, incomplete=tuple(sorted(set(order.incomplete or ()) | set(cut))))

    def _order_node(self, document: str, oid: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        node = self.graphql(document, {"id": oid, **variables}).get("order")
        if node is None:
            raise StoreRefused("Shopify has no such order")
        if not isinstance(node, dict):
            raise StoreUnavailable("Shopify's answer has no order")
        return node

    def _order_list(self, document: str, oid: str, key: str) -> list[Any]:
        items = self._order_node(document, oid, {}).get(key)
        if not isinstance(items, list):
            raise StoreUnavailable(f"Shopify's {key} of an order are malformed")
        return items[: q.LIST_MAX]

    def _follow(
        self, document: str, oid: str, key: str, first: Any, cap: int
    ) -> tuple[list[Any], bool]:
        """The nodes of the order's connection ``key``: ``first`` (the page already read) and
        the pages after it, up to ``cap`` nodes and ``_max_pages(cap)`` follow-up pages; True
        when Shopify had more past a cap."""
        nodes = list(_nodes(first, key))
        cursor = _next_cursor(first, key, nodes, set())
        seen = {cursor}
        pages = 0
        while cursor is not None and len(nodes) < cap and pages < _max_pages(cap):
            conn = self._order_node(document, oid, {"after": cursor}).get(key)
            page = _nodes(conn, key)
            pages += 1
            nodes.extend(page)
            cursor = _next_cursor(conn, key, page, seen)
        return nodes[:cap], cursor is not None or len(nodes) > cap

    def _order_pages(
        self, document: str, oid: str, key: str, *, root: str = "order", cap: int
    ) -> Iterator[Any]:
        """The nodes of ``root``'s connection ``key``, page by page from the first, up to
        ``cap`` (actions stop early once they found what they look for). A store whose pages
        go on past ``_max_pages(cap)`` before ``cap`` nodes is misbehaving: StoreUnavailable."""
        cursor: str | None = None
        count = 0
        pages = 0
        seen: set[str | None] = set()
        while count < cap:
            if pages >= _max_pages(cap):
                log.warning("Shopify %s %s: its %s pages go on past %d", root, oid, key, pages)
                raise StoreUnavailable(
                    f"Shopify's {key} pages go on past {pages} pages without reaching "
                    f"{cap} items; the store is misbehaving"
                )
            node = self.graphql(document, {"id": oid, "after": cursor}).get(root)
            pages += 1
            if node is None:
                raise StoreRefused(f"Shopify has no such {root}")
            if not isinstance(node, dict):
                raise StoreUnavailable(f"Shopify's answer has no {root}")
            conn = node.get(key)
            page = _nodes(conn, key)
            for item in page:
                if count >= cap:
                    return
                count += 1
                yield item
            cursor = _next_cursor(conn, key, page, seen)
            if cursor is None:
                return

    # --- webhooks -------------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = _header(headers, "x-shopify-hmac-sha256")
        if not given or not self._webhook_secret:
            return False
        expected = hmac_signature(self._webhook_secret, body)
        return hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii"))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent | None:
        topic = _header(headers, "x-shopify-topic").strip().lower()
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise parse.ShapeError("the body is not JSON") from None
        if not isinstance(data, dict):
            raise parse.ShapeError("the body is not a JSON object")
        from csdesk.server.edge.bad_text import scrub_payload

        data = scrub_payload(data, "shopify")
        if topic in _CUSTOMER_TOPICS:
            return WebhookEvent(topic, customer=parse.rest_customer(data))
        if topic == "customers/delete":
            return WebhookEvent(topic, deleted_id=parse.gid("Customer", data.get("id")))
        if topic in _ORDER_TOPICS:
            return WebhookEvent(
                topic, customer=parse.rest_customer_of(data), order=parse.rest_order(data)
            )
        if topic in _ORDER_ID_TOPICS or topic in _RETURN_TOPICS:
            order_id = data.get("order_id")
            if order_id is None and isinstance(data.get("order"), dict):
                order_id = data["order"].get("id") or data["order"].get("admin_graphql_api_id")
            return WebhookEvent(topic, order_id=parse.gid("Order", order_id))
        return None

    # --- actions --------------------------------------------------------------------------------

    def _order_for_actions(self, order_id: str) -> dict[str, Any]:
        node = self.graphql(q.ORDER_FOR_ACTIONS, {"id": order_id}).get("order")
        if not isinstance(node, dict):
            raise StoreRefused("Shopify has no such order")
        return node

    def _mutate(self, document: str, key: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        data = self.graphql(document, variables)
        result = data.get(key)
        if not isinstance(result, dict):
            raise StoreUnavailable(f"Shopify's answer has no {key}")
        errors = result.get("userErrors") or result.get("orderCancelUserErrors")
        if errors:
            raise StoreRefused(f"Shopify: {_messages(errors)}")
        return result

    def refund(
        self,
        order_id: str,
        lines: Sequence[LineQuantity],
        amount_cents: int,
        currency: str,
        reason: str,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """``refundCreate``. Shopify's refunds carry no key of their own, so the key goes at
        the end of the refund's note (``[csdesk <key>]``) and a refund already carrying it is
        answered instead of refunding again (a retry after a lost answer)."""
        order = self._order_for_actions(order_id)
        marker = f"[csdesk {idempotency_key}]" if idempotency_key else ""
        if marker:
            for done in self._order_list(q.ORDER_REFUNDS, order_id, "refunds"):
                if isinstance(done, dict) and marker in str(done.get("note") or ""):
                    return ActionResult(
                        f"Refund of {_decimal(amount_cents, currency)} {currency} was already "
                        "recorded in Shopify",
                        external_id=_id(done),
                    )
        parents = [
            t
            for t in order.get("transactions") or []
            if isinstance(t, dict)
            and t.get("kind") in ("SALE", "CAPTURE")
            and t.get("status") == "SUCCESS"
        ]
        refund_input: dict[str, Any] = {
            "orderId": order_id,
            "note": " ".join(p for p in (reason[:440], marker) if p) or None,
            "notify": True,
            "refundLineItems": [
                {
                    "lineItemId": ln.line_external_id,
                    "quantity": ln.quantity,
                    "restockType": "NO_RESTOCK",
                }
                for ln in lines
            ],
        }
        if amount_cents > 0:
            if not parents:
                raise StoreRefused("Shopify shows no captured payment to refund")
            parent = parents[0]
            refund_input["transactions"] = [
                {
                    "orderId": order_id,
                    "parentId": parent["id"],
                    "gateway": parent.get("gateway") or "manual",
                    "kind": "REFUND",
                    "amount": _decimal(amount_cents, currency),
                }
            ]
        result = self._mutate(q.REFUND_CREATE, "refundCreate", {"input": refund_input})
        refund = result.get("refund") or {}
        return ActionResult(
            f"Refund of {_decimal(amount_cents, currency)} {currency} recorded in Shopify",
            external_id=_id(refund),
        )

    def create_return(
        self,
        order_id: str,
        lines: Sequence[LineQuantity],
        reason: str,
        instructions: str,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """``returnCreate``. A return carries no key of its own, so ``idempotency_key`` rides
        at the end of each line's ``returnReasonNote`` (``[csdesk-…]``, ``key_tag``) and a
        return of the order already carrying it is answered instead of opening another."""
        marker = f"[{key_tag(idempotency_key)}]" if idempotency_key else ""
        if marker:
            returns = self._order_pages(q.ORDER_RETURNS, order_id, "returns", cap=q.MAX_RETURNS)
            for done in returns:
                notes = ((done or {}).get("returnLineItems") or {}).get("nodes") or []
                if any(marker in str((n or {}).get("returnReasonNote") or "") for n in notes):
                    return ActionResult(
                        f"Return {done.get('name') or ''} was already opened in Shopify".replace(
                            "  ", " "
                        ),
                        external_id=_id(done),
                        extra={"instructions": instructions[:1000]} if instructions else {},
                    )
        by_line = self._fulfilled_lines(order_id, {ln.line_external_id for ln in lines})
        items = []
        for ln in lines:
            fli_id = by_line.get(ln.line_external_id)
            if fli_id is None:
                raise StoreRefused("that line has not been fulfilled, so it cannot be returned")
            items.append(
                {
                    "fulfillmentLineItemId": fli_id,
                    "quantity": ln.quantity,
                    "returnReason": "OTHER",
                    "returnReasonNote": " ".join(p for p in (reason[:200], marker) if p),
                }
            )
        result = self._mutate(
            q.RETURN_CREATE,
            "returnCreate",
            {
                "returnInput": {
                    "orderId": order_id,
                    "returnLineItems": items,
                    "notifyCustomer": True,
                }
            },
        )
        ret = result.get("return") or {}
        name = str(ret.get("name") or "")
        return ActionResult(
            f"Return {name} opened in Shopify".replace("  ", " "),
            external_id=_id(ret),
            extra={"instructions": instructions[:1000]} if instructions else {},
        )

    def cancel(self, order_id: str, reason: str) -> ActionResult:
        result = self._mutate(
            q.ORDER_CANCEL,
            "orderCancel",
            {
                "orderId": order_id,
                "reason": "CUSTOMER",
                "refund": True,
                "restock": True,
                "notifyCustomer": True,
                "staffNote": reason[:255] or None,
            },
        )
        job = result.get("job") or {}
        return ActionResult("Cancellation requested in Shopify", external_id=_id(job))

    def create_replacement(
        self,
        order_id: str,
        lines: Sequence[LineQuantity],
        note: str,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """``draftOrderCreate`` (tagged ``csdesk-replacement``). Draft orders carry no key of
        their own, so ``idempotency_key`` becomes a tag too (``key_tag``) and a retry first
        asks for a draft order carrying it (``draftOrders(query: "tag:'…'")``), answering
        that one instead of making a second replacement when an earlier answer was lost."""
        order = self._order_for_actions(order_id)
        tag = key_tag(idempotency_key) if idempotency_key else ""
        if tag:
            earlier = self._draft_tagged(tag)
            if earlier is not None:
                return ActionResult(
                    f"Replacement draft order {earlier.get('name') or ''} was already created "
                    "in Shopify".replace("  ", " "),
                    external_id=_id(earlier),
                )
        wanted = {ln.line_external_id for ln in lines}
        known: dict[str, dict[str, Any]] = {}
        for li in self._order_pages(q.ORDER_LINE_VARIANTS, order_id, "lineItems", cap=q.MAX_LINES):
            if isinstance(li, dict) and str(li.get("id")) in wanted:
                known[str(li["id"])] = li
                if len(known) == len(wanted):
                    break
        items = []
        for ln in lines:
            li = known.get(ln.line_external_id)
            if li is None:
                raise StoreRefused("that line is not on the order")
            variant = (li.get("variant") or {}).get("id")
            if variant:
                items.append({"variantId": variant, "quantity": ln.quantity})
            else:
                price = ((li.get("originalUnitPriceSet") or {}).get("shopMoney") or {}).get(
                    "amount"
                )
                items.append(
                    {"title": li.get("title") or "Item", "quantity": ln.quantity,
                     "originalUnitPrice": price or "0"}
                )  # fmt: skip
        draft: dict[str, Any] = {
            "lineItems": items,
            "note": (note or f"Replacement for {order.get('name')}")[:500],
            "tags": ["csdesk-replacement", tag] if tag else ["csdesk-replacement"],
            "appliedDiscount": {"valueType": "PERCENTAGE", "value": 100.0, "title": "Replacement"},
        }
        if (order.get("customer") or {}).get("id"):
            draft["customerId"] = order["customer"]["id"]
        if order.get("email"):
            draft["email"] = order["email"]
        if isinstance(order.get("shippingAddress"), dict):
            draft["shippingAddress"] = order["shippingAddress"]
        result = self._mutate(q.DRAFT_ORDER_CREATE, "draftOrderCreate", {"input": draft})
        made = result.get("draftOrder") or {}
        return ActionResult(
            f"Replacement draft order {made.get('name') or ''} created in Shopify".replace(
                "  ", " "
            ),
            external_id=_id(made),
        )

    def _fulfilled_lines(self, order_id: str, wanted: set[str]) -> dict[str, str]:
        """The fulfillment line item of each of ``wanted`` lines that has one: the order's
        fulfillments, then their line items page by page, stopping once all are found (at
        most ``MAX_LINES`` fulfillment lines are read)."""
        found: dict[str, str] = {}
        budget = q.MAX_LINES
        for f in self._order_list(q.ORDER_FULFILLMENT_IDS, order_id, "fulfillments"):
            fid = f.get("id") if isinstance(f, dict) else None
            if not isinstance(fid, str) or budget <= 0:
                continue
            pages = self._order_pages(
                q.FULFILLMENT_LINE_ITEMS, fid, "fulfillmentLineItems", root="fulfillment",
                cap=budget,
            )  # fmt: skip
            for fli in pages:
                budget -= 1
                line = ((fli or {}).get("lineItem") or {}).get("id")
                if line in wanted and (fli or {}).get("id"):
                    found.setdefault(str(line), str(fli["id"]))
                    if len(found) == len(wanted):
                        return found
        if budget <= 0 and len(found) < len(wanted):
            raise StoreRefused(
                f"the order has more than {q.MAX_LINES} fulfilled lines, more than csdesk "
                "reads; open this return in Shopify's admin"
            )
        return found

    def _draft_tagged(self, tag: str) -> dict[str, Any] | None:
        """The draft order carrying ``tag`` (Shopify's search matches tags case-insensitively
        and loosely, so the node's own tags are checked too)."""
        found = self.graphql(q.DRAFT_ORDERS_TAGGED, {"query": f"tag:'{tag}'"}).get("draftOrders")
        nodes = found.get("nodes") if isinstance(found, dict) else None
        for node in nodes if isinstance(nodes, list) else []:
            tags = node.get("tags") if isinstance(node, dict) else None
            if isinstance(tags, list) and any(
                isinstance(t, str) and t.lower() == tag for t in tags
            ):
                return dict(node)
        return None

    def change_shipping_address(self, order_id: str, address: Address) -> ActionResult:
        first, _sp, last = address.name.strip().partition(" ")
        mailing = {
            "firstName": first,
            "lastName": last,
            "address1": address.line1,
            "address2": address.line2,
            "city": address.city,
            "provinceCode": address.region,
            "zip": address.postal_code,
            "countryCode": address.country_code.upper(),
            "phone": address.phone,
        }
        self._mutate(
            q.ORDER_UPDATE,
            "orderUpdate",
            {"input": {"id": order_id, "shippingAddress": {k: v for k, v in mailing.items() if v}}},
        )
        return ActionResult("Shipping address changed in Shopify")

    def add_note(
        self, order_id: str, text: str, *, idempotency_key: str | None = None
    ) -> ActionResult:
        """The text appended to the order's note. ``idempotency_key``: the line ends with
        ``[csdesk <key>]``, and a retry that finds it in the note adds nothing."""
        order = self._order_for_actions(order_id)
        before = str(order.get("note") or "")
        if idempotency_key:
            marker = f"[csdesk {idempotency_key[:100]}]"
            if marker in before:
                return ActionResult("Note was already on the order in Shopify")
            text = f"{text} {marker}"
        note = f"{before}\n{text}" if before else text
        self._mutate(
            q.ORDER_UPDATE, "orderUpdate", {"input": {"id": order_id, "note": note[:5000]}}
        )
        return ActionResult("Note added to the order in Shopify")


def key_tag(key: str) -> str:
    """The tag naming an idempotency key: ``csdesk-`` and, for an action id (a UUID), its 32
    hex digits, for any other key 32 hex digits of its SHA-256. 39 characters, short for a
    tag and plain in Shopify's search syntax; two keys never share a tag by accident."""
    try:
        if str(uuid.UUID(key)) == key.lower():
            return f"csdesk-{uuid.UUID(key).hex}"
    except ValueError:
        pass
    return "csdesk-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _parsed(fn: Callable[[Any], Any], node: Any) -> Any:
    try:
        return fn(node)
    except parse.ShapeError as exc:
        raise StoreUnavailable(f"Shopify sent a record csdesk cannot read: {exc}") from None


def _has_next(conn: Any) -> bool:
    info = conn.get("pageInfo") if isinstance(conn, dict) else None
    return isinstance(info, dict) and bool(info.get("hasNextPage"))


def _end_cursor(conn: Any) -> str | None:
    """Where the next page starts, or None after the last page."""
    if not _has_next(conn):
        return None
    cursor = conn["pageInfo"].get("endCursor")
    if not isinstance(cursor, str) or not cursor or len(cursor) > 2000:
        raise StoreUnavailable("Shopify's page has more but no cursor to it")
    return cursor


def _max_pages(cap: int) -> int:
    """The most pages csdesk reads of one connection capped at ``cap`` nodes: enough for
    ``cap`` at the follow-up page size, so a store whose pages are empty or tiny cannot keep
    csdesk reading one order for ever."""
    return cap // min(q.LINES_PAGE, q.RETURNS_PAGE) + 1


def _next_cursor(conn: Any, key: str, page: list[Any], seen: set[str | None]) -> str | None:
    """The cursor after ``page`` (None after the last page). An empty page that claims more,
    or a cursor already followed, is a store misbehaving: StoreUnavailable, said in the log
    and the store's sync status."""
    cursor = _end_cursor(conn)
    if cursor is None:
        return None
    if not page:
        log.warning("Shopify sent an empty page of %s that claims more pages", key)
        raise StoreUnavailable(
            f"Shopify sent an empty page of {key} that claims more; the store is misbehaving"
        )
    if cursor in seen:  # a cursor that does not move: never loop on it
        raise StoreUnavailable(f"Shopify's {key} pages do not advance")
    seen.add(cursor)
    return cursor


def _nodes(conn: Any, key: str) -> list[Any]:
    nodes = conn.get("nodes") if isinstance(conn, dict) else None
    if not isinstance(nodes, list):
        raise StoreUnavailable(f"Shopify's {key} page is malformed")
    return nodes


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 1e9 else None


def _messages(errors: Any) -> str:
    if not isinstance(errors, list):
        return str(errors)[:300]
    texts = [
        str(e.get("message", e))[:200] if isinstance(e, dict) else str(e)[:200] for e in errors
    ]
    return "; ".join(texts[:5]) or "unknown error"


def _id(node: Any) -> str | None:
    value = node.get("id") if isinstance(node, dict) else None
    return str(value)[:80] if value else None


def _decimal(amount_cents: int, currency: str) -> str:
    exp = parse.exponent(currency)
    if exp == 0:
        return str(amount_cents)
    sign = "-" if amount_cents < 0 else ""
    whole, frac = divmod(abs(amount_cents), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""
