"""A retried WooCommerce refund looks for its key through all of the order's refunds, page by
page (``page``, ``per_page`` 100, ``X-WP-TotalPages``), not only the first 100 (issue 11).
Order bodies themselves carry every line and refund: the import needs no follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from csdesk.server.commerce.woocommerce import ACTION_META, REFUND_PAGES, WooCommerceStore
from tests.helpers.fakes.woocommerce import FakeWooCommerce, make_order, wc_time

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _refund(n: int, at: datetime, meta: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    local, gmt = wc_time(at)
    return {
        "id": 9000 + n, "date_created": local, "date_created_gmt": gmt, "amount": "0.10",
        "reason": f"refund {n}", "refunded_by": 1, "refunded_payment": True,
        "meta_data": meta or [], "line_items": [],
    }  # fmt: skip


def _pages(woo: FakeWooCommerce) -> list[str]:
    """The ``page`` of each refunds list csdesk asked for, in order."""
    return [
        parse_qs(r.query).get("page", [""])[0]
        for r in woo.requests
        if r.method == "GET" and r.path.endswith("/refunds")
    ]


def test_a_retry_finds_its_refund_past_the_first_page(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    woo.add_order(make_order(41))
    key = "5a0e7e0c-7f55-4a8e-9d1b-1c2d3e4f5a6b"
    keyed = _refund(0, T0, [{"id": 1, "key": ACTION_META, "value": key}])
    later = [_refund(n, T0 + timedelta(minutes=n)) for n in range(1, 151)]
    woo.refunds[41] = [keyed, *later]  # newest first: the keyed one is on page 2
    found = store._refund_with_key(41, key)
    assert found is not None and found["id"] == keyed["id"]
    assert _pages(woo) == ["1", "2"]
    assert store._refund_with_key(41, "not-a-key") is None
    assert _pages(woo) == ["1", "2", "1", "2"]  # to the last page, never past X-WP-TotalPages


def test_the_look_up_is_bounded(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    woo.add_order(make_order(42))
    woo.refunds[42] = [
        _refund(n, T0 + timedelta(seconds=n)) for n in range(REFUND_PAGES * 100 + 50)
    ]
    assert store._refund_with_key(42, "absent") is None
    assert _pages(woo) == [str(p) for p in range(1, REFUND_PAGES + 1)]
