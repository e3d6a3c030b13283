"""WooCommerce actions that make something, retried after the answer was lost on the way: the
sender runs on a real database against the fake store; the retry finds the replacement order
(meta ``_csdesk_action`` among the customer's recent orders) or the return's note by the
action's key and makes nothing twice; a retry with nothing made still makes it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import select

from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.server.commerce.store_api import LineQuantity
from csdesk.server.commerce.woocommerce import WooCommerceStore
from csdesk.storage import models as m
from tests.helpers.fakes.woocommerce import FakeWooCommerce, make_customer, make_order, wc_time
from tests.server.commerce.conftest import WC_KEY, WC_SECRET
from tests.server.commerce.support import WooHarness, woo_harness
from tests.server.commerce.test_shopify_retries import lost_answer


@pytest.fixture
def wshop(
    db_url: str, tmp_path: Path, woo: FakeWooCommerce, store_key: str
) -> Iterator[WooHarness]:
    with woo_harness(db_url, tmp_path, woo, WC_KEY, WC_SECRET) as h:
        yield h


def _imported(h: WooHarness, *, customer_id: int) -> tuple[m.Order, list[m.OrderLine]]:
    if customer_id:
        h.fake.add_customer(
            make_customer(customer_id, "ana@example.com", "Ana", "Lopez", datetime.now(UTC))
        )
    h.fake.add_order(
        make_order(
            41, customer_id=customer_id, lines=[("Blue mug", 2, "20.00"), ("Tea", 1, "4.99")]
        )
    )
    h.import_all()
    with h.state.reads() as s:
        order = s.scalars(select(m.Order).where(m.Order.external_id == "41")).one()
        lines = list(s.scalars(select(m.OrderLine).where(m.OrderLine.order_id == order.id)))
        s.expunge_all()
    return order, sorted(lines, key=lambda ln: ln.external_id or "")


def _act(h: WooHarness, order: m.Order, kind: OrderActionKind, args: dict[str, Any]) -> str:
    action_id = str(uuid.uuid4())
    with h.state.writes() as s:
        s.add(
            m.OrderAction(
                id=action_id, order_id=order.id, customer_id=order.customer_id, kind=kind.value,
                args=args, status=OrderActionStatus.SENDING.value, detail="", attempts=0,
            )
        )  # fmt: skip
        s.commit()
    return action_id


def _action(h: WooHarness, action_id: str) -> m.OrderAction:
    with h.state.reads() as s:
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        s.expunge(row)
        return row


def _keyed(fake: FakeWooCommerce, key: str) -> list[dict[str, Any]]:
    return [
        o
        for o in fake.orders.values()
        if {"key": "_csdesk_action", "value": key} in [
            {"key": meta["key"], "value": meta["value"]} for meta in o["meta_data"]
        ]
    ]  # fmt: skip


def _lookups(fake: FakeWooCommerce) -> list[dict[str, list[str]]]:
    return [
        parse_qs(r.query)
        for r in fake.requests
        if (r.method, r.path) == ("GET", "/wp-json/wc/v3/orders") and "after" in r.query
    ]


@pytest.mark.parametrize("customer_id", [7, 0], ids=["customer", "guest"])
def test_a_replacement_retried_after_a_lost_answer_is_made_once(
    wshop: WooHarness, customer_id: int
) -> None:
    order, lines = _imported(wshop, customer_id=customer_id)
    action_id = _act(
        wshop, order, OrderActionKind.RESEND,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "note": "lost in transit"},
    )  # fmt: skip
    assert wshop.runtime.sender.run_once() == 1
    first = _action(wshop, action_id)
    assert first.status == OrderActionStatus.DONE.value, first.detail
    [made] = _keyed(wshop.fake, action_id)
    assert first.external_id == str(made["id"])
    lost_answer(wshop, action_id)
    assert wshop.runtime.sender.run_once() == 1
    again = _action(wshop, action_id)
    assert again.status == OrderActionStatus.DONE.value
    assert again.external_id == str(made["id"]) and "already" in again.detail
    assert len(_keyed(wshop.fake, action_id)) == 1  # one parcel, not two
    assert len(wshop.fake.orders) == 2  # the original and one replacement
    # Each try looked among the customer's (a guest's: the billing email's) recent orders.
    lookups = _lookups(wshop.fake)
    assert len(lookups) == 2
    for query in lookups:
        if customer_id:
            assert query["customer"] == ["7"] and "search" not in query
        else:
            assert query["search"] == ["ana@example.com"] and "customer" not in query
        assert query["dates_are_gmt"] == ["true"]
        after = datetime.fromisoformat(query["after"][0]).replace(tzinfo=UTC)
        assert timedelta(days=1) < datetime.now(UTC) - after < timedelta(days=60)
    assert wshop.fake.violations == []


def test_a_retry_with_no_earlier_replacement_creates_one(wshop: WooHarness) -> None:
    order, lines = _imported(wshop, customer_id=7)
    action_id = _act(
        wshop, order, OrderActionKind.RESEND, {"lines": [{"line_id": lines[1].id, "quantity": 1}]}
    )
    wshop.fake.fail(503)  # the first try never reached the store
    wshop.runtime.sender.run_once()
    assert _action(wshop, action_id).attempts == 1
    lost_answer(wshop, action_id)
    assert wshop.runtime.sender.run_once() == 1
    done = _action(wshop, action_id)
    assert done.status == OrderActionStatus.DONE.value, done.detail
    [made] = _keyed(wshop.fake, action_id)
    assert done.external_id == str(made["id"]) and "already" not in done.detail
    assert wshop.fake.violations == []


def test_a_return_retried_after_a_lost_answer_is_recorded_once(wshop: WooHarness) -> None:
    order, lines = _imported(wshop, customer_id=7)
    action_id = _act(
        wshop, order, OrderActionKind.RETURN,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "too small"},
    )  # fmt: skip
    wshop.runtime.sender.run_once()
    first = _action(wshop, action_id)
    [note] = wshop.fake.notes[41]
    assert first.status == OrderActionStatus.DONE.value and first.external_id == str(note["id"])
    assert note["note"].endswith(f"[csdesk {action_id}]")
    lost_answer(wshop, action_id)
    wshop.runtime.sender.run_once()
    again = _action(wshop, action_id)
    assert again.status == OrderActionStatus.DONE.value
    assert again.external_id == str(note["id"]) and "already" in again.detail
    assert len(wshop.fake.notes[41]) == 1
    assert wshop.fake.violations == []


def test_an_exchange_retried_after_a_lost_answer_makes_one_of_each(wshop: WooHarness) -> None:
    order, lines = _imported(wshop, customer_id=7)
    action_id = _act(
        wshop, order, OrderActionKind.EXCHANGE,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "wrong size"},
    )  # fmt: skip
    wshop.runtime.sender.run_once()
    first = _action(wshop, action_id)
    assert first.status == OrderActionStatus.DONE.value, first.detail
    lost_answer(wshop, action_id)
    with wshop.state.writes() as s:  # as if the return's id had not been remembered either
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        row.args = {k: v for k, v in (row.args or {}).items() if k != "return_id"}
        s.commit()
    wshop.runtime.sender.run_once()
    again = _action(wshop, action_id)
    assert again.status == OrderActionStatus.DONE.value
    assert again.external_id == first.external_id
    assert len(wshop.fake.orders) == 2
    returns = [n for n in wshop.fake.notes[41] if n["note"].startswith("Return started")]
    assert len(returns) == 1
    assert wshop.fake.violations == []


def test_the_lookup_pages_through_a_busy_customers_recent_orders(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    woo.add_order(make_order(41, customer_id=7))
    first = store.create_replacement("41", [LineQuantity("410", 1)], "", idempotency_key="k-1")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    made = woo.orders[int(first.external_id or 0)]
    made["date_created"], made["date_created_gmt"] = wc_time(an_hour_ago)
    for n in range(150):  # the customer ordered a lot since; their orders come newest first
        woo.add_order(make_order(1000 + n, customer_id=7, modified=datetime.now(UTC)))
        woo.orders[1000 + n]["date_created_gmt"] = wc_time(datetime.now(UTC))[1]
    woo.add_order(make_order(3000, customer_id=8, modified=datetime.now(UTC)))
    woo.requests.clear()
    again = store.create_replacement("41", [LineQuantity("410", 1)], "", idempotency_key="k-1")
    assert again.external_id == first.external_id and "already" in again.detail
    pages = [parse_qs(r.query)["page"] for r in woo.requests if r.path.endswith("/v3/orders")]
    assert pages == [["1"], ["2"]]
    assert [r.method for r in woo.requests] == ["GET", "GET", "GET"]  # the order, two pages


def test_a_guest_order_without_an_email_cannot_be_looked_for(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    raw = make_order(42, customer_id=0)
    raw["billing"]["email"] = ""
    woo.add_order(raw)
    made = store.create_replacement("42", [LineQuantity("420", 1)], "", idempotency_key="k-2")
    assert made.external_id is not None
    assert not any(r.path.endswith("/v3/orders") and r.method == "GET" for r in woo.requests)
    created = woo.orders[int(made.external_id)]
    assert {"key": "_csdesk_action", "value": "k-2"} in [
        {"key": m["key"], "value": m["value"]} for m in created["meta_data"]
    ]


def test_the_fake_refuses_an_undocumented_order_filter(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    for bad in ({"after": "last week"}, {"customer": "ana"}, {"meta_key": "_csdesk_action"}):
        resp = requests.get(
            f"{woo.url}/wp-json/wc/v3/orders", params=bad, auth=(WC_KEY, WC_SECRET), timeout=10
        )
        assert resp.status_code == 400 and resp.json()["code"] == "rest_invalid_param"
    assert len(woo.violations) == 3
    woo.violations.clear()


def test_a_refund_still_at_the_payment_gateway_is_not_refunded_again(
    wshop: WooHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WooCommerce saves a refund, calls the gateway and only then stores its meta (the key):
    a proxy's 504 meanwhile must not bring a retry seconds later, which finds no keyed refund
    and refunds a second time."""
    from csdesk.server.commerce import action_sender
    from tests.helpers.fakes.base import Answer

    order, _lines = _imported(wshop, customer_id=7)
    action_id = _act(wshop, order, OrderActionKind.REFUND, {"reason": "late"})
    with wshop.state.writes() as s:
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        row.amount_cents, row.currency = 500, order.currency
        s.commit()
    real = FakeWooCommerce._refund
    held: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    def at_the_gateway(self: FakeWooCommerce, o: dict[str, Any], body: dict[str, Any]) -> Answer:
        meta = body.pop("meta_data", [])
        made = real(self, o, body)  # saved without its meta: the gateway has not answered
        held.append((made.body, meta))
        return Answer(504, {"code": "gateway_timeout", "message": "Gateway Time-out"})

    monkeypatch.setattr(FakeWooCommerce, "_refund", at_the_gateway)
    assert wshop.runtime.sender.run_once() == 1
    assert _action(wshop, action_id).status == OrderActionStatus.SENDING.value
    start = action_sender.utcnow()
    monkeypatch.setattr(action_sender, "utcnow", lambda: start + timedelta(seconds=30))
    assert wshop.runtime.sender.run_once() == 0  # too soon: the store may still be at it
    assert len(wshop.fake.refunds[41]) == 1
    # The gateway answers; the refund gets its key. The retry then finds it.
    ((made, meta),) = held
    made["meta_data"] = [{"id": 1, **x} for x in meta]
    monkeypatch.setattr(action_sender, "utcnow", lambda: start + timedelta(hours=1))
    assert wshop.runtime.sender.run_once() == 1
    done = _action(wshop, action_id)
    assert done.status == OrderActionStatus.DONE.value and "earlier" in done.detail, done.detail
    assert len(wshop.fake.refunds[41]) == 1
