"""The WooCommerce connector: REST API v3 (``/wp-json/wc/v3/...``) with a consumer key/secret.

Authentication: HTTP Basic with the consumer key as user and the consumer secret as password,
which WooCommerce documents for HTTPS. The other documented ways are worse here: the key and
secret in the query string end up in every access log between us and the store, and OAuth 1.0a
is meant for plain HTTP, which csdesk refuses anyway. (A few hosts strip the Authorization
header before PHP sees it; WooCommerce then answers 401, shown as a refusal naming the key.)

Every call goes through the server's outbound rules (``channels.egress``): https only, to a
public address checked at connect time; the loopback fakes in tests are exempted by
``trusted_origins`` (``$CSDESK_FETCH_TRUSTED_ORIGINS``) exactly as for media. Redirects are
not followed: a store URL that redirects (http to https, a missing ``www``) is refused with
the place it points to, so the operator configures that one.

Lists page with ``page``/``per_page`` (at most 100), sorted by id ascending so a resumed
import sees records added meanwhile at the end; ``X-WP-TotalPages`` says when to stop (without
it, a short page does). The cursor is the next page number. Orders reconcile with
``modified_after`` (``dates_are_gmt=true``); the customers endpoint has no such filter, so a
customer reconcile reads every page and keeps those modified since.

Answers: 429 and 5xx (and the network) are :class:`StoreUnavailable` with ``Retry-After``;
other 4xx are :class:`StoreRefused` with WooCommerce's error JSON ``message`` (and ``code``).
Bodies are read within bounds (``bounded_json``); a record in a page that does not parse is
skipped and logged, never imported half-read.
"""

from __future__ import annotations

import email.utils
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import requests

from csdesk.server.channels import egress
from csdesk.server.commerce import woocommerce_keys as keys
from csdesk.server.commerce import woocommerce_records as records
from csdesk.server.commerce import woocommerce_webhooks as webhooks
from csdesk.server.commerce.bounded_json import MAX_BYTES, Malformed, loads
from csdesk.server.commerce.minor_units import BadAmount, exponent, from_minor
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
from csdesk.server.commerce.woocommerce_webhooks import is_ping, parse_webhook, verify_webhook

log = logging.getLogger(__name__)
T = TypeVar("T")

API_PREFIX: Final = "/wp-json/wc/v3"
#: The meta key on a refund or replacement naming the csdesk action which made it.
ACTION_META: Final = keys.ACTION_META
MAX_PAGE_SIZE: Final = 100
#: Pages of an order's refunds read for an action's key before refunding (1,000 refunds).
REFUND_PAGES: Final = 10
TIMEOUT: Final = (5.0, 30.0)
#: Retry-After beyond this is taken as this (a misconfigured proxy saying "a day").
MAX_RETRY_AFTER: Final = 3600.0
#: Order states in which nothing can be cancelled or re-addressed any more.
_FINAL: Final = frozenset({"completed", "refunded", "cancelled", "trash"})
#: WooCommerce answers these business refusals with HTTP 500 (``wc_create_refund``'s errors:
#: more than is left to refund, a gateway that cannot refund): final, not "try later".
_REFUSED_AS_500: Final = frozenset({"woocommerce_rest_cannot_create_order_refund"})
_ADDRESS_KEYS: Final = (
    "first_name", "last_name", "company", "address_1", "address_2", "city", "state",
    "postcode", "country", "email", "phone",
)  # fmt: skip


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent/garbage."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit() and len(value) <= 10:
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER)


