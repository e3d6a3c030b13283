"""An exchange is a return and a replacement: when the store takes the return but cannot be
reached for the replacement, the retry must not open a second return at the store."""

from __future__ import annotations

from typing import Any

import pytest

from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.storage import models as m
from tests.helpers.fakes.shopify import FakeShopify
from tests.server.commerce.support import Harness
from tests.server.commerce.test_shopify_actions import _act, _action, _imported


def test_an_exchange_retried_after_the_replacement_failed_opens_one_return(
    shop: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.EXCHANGE,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "too small"},
    )  # fmt: skip
    real = FakeShopify._op_DraftOrderCreate
    calls = {"n": 0}

    def flaky(self: FakeShopify, v: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise self._refuse(503, "Service Unavailable")
        return real(self, v)

    monkeypatch.setattr(FakeShopify, "_op_DraftOrderCreate", flaky)
    shop.runtime.sender.run_once()
    first = _action(shop, action_id)
    assert first.status == OrderActionStatus.SENDING.value and first.attempts == 1
    with shop.state.writes() as s:  # due again now
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        row.next_attempt_at = None
        s.commit()
    assert shop.runtime.sender.run_once() == 1
    done = _action(shop, action_id)
    assert done.status == OrderActionStatus.DONE.value, done.detail
    assert len(shop.fake.orders[oid]["returns"]["nodes"]) == 1  # one return, not two
    assert len(shop.fake.drafts) == 1


def test_an_exchange_whose_replacement_is_refused_says_its_return_is_open(
    shop: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused is not "nothing happened": the return was opened, and the agent must read so
    (or a second exchange opens a second return)."""
    oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.EXCHANGE,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "too small"},
    )  # fmt: skip

    def refused(self: FakeShopify, v: dict[str, Any]) -> dict[str, Any]:
        errors = self._errors("Variant is out of stock", field="lineItems")
        return {"draftOrderCreate": {"draftOrder": None, "userErrors": errors}}

    monkeypatch.setattr(FakeShopify, "_op_DraftOrderCreate", refused)
    assert shop.runtime.sender.run_once() == 1
    done = _action(shop, action_id)
    assert done.status == OrderActionStatus.REFUSED.value
    assert len(shop.fake.orders[oid]["returns"]["nodes"]) == 1
    assert "opened" in done.detail and "out of stock" in done.detail, done.detail
