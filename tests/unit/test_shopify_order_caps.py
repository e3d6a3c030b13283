"""Shopify's shapes past csdesk's caps: the order says what it holds only in part (issue 11),
a GraphQL order always says (``()``: whole), a webhook's REST order only when it was cut."""

from __future__ import annotations

from typing import Any

from csdesk.server.commerce import shopify_parse as parse


def _gql(lines: int, refunds: int) -> dict[str, Any]:
    money = {"shopMoney": {"amount": "1.00", "currencyCode": "EUR"}}
    return {
        "id": "gid://shopify/Order/1", "name": "#1001", "createdAt": "2026-11-01T10:00:00Z",
        "currencyCode": "EUR", "totalPriceSet": money,
        "lineItems": {"nodes": [
            {"id": f"gid://shopify/LineItem/{n + 1}", "sku": "", "title": "Mug", "quantity": 1,
             "originalUnitPriceSet": money} for n in range(lines)]},
        "refunds": [{"id": f"gid://shopify/Refund/{n + 1}", "totalRefundedSet": money}
                    for n in range(refunds)],
    }  # fmt: skip


def test_a_graphql_order_within_the_caps_is_whole() -> None:
    order = parse.order_node(_gql(1000, 250))
    assert len(order.lines) == 1000 and order.incomplete == ()


def test_past_the_caps_the_order_says_what_was_cut() -> None:
    order = parse.order_node(_gql(parse.MAX_ORDER_LINES + 1, 251))
    assert len(order.lines) == parse.MAX_ORDER_LINES and len(order.refunds) == 250
    assert order.incomplete == ("lines", "refunds")


def test_a_webhook_order_says_nothing_unless_cut() -> None:
    rest: dict[str, Any] = {
        "id": 1, "name": "#1001", "created_at": "2026-11-01T10:00:00Z", "currency": "EUR",
        "total_price": "1.00",
        "line_items": [{"id": n + 1, "title": "Mug", "quantity": 1, "price": "1.00"}
                       for n in range(3)],
    }  # fmt: skip
    assert parse.rest_order(rest).incomplete is None  # keeps what the last full read found
    rest["line_items"] = rest["line_items"] * 400
    assert parse.rest_order(rest).incomplete == ("lines",)
