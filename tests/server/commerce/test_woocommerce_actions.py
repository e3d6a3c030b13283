"""Order actions sent to a fake WooCommerce over real HTTP: each request's documented shape,
the store's answer as an ActionResult, and its refusals as StoreRefused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from csdesk.server.commerce.store_api import (
    Address,
    LineQuantity,
    StoreRefused,
    StoreUnavailable,
)
from csdesk.server.commerce.woocommerce import WooCommerceStore
from tests.helpers.fakes.base import Answer
from tests.helpers.fakes.woocommerce import FakeWooCommerce, make_order
from tests.server.commerce.conftest import connect

TRACKED = [{"tracking_provider": "ups", "tracking_number": "1Z999", "date_shipped": "1764000000"}]


@pytest.fixture
def order(woo: FakeWooCommerce) -> dict[str, object]:
    return woo.add_order(
        make_order(41, customer_id=7, lines=[("Blue mug", 3, "30.00"), ("Tea", 1, "4.99")])
    )


def _writes(woo: FakeWooCommerce) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in woo.requests if r.method != "GET"]


def test_refund_an_amount(woo: FakeWooCommerce, store: WooCommerceStore, order: dict) -> None:
    result = store.refund("41", [], 1250, "EUR", "Arrived late")
    post = woo.requests[-1]
    assert (post.method, post.path) == ("POST", "/wp-json/wc/v3/orders/41/refunds")
    assert post.headers["content-type"].startswith("application/json")
    assert post.json() == {"amount": "12.50", "reason": "Arrived late", "api_refund": True}
    [made] = woo.refunds[41]
    assert result.external_id == str(made["id"])
    assert result.extra == {"refunded_payment": "true"}
    assert "12.50 EUR" in result.detail and "payment gateway" in result.detail
    assert woo.orders[41]["refunds"][0]["total"] == "-12.50"


def test_refund_lines_pro_rata(woo: FakeWooCommerce, store: WooCommerceStore, order: dict) -> None:
    store.refund("41", [LineQuantity("410", 2), LineQuantity("411", 1)], 2499, "EUR", "broken")
    body = woo.requests[-1].json()
    assert body["amount"] == "24.99"
    assert body["line_items"] == [
        {"id": 410, "quantity": 2, "refund_total": "20.00"},
        {"id": 411, "quantity": 1, "refund_total": "4.99"},
    ]


def test_refund_in_a_zero_decimal_currency(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    woo.add_order(make_order(5, currency="JPY", lines=[("Tea", 2, "3000")]))
    store.refund("5", [LineQuantity("50", 1)], 1500, "JPY", "")
    assert woo.requests[-1].json()["amount"] == "1500"
    assert woo.requests[-1].json()["line_items"][0]["refund_total"] == "1500"


def test_manual_refunds_when_the_gateway_cannot(woo: FakeWooCommerce, order: dict) -> None:
    woo.gateway_refunds = False
    with pytest.raises(StoreRefused, match="does not support automatic refunds"):
        connect(woo).refund("41", [], 500, "EUR", "")
    manual = connect(woo, gateway_refunds=False).refund("41", [], 500, "EUR", "")
    assert woo.requests[-1].json()["api_refund"] is False
    assert manual.extra == {"refunded_payment": "false"}
    assert "recorded in WooCommerce only" in manual.detail


def test_refunding_more_than_is_left_is_refused_not_retried(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    store.refund("41", [], 3000, "EUR", "")
    # WooCommerce answers HTTP 500 for this business refusal: it must be final.
    with pytest.raises(StoreRefused, match="Invalid refund amount"):
        store.refund("41", [], 500, "EUR", "")
    assert len(woo.refunds[41]) == 1


@pytest.mark.parametrize(
    ("lines", "amount", "currency", "why"),
    [
        ([], 0, "EUR", "more than zero"),
        ([], -100, "EUR", "cannot refund that amount"),
        ([], 100, "USD", "in EUR, not USD"),
        ([LineQuantity("999", 1)], 100, "EUR", "no line '999'"),
        ([LineQuantity("410", 4)], 100, "EUR", "the order has 3"),
        ([LineQuantity("410", 0)], 100, "EUR", "the order has 3"),
    ],
)
def test_refunds_csdesk_refuses_before_sending(
    woo: FakeWooCommerce,
    store: WooCommerceStore,
    order: dict,
    lines: list[LineQuantity],
    amount: int,
    currency: str,
    why: str,
) -> None:
    with pytest.raises(StoreRefused, match=why):
        store.refund("41", lines, amount, currency, "")
    assert _writes(woo) == []


def test_a_refund_whose_answer_is_unreadable_is_still_done(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    woo.answer_next(Answer(200, make_order(41)))  # the GET of the order
    woo.answer_next(Answer(201, None, raw=b"<br />\n<b>Notice</b>: ...{"))  # PHP noise
    result = store.refund("41", [], 500, "EUR", "")
    assert result.detail.startswith("Refunded 5.00 EUR")  # a retry would refund twice
    assert result.external_id is None


def test_throttled_action_is_unavailable(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    woo.fail(429)
    with pytest.raises(StoreUnavailable) as caught:
        store.refund("41", [], 500, "EUR", "")
    assert caught.value.retry_after == 7.0
    assert 41 not in woo.refunds


def test_add_a_private_note(woo: FakeWooCommerce, store: WooCommerceStore, order: dict) -> None:
    result = store.add_note("41", "Customer called about the colour")
    post = woo.requests[-1]
    assert (post.method, post.path) == ("POST", "/wp-json/wc/v3/orders/41/notes")
    assert post.json() == {"note": "Customer called about the colour", "customer_note": False}
    [note] = woo.notes[41]
    assert result.external_id == str(note["id"])
    with pytest.raises(StoreRefused, match="empty"):
        store.add_note("41", "  ")


def test_a_note_retried_with_its_key_is_written_once(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    key = "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"
    first = store.add_note("41", "Gift wrap, please", idempotency_key=key)
    again = store.add_note("41", "Gift wrap, please", idempotency_key=key)
    [note] = woo.notes[41]
    assert note["note"] == f"Gift wrap, please\n[csdesk {key}]"
    assert first.external_id == again.external_id == str(note["id"])
    assert "already" in again.detail


def test_cancel_sets_the_status_and_notes_the_reason(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    result = store.cancel("41", "Customer changed their mind")
    assert _writes(woo) == [
        ("PUT", "/wp-json/wc/v3/orders/41"),
        ("POST", "/wp-json/wc/v3/orders/41/notes"),
    ]
    put = next(r for r in woo.requests if r.method == "PUT")
    assert put.json() == {"status": "cancelled"}
    assert woo.orders[41]["status"] == "cancelled"
    assert "Customer changed their mind" in woo.notes[41][0]["note"]
    assert result.detail == "Order cancelled in WooCommerce"
    # A retry of the same action succeeds without a second change.
    again = store.cancel("41", "Customer changed their mind")
    assert "already cancelled" in again.detail
    assert len(_writes(woo)) == 2


@pytest.mark.parametrize(
    ("status", "tracking", "why"),
    [
        ("completed", None, "the order is completed"),
        ("refunded", None, "the order is refunded"),
        ("processing", TRACKED, "has shipped"),
    ],
)
def test_fulfilled_orders_cannot_be_cancelled_or_readdressed(
    woo: FakeWooCommerce, store: WooCommerceStore, status: str, tracking: list | None, why: str
) -> None:
    woo.add_order(make_order(9, status=status, tracking=tracking))
    with pytest.raises(StoreRefused, match=why):
        store.cancel("9", "")
    with pytest.raises(StoreRefused, match=why):
        store.change_shipping_address("9", Address("Ana Lopez", "Calle 2"))
    assert _writes(woo) == []


def test_change_the_shipping_address(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    address = Address(
        name="Ana María López",
        line1="Calle Mayor 5",
        line2="3º B",
        city="Madrid",
        region="M",
        postal_code="28013",
        country_code="es",
        phone="+34600111222",
    )
    result = store.change_shipping_address("41", address)
    put = woo.requests[-1]
    assert (put.method, put.path) == ("PUT", "/wp-json/wc/v3/orders/41")
    assert put.json() == {
        "shipping": {
            "first_name": "Ana María",
            "last_name": "López",
            "address_1": "Calle Mayor 5",
            "address_2": "3º B",
            "city": "Madrid",
            "state": "M",
            "postcode": "28013",
            "country": "ES",
            "phone": "+34600111222",
        }
    }
    assert woo.orders[41]["shipping"]["address_1"] == "Calle Mayor 5"
    assert "changed" in result.detail
    with pytest.raises(StoreRefused, match="country code"):
        store.change_shipping_address("41", Address("Ana", "x", country_code="Spain"))


def test_a_return_is_a_private_note(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    result = store.create_return("41", [LineQuantity("410", 1)], "Too small", "Print the label")
    post = woo.requests[-1]
    assert post.path == "/wp-json/wc/v3/orders/41/notes"
    body = post.json()
    assert body["customer_note"] is False
    assert "1 × Blue mug (SKU-0)" in body["note"]
    assert "Reason: Too small" in body["note"] and "Print the label" in body["note"]
    assert result.external_id == str(woo.notes[41][0]["id"])
    assert "no returns" in result.detail
    with pytest.raises(StoreRefused, match="at least one line"):
        store.create_return("41", [], "x", "")


def test_resend_creates_a_zero_price_replacement(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    result = store.create_replacement("41", [LineQuantity("410", 1)], "Arrived broken")
    create = [r for r in woo.requests if (r.method, r.path) == ("POST", "/wp-json/wc/v3/orders")]
    assert len(create) == 1
    body = create[0].json()
    assert body["line_items"] == [
        {"product_id": 500, "quantity": 1, "subtotal": "0.00", "total": "0.00"}
    ]
    assert body["customer_id"] == 7
    assert body["status"] == "processing" and body["set_paid"] is False
    assert body["shipping"]["address_1"] == "Calle 1"
    assert body["meta_data"] == [{"key": "_csdesk_replacement_for", "value": "41"}]
    new_id = int(result.external_id or 0)
    assert Decimal(woo.orders[new_id]["total"]) == 0
    assert result.extra == {"number": f"#{new_id}"}
    assert "Arrived broken" in woo.notes[new_id][0]["note"]
    assert f"#{new_id}" in woo.notes[41][0]["note"]


def test_resend_of_a_deleted_product_is_refused(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    raw = make_order(12)
    raw["line_items"][0]["product_id"] = 0
    woo.add_order(raw)
    with pytest.raises(StoreRefused, match="no product"):
        store.create_replacement("12", [LineQuantity("120", 1)], "")
    assert _writes(woo) == []


def test_a_failed_follow_up_note_does_not_undo_the_action(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    woo.answer_next(Answer(200, woo.orders[41]))  # GET
    woo.answer_next(Answer(200, {**woo.orders[41], "status": "cancelled"}))  # PUT
    woo.answer_next(Answer(503, {"code": "x", "message": "Service Unavailable"}))  # the note
    result = store.cancel("41", "why")
    assert "the note could not be added" in result.detail


def test_unknown_order_ids_never_leave_csdesk(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    for bad in ("", "0", "-1", "41/notes", "1e3", "9" * 30):
        with pytest.raises(StoreRefused, match="not a WooCommerce order id"):
            store.add_note(bad, "x")
    assert woo.requests == []


def test_a_bad_key_on_an_action_is_a_refusal(woo: FakeWooCommerce, order: dict) -> None:
    from csdesk.server.channels.egress import EgressPolicy, parse_origins

    wrong = WooCommerceStore(
        woo.url, "ck_x", "cs_y", "w", policy=EgressPolicy(parse_origins(woo.url))
    )
    with pytest.raises(StoreRefused, match="API key"):
        wrong.add_note("41", "x")
    woo.violations.clear()
    assert 41 not in woo.notes


def test_a_retried_refund_with_its_key_refunds_once(
    woo: FakeWooCommerce, store: WooCommerceStore, order: dict
) -> None:
    first = store.refund("41", [], 500, "EUR", "late", idempotency_key="action-1")
    post = woo.requests[-1]
    assert post.json()["meta_data"] == [{"key": "_csdesk_action", "value": "action-1"}]
    # The answer was lost on the way; the sender retries the same action.
    again = store.refund("41", [], 500, "EUR", "late", idempotency_key="action-1")
    assert len(woo.refunds[41]) == 1
    assert again.external_id == first.external_id
    assert "earlier" in again.detail
    lookups = [r for r in woo.requests if r.path.endswith("/refunds") and r.method == "GET"]
    assert len(lookups) == 2
    # Another action with the same amount is another refund.
    store.refund("41", [], 500, "EUR", "late", idempotency_key="action-2")
    assert len(woo.refunds[41]) == 2
