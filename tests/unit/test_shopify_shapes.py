"""Shopify's shapes, money and the connector's outbound rules, without a server."""

from __future__ import annotations

import pytest

from csdesk.server.channels.egress import EgressPolicy
from csdesk.server.commerce import shopify_parse as parse
from csdesk.server.commerce.http import StoreHttp
from csdesk.server.commerce.shopify import ShopifyConnector, _decimal, hmac_signature
from csdesk.server.commerce.store_api import StoreUnavailable


@pytest.mark.parametrize(
    ("amount", "currency", "cents"),
    [("12.34", "EUR", 1234), ("1200", "JPY", 1200), ("1.234", "KWD", 1234), ("0", "USD", 0)],
)
def test_money_in_minor_units(amount: str, currency: str, cents: int) -> None:
    assert parse.cents(amount, currency) == cents
    assert parse.cents(_decimal(cents, currency), currency) == cents


@pytest.mark.parametrize("amount", ["1e999", "NaN", "Infinity", "abc", True, None, "9" * 30])
def test_insane_amounts_are_shape_errors(amount: object) -> None:
    with pytest.raises(parse.ShapeError):
        parse.cents(amount, "EUR")


def test_ids_become_global_ids_and_junk_is_refused() -> None:
    assert parse.gid("Order", 450789469) == "gid://shopify/Order/450789469"
    assert parse.gid("Order", "gid://shopify/Order/1") == "gid://shopify/Order/1"
    for bad in ("abc", -1, True, None, "1" * 30, 1.5):
        with pytest.raises(parse.ShapeError):
            parse.gid("Order", bad)


def test_a_rest_order_with_a_negative_quantity_is_refused() -> None:
    order = {"id": 1, "created_at": "2026-11-01T00:00:00Z", "currency": "EUR",
             "line_items": [{"id": 2, "quantity": -1, "price": "1.00"}]}  # fmt: skip
    with pytest.raises(parse.ShapeError):
        parse.rest_order(order)


def test_tracking_urls_must_be_https() -> None:
    tracking = [{"company": "UPS", "number": "1Z", "url": "javascript:alert(1)"}]
    node = {"id": "gid://shopify/Fulfillment/1", "displayStatus": "DELIVERED",
            "trackingInfo": tracking}  # fmt: skip
    order = {"id": 5, "createdAt": "2026-11-01T00:00:00Z", "fulfillments": [node],
             "totalPriceSet": {"shopMoney": {"amount": "1.00", "currencyCode": "EUR"}}}  # fmt: skip
    parsed = parse.order_node(order)
    assert parsed.shipments[0].tracking_url is None
    assert parsed.shipments[0].status == "delivered" and parsed.status == "delivered"


def test_webhook_signature_is_checked_over_the_raw_body() -> None:
    conn = ShopifyConnector(StoreHttp("https://a.example", EgressPolicy()), "t", "s3cret")
    body = b'{"id": 1}'
    good = {"X-Shopify-Hmac-Sha256": hmac_signature("s3cret", body)}
    assert conn.verify_webhook(good, body)
    assert not conn.verify_webhook(good, body + b" ")
    assert not conn.verify_webhook({"X-Shopify-Hmac-Sha256": hmac_signature("x", body)}, body)
    assert not conn.verify_webhook({}, body)
    assert not conn.verify_webhook({"X-Shopify-Hmac-Sha256": "é"}, body)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://shop.example", "not https"),
        ("https://127.0.0.1:9", "loopback"),
        ("https://10.1.2.3", "private"),
        ("https://169.254.169.254", "link-local"),
    ],
)
def test_the_store_api_obeys_the_fetch_rules(url: str, why: str) -> None:
    http = StoreHttp(url, EgressPolicy(resolve=lambda host, port: [host]))
    conn = ShopifyConnector(http, "t", "s")
    with pytest.raises(StoreUnavailable, match=why):
        conn.order("gid://shopify/Order/1")


class _Canned:
    """A StoreHttp stand-in answering each request with the next canned body."""

    def __init__(self, *bodies: dict[str, object]) -> None:
        from csdesk.server.commerce.http import RequestBudget

        self.budget = RequestBudget()
        self.bodies = list(bodies)
        self.sent = 0

    def request(self, *_a: object, **_k: object) -> object:
        from csdesk.server.commerce.http import StoreResponse

        self.sent += 1
        return StoreResponse(200, {}, self.bodies.pop(0))


def _cost(available: float, requested: float = 10.0) -> dict[str, object]:
    return {"requestedQueryCost": requested,
            "throttleStatus": {"maximumAvailable": 100, "currentlyAvailable": available,
                               "restoreRate": 50}}  # fmt: skip


def test_requests_are_paced_by_the_budget_the_last_answer_left() -> None:
    order = {"data": {"order": None}, "extensions": {"cost": _cost(0)}}
    http = _Canned(order, order)
    slept: list[float] = []
    conn = ShopifyConnector(http, "t", "s", sleep=slept.append)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(Exception, match="no such order"):
            conn.order("gid://shopify/Order/1")
    assert len(slept) == 1 and 0.1 < slept[0] <= 0.2  # 10 points at 50 a second


def test_throttled_answers_are_waited_out_then_given_up() -> None:
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": {"cost": _cost(0, requested=500)}}  # fmt: skip
    ok = {"data": {"order": None}, "extensions": {"cost": _cost(90)}}
    slept: list[float] = []
    http = _Canned(throttled, ok)
    conn = ShopifyConnector(http, "t", "s", sleep=slept.append)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="no such order"):
        conn.order("gid://shopify/Order/1")
    assert slept == [10.0] and http.sent == 2  # 500 points at 50 a second, then retried
    http = _Canned(dict(throttled, extensions={"cost": _cost(0, requested=5000)}))
    conn = ShopifyConnector(http, "t", "s", sleep=slept.append)  # type: ignore[arg-type]
    with pytest.raises(StoreUnavailable) as caught:
        conn.order("gid://shopify/Order/1")
    assert caught.value.retry_after == 100.0  # the caller backs off instead of blocking