def _store_url(url: str) -> str:
    """The store's home URL without a trailing slash; a path (WordPress in a folder) stays."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise ValueError("the store URL must be an https:// address")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("the store URL must not carry a user name, query or fragment")
    path = parts.path.rstrip("/")
    if path.endswith("/wp-json/wc/v3"):  # the operator pasted the API root
        path = path[: -len("/wp-json/wc/v3")]
    return f"{parts.scheme.lower()}://{parts.netloc}{path}"


def _order_id(value: str) -> int:
    if not value.isdigit() or len(value) > 15 or int(value) == 0:
        raise StoreRefused(f"{value[:40]!r} is not a WooCommerce order id")
    return int(value)


def _error_text(body: bytes) -> tuple[str, str]:
    """(code, message) from WooCommerce's error JSON ``{"code", "message", "data"}``."""
    try:
        data = loads(body, what="the error", max_bytes=64 * 1024)
    except Malformed:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    code, message = data.get("code"), data.get("message")
    return (
        code[:80] if isinstance(code, str) else "",
        " ".join(message.split())[:300] if isinstance(message, str) else "",
    )


class WooCommerceStore:
    """One WooCommerce store (see the module docstring). Methods block: run them on a worker."""

    provider = "woocommerce"

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        webhook_secret: str,
        *,
        policy: egress.EgressPolicy | None = None,
        page_size: int = 50,
        gateway_refunds: bool = True,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        """``url``: the store's home (``https://shop.example``); ``policy``: the server's
        outbound rules (``media_fetch.policy_of(state)``; default: no exemptions).
        ``gateway_refunds``: a refund also refunds through the payment gateway
        (``api_refund``); False records it in WooCommerce only (the money moves by hand)."""
        if not consumer_key or not consumer_secret:
            raise ValueError("the WooCommerce consumer key and secret are required")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self.base_url = _store_url(url)
        self.api_url = self.base_url + API_PREFIX
        self._auth = (consumer_key, consumer_secret)
        self._webhook_secret = webhook_secret
        self.page_size = page_size
        self.gateway_refunds = gateway_refunds
        self.timeout = timeout
        self._http = egress.GuardedSession(policy or egress.EgressPolicy())
        self._http.headers["User-Agent"] = "csdesk-woocommerce/1"

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:  # never the key or secret
        return f"WooCommerceStore({self.base_url!r})"

    # --- HTTP ------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> tuple[requests.Response, bytes]:
        """One request; the response and its body (read within ``MAX_BYTES``)."""
        url = self.api_url + path
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            self._http.policy.check_url(url, None)
            resp = self._http.request(
                method,
                url,
                params=dict(params) if params else None,
                data=data,
                headers=headers,
                auth=self._auth,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
            with resp:
                content = self._read(resp)
        except egress.Refused as exc:
            raise StoreRefused(f"csdesk will not connect to the store: {exc.reason}") from None
        except requests.RequestException as exc:
            raise StoreUnavailable(
                f"could not reach the WooCommerce store ({type(exc).__name__})"
            ) from None
        self._check(resp, content)
        return resp, content

    def _read(self, resp: requests.Response) -> bytes:
        declared = resp.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > MAX_BYTES:
            raise StoreUnavailable(f"the store's answer is {declared} bytes, over {MAX_BYTES}")
        parts: list[bytes] = []
        total = 0
        for chunk in resp.iter_content(64 * 1024):
            total += len(chunk)
            if total > MAX_BYTES:
                raise StoreUnavailable(f"the store's answer is over {MAX_BYTES} bytes")
            parts.append(chunk)
        return b"".join(parts)

    def _check(self, resp: requests.Response, content: bytes) -> None:
        status = resp.status_code
        if 200 <= status < 300:
            return
        code, message = _error_text(content)
        said = f": {message}" if message else ""
        if 300 <= status < 400:
            where = resp.headers.get("Location", "")[:200]
            raise StoreRefused(
                f"the store URL redirects (HTTP {status}) to {where or 'elsewhere'}; "
                "configure the address it redirects to"
            )
        if code in _REFUSED_AS_500:
            raise StoreRefused(f"WooCommerce refused{said or ' the refund'}")
        if status == 429 or status >= 500:
            raise StoreUnavailable(
                f"WooCommerce answered HTTP {status}{said}",
                _retry_after(resp.headers.get("Retry-After")),
            )
        if status in (401, 403):
            raise StoreRefused(
                f"WooCommerce refused the API key (HTTP {status}{said}); check the key's "
                "permissions (Read/Write) and that the host passes the Authorization header"
            )
        if status == 404 and code == "rest_no_route":
            raise StoreRefused(
                f"the store has no WooCommerce REST API at {self.api_url} (is WooCommerce "
                "active, and are permalinks other than 'Plain'?)"
            )
        raise StoreRefused(
            f"WooCommerce refused (HTTP {status}{said})" + (f" [{code}]" if code else "")
        )

    def _json(self, method: str, path: str, what: str, **kw: Any) -> tuple[requests.Response, Any]:
        resp, content = self._call(method, path, **kw)
        try:
            return resp, loads(content, what=what)
        except Malformed as exc:
            raise StoreUnavailable(f"WooCommerce sent {exc}") from None

    def _action(self, method: str, path: str, body: Mapping[str, Any], what: str) -> Any:
        """A write: its answer, or None when WooCommerce accepted it (2xx) but the answer
        cannot be read (the action happened: it must not be retried)."""
        _resp, content = self._call(method, path, body=body)
        try:
            return loads(content, what=what)
        except Malformed as exc:
            log.warning("WooCommerce accepted %s but its answer is unreadable: %s", what, exc)
            return None

    # --- reading -------------------------------------------------------------------------

    def _page_number(self, cursor: str | None) -> int:
        if cursor is None:
            return 1
        if not cursor.isdigit() or not 1 <= int(cursor) <= 10**6:
            raise StoreRefused(f"{cursor[:20]!r} is not a WooCommerce page cursor")
        return int(cursor)

    def _page(
        self,
        path: str,
        cursor: str | None,
        extra: Mapping[str, str],
        parse: Callable[[object], T],
        keep: Callable[[T], bool] | None = None,
    ) -> Page[T]:
        page = self._page_number(cursor)
        params = {
            "page": str(page),
            "per_page": str(self.page_size),
            "orderby": "id",
            "order": "asc",
            **extra,
        }
        what = f"the {path.strip('/')} page {page}"
        resp, data = self._json("GET", path, what, params=params)
        if not isinstance(data, list):
            raise StoreUnavailable(f"WooCommerce sent {what} as something other than a list")
        items: list[T] = []
        for raw in data:
            try:
                item = parse(raw)
            except Malformed as exc:
                log.warning("WooCommerce %s: skipped a record: %s", what, exc)
                continue
            if keep is None or keep(item):
                items.append(item)
        total_pages = resp.headers.get("X-WP-TotalPages", "").strip()
        # Without the header (a caching proxy dropped it), a full page means "maybe more".
        more = page < int(total_pages) if total_pages.isdigit() else len(data) >= self.page_size
        return Page(items, str(page + 1) if more and data else None)

    def customers(self, cursor: str | None, updated_since: datetime | None) -> Page[StoreCustomer]:
        def keep(c: StoreCustomer) -> bool:
            return updated_since is None or c.updated_at is None or c.updated_at >= updated_since

        return self._page("/customers", cursor, {}, records.customer, keep)

    def orders(self, cursor: str | None, updated_since: datetime | None) -> Page[StoreOrder]:
        extra: dict[str, str] = {}
        if updated_since is not None:
            since = updated_since.astimezone(UTC).replace(tzinfo=None, microsecond=0)
            extra = {"modified_after": since.isoformat(), "dates_are_gmt": "true"}
        return self._page("/orders", cursor, extra, records.order)

    def _raw_order(self, order_id: str) -> dict[str, Any]:
        oid = _order_id(order_id)
        _resp, data = self._json("GET", f"/orders/{oid}", f"order {oid}")
        if not isinstance(data, dict):
            raise StoreUnavailable(
                f"WooCommerce sent order {oid} as something other than an object"
            )
        return data

    def order(self, external_id: str) -> StoreOrder:
        raw = self._raw_order(external_id)
        try:
            return records.order(raw)
        except Malformed as exc:
            raise StoreRefused(f"WooCommerce sent an order csdesk cannot read: {exc}") from None

    def check(self) -> str:
        """One cheap read that proves the URL, the key and its read permission (for
        ``store add``): a sentence with the store's order and customer counts."""
        counts = []
        for kind in ("orders", "customers"):
            resp, _data = self._json(
                "GET", f"/{kind}", f"the {kind}", params={"page": "1", "per_page": "1"}
            )
            total = resp.headers.get("X-WP-Total", "").strip()
            counts.append(f"{total if total.isdigit() else 'some'} {kind}")
        return f"Connected to WooCommerce at {self.base_url}: {' and '.join(counts)}"

    # --- webhooks --------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return webhooks.verify_webhook(self._webhook_secret, body, headers)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent | None:
        """See ``woocommerce_webhooks.parse_webhook`` (raises ``Malformed``)."""
        return webhooks.parse_delivery(headers, body)

    # --- actions ---------------------------------------------------------------------------

    def _lines(
        self, raw: Mapping[str, Any], wanted: Sequence[LineQuantity], action: str
    ) -> list[tuple[Mapping[str, Any], int]]:
        """The order's raw line items for ``wanted``, quantities checked."""
        by_id: dict[str, Mapping[str, Any]] = {}
        for item in raw.get("line_items") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                by_id[str(item["id"])] = item
        chosen: list[tuple[Mapping[str, Any], int]] = []
        for want in wanted:
            item = by_id.get(want.line_external_id)
            if item is None:
                raise StoreRefused(f"the order has no line {want.line_external_id[:40]!r}")
            ordered = item.get("quantity")
            if not isinstance(ordered, int) or not 0 < want.quantity <= ordered:
                raise StoreRefused(
                    f"cannot {action} {want.quantity} of line {want.line_external_id}: "
                    f"the order has {ordered}"
                )
            chosen.append((item, want.quantity))
        return chosen

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
        """``POST /orders/<id>/refunds``: ``amount`` is what is refunded (it takes precedence
        over the lines' totals in WooCommerce); the lines are refunded pro rata of their
        total (and restocked, WooCommerce's default).

        ``idempotency_key`` (the order action's id, say): WooCommerce has no idempotency of
        its own, so the key goes into the refund's meta data (``_csdesk_action``) and a retry
        first looks for a refund carrying it (``GET /orders/<id>/refunds``), answering that
        one instead of refunding twice when an earlier answer was lost on the way."""
        raw = self._raw_order(order_id)
        order_currency = raw.get("currency")
        if order_currency != currency:
            raise StoreRefused(f"the order is in {order_currency}, not {currency}")
        try:
            amount = from_minor(amount_cents, currency)
        except BadAmount as exc:
            raise StoreRefused(f"cannot refund that amount: {exc}") from None
        if amount_cents <= 0:
            raise StoreRefused("a refund must be more than zero")
        body: dict[str, Any] = {
            "amount": amount,
            "reason": reason[:500],
            "api_refund": self.gateway_refunds,
        }
        chosen = self._lines(raw, lines, "refund")
        if chosen:
            body["line_items"] = [
                {
                    "id": item["id"],
                    "quantity": qty,
                    "refund_total": self._pro_rata(
                        item.get("total"), qty, item["quantity"], currency
                    ),
                }
                for item, qty in chosen
            ]
        oid = _order_id(order_id)
        shown = f"{amount} {currency}"
        if idempotency_key:
            key = idempotency_key[:100]
            earlier = self._refund_with_key(oid, key)
            if earlier is not None:
                return self._refund_result(earlier, shown, currency, again=True)
            body["meta_data"] = [{"key": ACTION_META, "value": key}]
        answer = self._action("POST", f"/orders/{oid}/refunds", body, f"the refund of order {oid}")
        return self._refund_result(answer, shown, currency)

    def _refund_with_key(self, oid: int, key: str) -> dict[str, Any] | None:
        """The order's refund whose meta ``_csdesk_action`` is ``key``: the refunds newest
        first, a page of 100 at a time (``page``, ``X-WP-TotalPages``), at most
        ``REFUND_PAGES`` pages (an earlier try's refund is among the newest)."""
        for page in range(1, REFUND_PAGES + 1):
            resp, data = self._json(
                "GET",
                f"/orders/{oid}/refunds",
                f"the refunds of order {oid}",
                params={"per_page": str(MAX_PAGE_SIZE), "page": str(page)},
            )
            if not isinstance(data, list):
                raise StoreUnavailable(
                    "WooCommerce sent the refunds as something other than a list"
                )
            for item in data:
                if isinstance(item, dict) and keys.has_key(item.get("meta_data"), key):
                    return item
            total_pages = resp.headers.get("X-WP-TotalPages", "").strip()
            more = page < int(total_pages) if total_pages.isdigit() else len(data) >= MAX_PAGE_SIZE
            if not more:
                break
        return None

    def _refund_result(
        self, answer: Any, shown: str, currency: str, *, again: bool = False
    ) -> ActionResult:
        if not isinstance(answer, dict):
            return ActionResult(f"Refunded {shown} in WooCommerce")
        try:
            made = records.refund(answer, currency)
        except Malformed:
            return ActionResult(f"Refunded {shown} in WooCommerce")
        paid = answer.get("refunded_payment") is True
        how = "through the payment gateway" if paid else "recorded in WooCommerce only"
        when = " earlier" if again else ""
        return ActionResult(
            f"Refunded {shown}{when} ({how}); WooCommerce refund {made.external_id}",
            external_id=made.external_id,
            extra={"refunded_payment": "true" if paid else "false"},
        )

    @staticmethod
    def _pro_rata(total: object, qty: int, ordered: int, currency: str) -> str:
        if not isinstance(total, str):
            raise StoreRefused("the order's line has no total to refund from")
        try:
            value = Decimal(total) * qty / ordered
            places = Decimal(1).scaleb(-exponent(currency))
            return str(value.quantize(places, rounding=ROUND_HALF_UP))
        except (ArithmeticError, ValueError, BadAmount):
            raise StoreRefused("the order's line has an unreadable total") from None

    def _note(self, oid: int, text: str, *, customer: bool = False) -> str | None:
        """``POST /orders/<id>/notes``; the note's id."""
        answer = self._action(
            "POST",
            f"/orders/{oid}/notes",
            {"note": text, "customer_note": customer},
            f"a note on order {oid}",
        )
        note_id = answer.get("id") if isinstance(answer, dict) else None
        return str(note_id) if isinstance(note_id, int) and not isinstance(note_id, bool) else None

    def _note_quietly(self, oid: int, text: str) -> str:
        """A follow-up note after the action itself succeeded: its failure is only reported."""
        try:
            self._note(oid, text)
        except (StoreRefused, StoreUnavailable) as exc:
            return f" (the note could not be added: {exc.reason})"
        return ""

    def add_note(
        self, order_id: str, text: str, *, idempotency_key: str | None = None
    ) -> ActionResult:
        """A private order note (``customer_note: false``: WooCommerce mails customer notes).

        ``idempotency_key``: the note ends with ``[csdesk <key>]``, and a retry first looks
        among the order's private notes for it (as :meth:`create_return` does)."""
        oid = _order_id(order_id)
        if not text.strip():
            raise StoreRefused("the note is empty")
        text = text[:9800]
        if idempotency_key:
            marker = f"[csdesk {idempotency_key[:100]}]"
            earlier = keys.note_with(self, oid, marker)
            if earlier is not None:
                return ActionResult(
                    "Note was already on the WooCommerce order", external_id=earlier
                )
            text = f"{text}\n{marker}"
        note_id = self._note(oid, text)
        return ActionResult("Note added to the WooCommerce order", external_id=note_id)

    def create_return(
        self,
        order_id: str,
        lines: Sequence[LineQuantity],
        reason: str,
        instructions: str,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """WooCommerce has no returns of its own: the return is recorded as a private note
        listing the lines, the reason and the instructions the customer was given.

        ``idempotency_key``: the note ends with ``[csdesk <key>]`` (notes have no meta data),
        and a retry first looks among the order's private notes (``GET /orders/<id>/notes``)
        for one carrying it, answering that one instead of recording the return twice."""
        raw = self._raw_order(order_id)
        chosen = self._lines(raw, lines, "return")
        if not chosen:
            raise StoreRefused("a return needs at least one line")
        listed = "; ".join(
            f"{qty} × {records.text(item.get('name'), 200) or 'item'}"
            + (f" ({records.text(item.get('sku'), 64)})" if item.get("sku") else "")
            for item, qty in chosen
        )
        parts = [f"Return started in csdesk: {listed}."]
        if reason.strip():
            parts.append(f"Reason: {reason.strip()}")
        if instructions.strip():
            parts.append(f"Instructions given to the customer: {instructions.strip()}")
        oid = _order_id(order_id)
        text = "\n".join(parts)[:9800]
        if idempotency_key:
            marker = f"[csdesk {idempotency_key[:100]}]"
            earlier = keys.note_with(self, oid, marker)
            if earlier is not None:
                return ActionResult(
                    "Return was already recorded as a private WooCommerce order note",
                    external_id=earlier,
                )
            text = f"{text}\n{marker}"
        note_id = self._note(oid, text)
        return ActionResult(
            "Return recorded as a private WooCommerce order note (WooCommerce has no returns)",
            external_id=note_id,
        )

    def _refuse_if_final(self, raw: Mapping[str, Any], action: str) -> None:
        status = raw.get("status")
        if status in _FINAL:
            raise StoreRefused(f"cannot {action}: the order is {status} in WooCommerce")
        if records.tracking_items(raw.get("meta_data"), "the order"):
            raise StoreRefused(f"cannot {action}: the order has shipped (it has tracking)")

    def cancel(self, order_id: str, reason: str) -> ActionResult:
        """``PUT /orders/<id>`` ``{"status": "cancelled"}`` for an order not yet fulfilled,
        the reason as a private note. Cancelling a cancelled order succeeds (a retry)."""
        raw = self._raw_order(order_id)
        oid = _order_id(order_id)
        if raw.get("status") == "cancelled":
            return ActionResult("The order was already cancelled in WooCommerce")
        self._refuse_if_final(raw, "cancel")
        self._action("PUT", f"/orders/{oid}", {"status": "cancelled"}, f"cancelling order {oid}")
        problem = (
            self._note_quietly(oid, f"Cancelled from csdesk. Reason: {reason.strip()}")
            if reason.strip()
            else ""
        )
        return ActionResult("Order cancelled in WooCommerce" + problem)

    def change_shipping_address(self, order_id: str, address: Address) -> ActionResult:
        """``PUT /orders/<id>`` with the new ``shipping`` object, before fulfilment."""
        raw = self._raw_order(order_id)
        self._refuse_if_final(raw, "change the shipping address")
        country = address.country_code.strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise StoreRefused(f"{country[:10]!r} is not a two-letter country code")
        first, _, last = address.name.strip().rpartition(" ")
        if not first:
            first, last = last, ""
        shipping = {
            "first_name": first[:100],
            "last_name": last[:100],
            "address_1": address.line1.strip()[:200],
            "address_2": address.line2.strip()[:200],
            "city": address.city.strip()[:100],
            "state": address.region.strip()[:100],
            "postcode": address.postal_code.strip()[:20],
            "country": country,
            "phone": address.phone.strip()[:40],
        }
        oid = _order_id(order_id)
        self._action("PUT", f"/orders/{oid}", {"shipping": shipping}, f"the address of order {oid}")
        return ActionResult("Shipping address changed in WooCommerce")

    def create_replacement(
        self,
        order_id: str,
        lines: Sequence[LineQuantity],
        note: str,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """``POST /orders``: a new "processing" order for the same customer and addresses with
        the chosen lines at zero price, a meta key naming the original, and notes on both.

        ``idempotency_key``: the new order carries it as meta ``_csdesk_action``, and a retry
        first looks for an order carrying it (``woocommerce_keys``), answering that one instead
        of sending the customer a second parcel when an earlier answer was lost (even if its
        product has gone since). The notes are written once, after the order is made."""
        raw = self._raw_order(order_id)
        key = idempotency_key[:100] if idempotency_key else ""
        earlier = keys.replacement_with_key(self, raw, key) if key else None
        if earlier is not None:
            made_id = earlier["id"]
            made_number = records.text(earlier.get("number"), 39) or str(made_id)
            return ActionResult(
                f"Replacement order #{made_number} was already created in WooCommerce",
                external_id=str(made_id),
                extra={"number": f"#{made_number}"},
            )
        chosen = self._lines(raw, lines, "resend")
        if not chosen:
            raise StoreRefused("a replacement needs at least one line")
        currency = raw.get("currency")
        if not isinstance(currency, str):
            raise StoreRefused("the order has no currency")
        zero = from_minor(0, currency)
        items: list[dict[str, Any]] = []
        for item, qty in chosen:
            product = item.get("product_id")
            if not isinstance(product, int) or product <= 0:
                raise StoreRefused(
                    f"line {item['id']} has no product in the store any more (deleted?)"
                )
            line: dict[str, Any] = {
                "product_id": product,
                "quantity": qty,
                "subtotal": zero,
                "total": zero,
            }
            variation = item.get("variation_id")
            if isinstance(variation, int) and variation > 0:
                line["variation_id"] = variation
            items.append(line)
        oid = _order_id(order_id)
        number = records.text(raw.get("number"), 39) or str(oid)
        body: dict[str, Any] = {
            "status": "processing",
            "currency": currency,
            "set_paid": False,
            "billing": _address_copy(raw.get("billing")),
            "shipping": _address_copy(raw.get("shipping")),
            "line_items": items,
            "meta_data": [{"key": "_csdesk_replacement_for", "value": str(oid)}],
        }
        customer_id = raw.get("customer_id")
        if isinstance(customer_id, int) and customer_id > 0:
            body["customer_id"] = customer_id
        if key:
            body["meta_data"].append({"key": ACTION_META, "value": key})
        answer = self._action("POST", "/orders", body, f"the replacement of order {oid}")
        new_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(new_id, int) or isinstance(new_id, bool):
            return ActionResult(f"Replacement for order #{number} created in WooCommerce")
        new_number = records.text(answer.get("number"), 39) or str(new_id)
        text = f"Replacement for order #{number}, sent from csdesk."
        if note.strip():
            text += f" {note.strip()}"
        problem = self._note_quietly(new_id, text[:10000])
        problem = problem or self._note_quietly(
            oid, f"Replacement order #{new_number} created from csdesk."
        )
        return ActionResult(
            f"Replacement order #{new_number} created in WooCommerce" + problem,
            external_id=str(new_id),
            extra={"number": f"#{new_number}"},
        )


def _address_copy(value: object) -> dict[str, str]:
    """The order's billing/shipping object, only its documented string fields."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k in _ADDRESS_KEYS if isinstance(v := value.get(k), str)}


#: The webhook functions, here too for the webhooks route (see ``woocommerce_webhooks``).
__all__ = ["WooCommerceStore", "is_ping", "parse_webhook", "verify_webhook"]
