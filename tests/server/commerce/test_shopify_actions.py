"""The order-action sender: ``sending`` actions on store orders go to Shopify through the
connector and come back done (with Shopify's id), refused (with Shopify's reason), or retried
with backoff while Shopify cannot be reached; each outcome audited."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.storage import models as m
from tests.server.commerce.support import Harness


def _imported(shop: Harness, *, fulfilled: bool) -> tuple[str, m.Order, list[m.OrderLine]]:
    cid = shop.fake.add_customer("act@shop.example")
    oid = shop.fake.add_order(cid, fulfilled=fulfilled, price="20.00")
    shop.import_all()
    with shop.state.reads() as s:
        order = s.scalars(select(m.Order).where(m.Order.external_id == oid)).one()
        lines = list(s.scalars(select(m.OrderLine).where(m.OrderLine.order_id == order.id)))
        s.expunge_all()
    return oid, order, lines


def _act(shop: Harness, order: m.Order, kind: OrderActionKind, args: dict[str, Any],
         amount: int | None = None) -> str:  # fmt: skip
    action_id = str(uuid.uuid4())
    with shop.state.writes() as s:
        s.add(
            m.OrderAction(
                id=action_id, order_id=order.id, customer_id=order.customer_id, kind=kind.value,
                args=args, status=OrderActionStatus.SENDING.value, detail="",
                amount_cents=amount, currency="EUR" if amount is not None else None, attempts=0,
            )
        )  # fmt: skip
        s.commit()
    return action_id


def _action(shop: Harness, action_id: str) -> m.OrderAction:
    with shop.state.reads() as s:
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        s.expunge(row)
        return row


def test_a_line_refund_is_done_with_shopifys_refund_id(shop: Harness) -> None:
    oid, order, lines = _imported(shop, fulfilled=True)
    action_id = _act(
        shop, order, OrderActionKind.REFUND,
        {"lines": [{"line_id": lines[0].id, "quantity": 1}], "reason": "arrived broken"},
        amount=2000,
    )  # fmt: skip
    assert shop.runtime.sender.run_once() == 1
    row = _action(shop, action_id)
    assert row.status == OrderActionStatus.DONE.value
    assert row.external_id and row.external_id.startswith("gid://shopify/Refund/")
    assert "20.00 EUR" in row.detail
    refund = shop.fake.orders[oid]["refunds"][-1]
    assert refund["totalRefundedSet"]["shopMoney"]["amount"] == "20.00"
    assert shop.fake.violations == []
    with shop.state.reads() as s:
        audited = s.scalars(
            select(m.AuditEntry).where(m.AuditEntry.action == "order_action.store_result")
        ).all()
    assert [a.after["status"] for a in audited if a.entity_id == action_id] == ["done"]
    with shop.state.reads() as s:  # the order was read back: the refund shows at once
        refunds = s.scalars(select(m.Return).where(m.Return.order_id == order.id)).all()
    assert [(r.external_id, r.refund_cents) for r in refunds] == [(row.external_id, 2000)]


def test_shopify_saying_no_is_recorded_with_its_reason(shop: Harness) -> None:
    _oid, order, _lines = _imported(shop, fulfilled=True)
    too_much = _act(shop, order, OrderActionKind.REFUND, {"reason": "goodwill"}, amount=99_00)
    cancel = _act(shop, order, OrderActionKind.CANCEL, {"reason": "changed mind"})
    assert shop.runtime.sender.run_once() == 2
    refused = _action(shop, too_much)
    assert refused.status == OrderActionStatus.REFUSED.value
    assert "refundable amount" in refused.detail
    assert "Cannot cancel a fulfilled order" in _action(shop, cancel).detail


def test_return_resend_address_and_note(shop: Harness) -> None:
    oid, order, lines = _imported(shop, fulfilled=True)
    line = {"lines": [{"line_id": lines[1].id, "quantity": 1}]}
    ret = _act(shop, order, OrderActionKind.RETURN, {**line, "reason": "too small",
               "instructions": "Use the label we emailed"})  # fmt: skip
    resend = _act(shop, order, OrderActionKind.RESEND, {**line, "note": "lost in transit"})
    note = _act(shop, order, OrderActionKind.NOTE, {"note": "Customer called twice"})
    shop.runtime.sender.run_once()
    assert _action(shop, ret).external_id.startswith("gid://shopify/Return/")  # type: ignore[union-attr]
    made = _action(shop, resend)
    assert made.status == "done" and made.external_id == shop.fake.drafts[0]["id"]
    draft = shop.fake.drafts[0]["input"]
    assert draft["lineItems"][0]["quantity"] == 1 and draft["appliedDiscount"]["value"] == 100.0
    assert _action(shop, note).status == "done"
    assert shop.fake.extra[oid]["note"] == f"Customer called twice [csdesk {note}]"
    assert shop.fake.violations == []


def test_a_note_sent_again_after_a_lost_answer_is_not_added_twice(shop: Harness) -> None:
    """The store wrote the note but its answer was lost: the retry finds the action's marker
    in the order's note and adds nothing."""
    oid, order, _lines = _imported(shop, fulfilled=False)
    note = _act(shop, order, OrderActionKind.NOTE, {"note": "Wants gift wrap"})
    shop.runtime.sender.run_once()
    assert _action(shop, note).status == OrderActionStatus.DONE.value
    with shop.state.writes() as s:  # as if the answer had been lost: sent once more
        again = s.get(m.OrderAction, note)
        assert again is not None
        again.status, again.next_attempt_at = OrderActionStatus.SENDING.value, None
        s.commit()
    assert shop.runtime.sender.run_once() == 1
    row = _action(shop, note)
    assert row.status == OrderActionStatus.DONE.value and "already" in row.detail
    assert shop.fake.extra[oid]["note"].count("Wants gift wrap") == 1


