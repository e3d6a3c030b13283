"""A store answer of a shape the connector does not expect (a list where an object belongs)
is a failed try like an outage: counted, retried, refused after the last try. It used to
abort the sender's round every time the action came due, leaving it sending forever."""

from __future__ import annotations

from typing import Any

import pytest

from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.server.commerce import action_sender
from csdesk.server.commerce.shopify import ShopifyConnector
from csdesk.storage import models as m
from tests.server.commerce.support import Harness
from tests.server.commerce.test_shopify_actions import _act, _action, _imported


def test_an_unexpected_answer_shape_is_a_counted_try_not_a_stuck_action(
    shop: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.RETURN,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "too small"},
    )  # fmt: skip
    real = ShopifyConnector._order_pages

    def odd(self: ShopifyConnector, document: str, oid: str, key: str, **kw: Any) -> Any:
        if key == "returns":  # the order's returns, read page by page
            return iter(["not a return"])
        return real(self, document, oid, key, **kw)

    monkeypatch.setattr(ShopifyConnector, "_order_pages", odd)
    assert shop.runtime.sender.run_once() == 1
    row = _action(shop, action_id)
    assert row.status == OrderActionStatus.SENDING.value and row.attempts == 1
    assert "cannot read" in row.detail
    with shop.state.writes() as s:  # the last try: refused, with the reason
        again = s.get(m.OrderAction, action_id)
        assert again is not None
        again.attempts, again.next_attempt_at = action_sender.MAX_ATTEMPTS - 1, None
        s.commit()
    assert shop.runtime.sender.run_once() == 1
    done = _action(shop, action_id)
    assert done.status == OrderActionStatus.REFUSED.value and "cannot read" in done.detail


def test_a_refund_given_up_on_warns_it_may_have_been_made(
    shop: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the last try the refund is refused, but an earlier try's answer may have been
    lost after the store refunded: the agent must check before asking again (a new action
    has a new key, which no lookup would match)."""
    _oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.REFUND,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "late"},
    )  # fmt: skip

    def down(self: ShopifyConnector, order_id: str) -> dict[str, Any]:
        raise action_sender.StoreUnavailable("Shopify answered HTTP 503")

    monkeypatch.setattr(ShopifyConnector, "_order_for_actions", down)
    with shop.state.writes() as s:
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        row.attempts = action_sender.MAX_ATTEMPTS - 1
        s.commit()
    assert shop.runtime.sender.run_once() == 1
    done = _action(shop, action_id)
    assert done.status == OrderActionStatus.REFUSED.value
    assert "could not be reached" in done.detail and "check the order" in done.detail
