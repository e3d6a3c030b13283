"""Finding what an earlier try of an order action made in WooCommerce, by its idempotency key.

WooCommerce has no idempotency keys, so csdesk leaves the order action's key on what it makes
(meta ``_csdesk_action`` on a refund or a replacement order, ``[csdesk <key>]`` at the end of
a return's private note) and a retry, whose earlier answer may have been lost on the way
(a read timeout after the request went out), looks for it first and answers that instead of
making a second one. These are the look-ups; ``woocommerce.WooCommerceStore`` calls them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from csdesk.server.commerce.store_api import StoreUnavailable

if TYPE_CHECKING:
    from csdesk.server.commerce.woocommerce import WooCommerceStore

#: The meta key naming the csdesk action that made a refund or a replacement order.
ACTION_META: Final = "_csdesk_action"
#: How far back a retried replacement looks for the order an earlier try made, and in how many
#: pages of 100 of the customer's orders: a retry comes within hours (12 tries, backoff at
#: most 5 minutes), so this is ample, and bounded for a customer with very many orders.
REPLACEMENT_LOOKBACK: Final = timedelta(days=30)
REPLACEMENT_PAGES: Final = 3
_PER_PAGE: Final = 100  # WooCommerce's largest page


def has_key(meta_data: object, key: str) -> bool:
    """A record's ``meta_data`` carries ``_csdesk_action`` = ``key``."""
    return isinstance(meta_data, list) and any(
        isinstance(meta, dict) and meta.get("key") == ACTION_META and meta.get("value") == key
        for meta in meta_data
    )


def replacement_with_key(
    store: WooCommerceStore, raw: Mapping[str, Any], key: str
) -> dict[str, Any] | None:
    """The order whose meta ``_csdesk_action`` is ``key``, among the recent orders of the
    customer of ``raw`` (the original order). The REST API cannot filter orders by custom
    meta, so this lists ``GET /orders?customer=<id>`` (a guest's: ``search=<billing email>``)
    created after ``REPLACEMENT_LOOKBACK`` ago (``after``, ``dates_are_gmt=true``), newest
    first, at most ``REPLACEMENT_PAGES`` pages, and matches the key. A guest order without an
    email cannot be looked for: None (the retry then creates the order)."""
    since = (datetime.now(UTC) - REPLACEMENT_LOOKBACK).replace(tzinfo=None, microsecond=0)
    params = {
        "per_page": str(_PER_PAGE),
        "orderby": "date",
        "order": "desc",
        "after": since.isoformat(),
        "dates_are_gmt": "true",
    }
    customer_id = raw.get("customer_id")
    billing = raw.get("billing")
    email = billing.get("email") if isinstance(billing, dict) else None
    if isinstance(customer_id, int) and not isinstance(customer_id, bool) and customer_id > 0:
        params["customer"] = str(customer_id)
    elif isinstance(email, str) and email.strip():
        params["search"] = email.strip()[:200]
    else:
        return None
    for page in range(1, REPLACEMENT_PAGES + 1):
        resp, data = store._json(
            "GET", "/orders", "the customer's recent orders", params={**params, "page": str(page)}
        )
        if not isinstance(data, list):
            raise StoreUnavailable("WooCommerce sent the orders as something other than a list")
        for item in data:
            if (
                isinstance(item, dict)
                and isinstance(item.get("id"), int)
                and not isinstance(item["id"], bool)
                and has_key(item.get("meta_data"), key)
            ):
                return item
        total_pages = resp.headers.get("X-WP-TotalPages", "").strip()
        more = page < int(total_pages) if total_pages.isdigit() else len(data) >= _PER_PAGE
        if not more:
            break
    return None


def note_with(store: WooCommerceStore, oid: int, marker: str) -> str | None:
    """The id of order ``oid``'s private note containing ``marker`` (``type=internal``: the
    notes csdesk writes; WooCommerce lists an order's notes in one answer, unpaged)."""
    _resp, data = store._json(
        "GET", f"/orders/{oid}/notes", f"the notes of order {oid}", params={"type": "internal"}
    )
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("note"), str):
            continue
        note_id = item.get("id")
        if marker in item["note"] and isinstance(note_id, int) and not isinstance(note_id, bool):
            return str(note_id)
    return None
