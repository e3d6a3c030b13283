"""Actions that make something at Shopify, retried after the answer was lost on the way (a
read timeout after the request went out): the retry finds what the first try made, by the
action's idempotency key, and makes nothing twice; a retry with nothing made still makes it."""

from __future__ import annotations

import requests

from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.server.commerce.action_sender import exchange_key
from csdesk.server.commerce.shopify import key_tag
from csdesk.server.commerce.shopify_queries import DRAFT_ORDERS_TAGGED
from csdesk.storage import models as m
from tests.helpers.fakes.shopify import PATH, FakeShopify
from tests.server.commerce.support import TOKEN, Driver, Harness
from tests.server.commerce.test_shopify_actions import _act, _action, _imported


def lost_answer(h: Driver, action_id: str) -> None:
    """The store did it but its answer never arrived: the row is still ``sending``, due."""
    with h.state.writes() as s:
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        row.status, row.external_id = OrderActionStatus.SENDING.value, None
        row.next_attempt_at = None
        s.commit()


def _operations(shop: Harness, name: str) -> int:
    return sum(1 for r in shop.fake.requests if f" {name}(" in r.json()["query"])


def test_a_replacement_retried_after_a_lost_answer_is_made_once(shop: Harness) -> None:
    _oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.RESEND,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "note": "lost in transit"},
    )  # fmt: skip
    assert shop.runtime.sender.run_once() == 1
    first = _action(shop, action_id)
    assert first.status == OrderActionStatus.DONE.value
    [draft] = shop.fake.drafts
    assert first.external_id == draft["id"]
    tag = key_tag(action_id)
    assert draft["input"]["tags"] == ["csdesk-replacement", tag]
    assert tag == "csdesk-" + action_id.replace("-", "") and len(tag) == 39
    lost_answer(shop, action_id)
    assert shop.runtime.sender.run_once() == 1
    again = _action(shop, action_id)
    assert again.status == OrderActionStatus.DONE.value
    assert again.external_id == draft["id"] and "already" in again.detail
    assert len(shop.fake.drafts) == 1  # one parcel, not two
    assert _operations(shop, "DraftOrderCreate") == 1
    assert _operations(shop, "DraftOrdersTagged") == 2
    assert shop.fake.violations == []


def test_a_retry_with_no_earlier_replacement_creates_one(shop: Harness) -> None:
    _oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.RESEND, {"lines": [{"line_id": lines[1].id, "quantity": 1}]}
    )
    shop.fake.fail(503)  # the first try never reached Shopify
    shop.runtime.sender.run_once()
    assert _action(shop, action_id).attempts == 1
    assert shop.fake.drafts == []
    lost_answer(shop, action_id)
    assert shop.runtime.sender.run_once() == 1
    done = _action(shop, action_id)
    assert done.status == OrderActionStatus.DONE.value, done.detail
    [draft] = shop.fake.drafts
    assert done.external_id == draft["id"] and "already" not in done.detail
    assert shop.fake.violations == []


def test_a_return_retried_after_a_lost_answer_is_opened_once(shop: Harness) -> None:
    oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.RETURN,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "too small"},
    )  # fmt: skip
    shop.runtime.sender.run_once()
    first = _action(shop, action_id)
    [ret] = shop.fake.orders[oid]["returns"]["nodes"]
    assert first.status == OrderActionStatus.DONE.value and first.external_id == ret["id"]
    [note] = shop.fake.extra[oid]["return_notes"][ret["id"]]
    assert note == f"too small [{key_tag(action_id)}]"
    lost_answer(shop, action_id)
    shop.runtime.sender.run_once()
    again = _action(shop, action_id)
    assert again.status == OrderActionStatus.DONE.value
    assert again.external_id == ret["id"] and "already" in again.detail
    assert len(shop.fake.orders[oid]["returns"]["nodes"]) == 1
    # Another return action on the same order is another return.
    other = _act(
        shop, order, OrderActionKind.RETURN, {"lines": [{"line_id": lines[1].id, "quantity": 1}]}
    )
    shop.runtime.sender.run_once()
    assert _action(shop, other).external_id not in (None, ret["id"])
    assert len(shop.fake.orders[oid]["returns"]["nodes"]) == 2
    assert shop.fake.violations == []


def test_an_exchange_retried_after_a_lost_answer_makes_one_of_each(shop: Harness) -> None:
    oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.EXCHANGE,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "wrong size"},
    )  # fmt: skip
    shop.runtime.sender.run_once()
    first = _action(shop, action_id)
    assert first.status == OrderActionStatus.DONE.value
    [draft] = shop.fake.drafts
    assert key_tag(exchange_key(action_id, "replacement")) in draft["input"]["tags"]
    lost_answer(shop, action_id)
    with shop.state.writes() as s:  # as if the return's id had not been remembered either
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        row.args = {k: v for k, v in (row.args or {}).items() if k != "return_id"}
        s.commit()
    shop.runtime.sender.run_once()
    again = _action(shop, action_id)
    assert again.status == OrderActionStatus.DONE.value
    assert again.external_id == first.external_id == draft["id"]
    assert len(shop.fake.orders[oid]["returns"]["nodes"]) == 1
    assert len(shop.fake.drafts) == 1
    assert shop.fake.violations == []


def test_the_key_tag_is_short_and_distinct() -> None:
    a = "0b5c2f1e-4d7a-4c3b-9e8f-112233445566"
    assert key_tag(a) == "csdesk-0b5c2f1e4d7a4c3b9e8f112233445566"
    assert key_tag(a.upper()) == key_tag(a)  # Shopify's tags ignore case anyway
    halves = {key_tag(exchange_key(a, "return")), key_tag(exchange_key(a, "replacement"))}
    assert len(halves) == 2 and all(len(t) == 39 for t in halves)
    assert key_tag("ab") != key_tag("a-b")


def test_the_fake_checks_the_draft_order_search(shopify: FakeShopify) -> None:
    def ask(variables: dict[str, object]) -> dict[str, object]:
        body = {"query": DRAFT_ORDERS_TAGGED, "variables": variables}
        headers = {"X-Shopify-Access-Token": TOKEN, "Content-Type": "application/json"}
        answer: dict[str, object] = requests.post(
            shopify.url + PATH, json=body, headers=headers, timeout=10
        ).json()
        return answer

    assert ask({"query": "tag:'csdesk-0001'"})["data"] == {"draftOrders": {"nodes": []}}
    for bad in ({}, {"query": 5}, {"query": "tag:csdesk-0001"}, {"query": "tag:'a' OR 1"},
                {"query": "tag:'x'", "first": 5}):  # fmt: skip
        assert "errors" in ask(bad), bad
    assert len(shopify.violations) == 5