def test_an_unreachable_store_is_retried_with_backoff(shop: Harness) -> None:
    oid, order, _lines = _imported(shop, fulfilled=False)
    address = {"address": {"name": "Ana Lima", "line1": "Rua Nova 5", "city": "Lisboa",
                           "postal_code": "1000-001", "country_code": "pt"}}  # fmt: skip
    action_id = _act(shop, order, OrderActionKind.ADDRESS, address)
    shop.fake.down(503)
    shop.runtime.sender.run_once()
    row = _action(shop, action_id)
    assert row.status == OrderActionStatus.SENDING.value and row.attempts == 1
    assert row.next_attempt_at is not None and "Waiting for the store" in row.detail
    assert shop.runtime.sender.run_once() == 0  # not due yet: nobody hammers the store
    shop.fake.down(None)
    with shop.state.writes() as s:
        again = s.get(m.OrderAction, action_id)
        assert again is not None
        again.next_attempt_at = None
        s.commit()
    assert shop.runtime.sender.run_once() == 1
    assert _action(shop, action_id).status == OrderActionStatus.DONE.value
    assert shop.fake.extra[oid]["shippingAddress"]["address1"] == "Rua Nova 5"
    assert shop.fake.extra[oid]["shippingAddress"]["countryCode"] == "PT"


def test_a_claimed_action_is_not_sent_twice(shop: Harness) -> None:
    _oid, order, _lines = _imported(shop, fulfilled=False)
    action_id = _act(shop, order, OrderActionKind.CANCEL, {"reason": "duplicate order"})
    assert shop.runtime.sender._claim(action_id)
    assert not shop.runtime.sender.send_one(action_id)  # another process holds the lease
    assert shop.fake.cancelled == []
    assert _action(shop, action_id).status == OrderActionStatus.SENDING.value


def test_a_claimed_store_is_not_worked_on_twice(shop: Harness) -> None:
    shop.fake.add_customer("lease@shop.example")
    assert shop.runtime.sync._claim("acme")
    assert not shop.runtime.sync.step("acme")  # another process holds it
    assert shop.fake.requests == []


def test_a_refund_retried_after_a_lost_answer_is_not_made_twice(shop: Harness) -> None:
    oid, order, _lines = _imported(shop, fulfilled=True)
    action_id = _act(shop, order, OrderActionKind.REFUND, {"reason": "late"}, amount=500)
    assert shop.runtime.sender.run_once() == 1
    first = _action(shop, action_id)
    assert first.status == OrderActionStatus.DONE.value
    [refund] = shop.fake.orders[oid]["refunds"]
    assert refund["note"] == f"late [csdesk {action_id}]"  # the key rides in the note
    # Shopify made the refund but its answer never arrived: the row is still sending.
    with shop.state.writes() as s:
        row = s.get(m.OrderAction, action_id)
        assert row is not None
        row.status, row.external_id = OrderActionStatus.SENDING.value, None
        row.next_attempt_at = None
        s.commit()
    assert shop.runtime.sender.run_once() == 1
    again = _action(shop, action_id)
    assert again.status == OrderActionStatus.DONE.value
    assert again.external_id == refund["id"] and "already" in again.detail
    assert len(shop.fake.orders[oid]["refunds"]) == 1  # one refund, not two
    assert shop.fake.violations == []
