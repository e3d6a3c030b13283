"""A signed Shopify webhook whose amount overflows ``Decimal``'s exponent range is a 400,
never a 500 (``"1e999"`` is refused as out of range; ``"9e999999"`` used to raise
``decimal.Overflow`` out of the parser)."""

from __future__ import annotations

import json

import pytest

from tests.helpers.server import ServerProcess
from tests.server.commerce.test_shopify_webhooks import _post, fake_module, live_store

__all__ = ["fake_module", "live_store"]  # the module-scoped fixtures, reused


@pytest.mark.parametrize("amount", ["9e999999", "-9e999999", "1E+999999999", "99999999.99"])
@pytest.mark.parametrize("field", ["total_price", "line_price"])
def test_amounts_past_decimal_range_are_400(
    live_store: ServerProcess, amount: str, field: str
) -> None:
    order: dict[str, object] = {"id": 7, "created_at": "2026-11-01T00:00:00Z", "currency": "EUR"}
    if field == "total_price":
        order["total_price"] = amount
    else:
        order["line_items"] = [{"id": 8, "quantity": 1, "price": amount}]
    r = _post(live_store, "orders/create", json.dumps(order).encode())
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "invalid_payload"


def test_refund_transactions_summing_past_the_column_are_400(live_store: ServerProcess) -> None:
    """Each transaction is within range, their sum (2**32 - 2 cents) is not: an INTEGER
    column on PostgreSQL cannot hold it."""
    big = {"kind": "refund", "status": "success", "amount": "21474836.47"}
    order = {
        "id": 9, "created_at": "2026-11-01T00:00:00Z", "currency": "EUR", "total_price": "1.00",
        "refunds": [{"id": 10, "created_at": "2026-11-02T00:00:00Z", "transactions": [big, big]}],
    }  # fmt: skip
    r = _post(live_store, "orders/create", json.dumps(order).encode())
    assert r.status_code == 400, r.text


def test_a_fulfillment_of_an_order_shopify_does_not_have_is_not_a_500(
    live_store: ServerProcess,
) -> None:
    """Shopify's "Send test notification" uses made-up ids; an order deleted since is the same:
    the fetch is refused by Shopify (StoreRefused), which is the payload's problem, not ours."""
    body = json.dumps({"id": 9002, "order_id": 987654321987, "status": "success"}).encode()
    r = _post(live_store, "fulfillments/create", body)
    assert r.status_code == 200, r.text
    assert r.json() == {"result": "ignored"}
