"""A send that outlasts the lease keeps it: another server process must not claim the action
mid-send, look for its key before the first process has made anything, and make it again."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.server.commerce import action_sender
from csdesk.storage import models as m
from tests.helpers.fakes.shopify import FakeShopify
from tests.server.commerce.support import Harness
from tests.server.commerce.test_shopify_actions import _act, _action, _imported


def test_a_long_send_keeps_its_lease_from_a_second_process(
    shop: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.RESEND,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "note": "lost in transit"},
    )  # fmt: skip
    monkeypatch.setattr(action_sender, "LEASE_RENEW_SECONDS", 0.05)
    real = FakeShopify._op_DraftOrderCreate
    seen: dict[str, Any] = {}

    def lease() -> Any:
        with shop.state.reads() as s:
            row = s.get(m.OrderAction, action_id)
            assert row is not None
            return row.next_attempt_at

    def slow(self: FakeShopify, v: dict[str, Any]) -> dict[str, Any]:
        # The store takes longer than the lease: three 90-second steps pass on this request,
        # each awaiting the renewal (a condition, not a duration).
        start = action_sender.utcnow()
        renewed = []
        for step in (1, 2, 3):
            at = start + timedelta(seconds=90 * step)
            monkeypatch.setattr(action_sender, "utcnow", lambda at=at: at)
            deadline = time.monotonic() + 5
            while lease() <= at + timedelta(seconds=60) and time.monotonic() < deadline:
                time.sleep(0.02)
            renewed.append(lease() > at + timedelta(seconds=60))
        seen["renewed"] = renewed
        seen["second_claim"] = shop.runtime.sender._claim(action_id)  # another process
        return real(self, v)

    monkeypatch.setattr(FakeShopify, "_op_DraftOrderCreate", slow)
    assert shop.runtime.sender.run_once() == 1
    assert seen == {"renewed": [True, True, True], "second_claim": False}
    done = _action(shop, action_id)
    assert done.status == OrderActionStatus.DONE.value, done.detail
    assert len(shop.fake.drafts) == 1
