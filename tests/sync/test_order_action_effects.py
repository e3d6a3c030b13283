"""The desk's local effects of order actions, decisions and goodwill (no server): an action
shows on the order at once as "waiting to be sent" (offline too), a goodwill grant adds to the
card exactly once however often the cache rebases, and a refusal takes either away again."""

from __future__ import annotations

from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync import LocalCache, Outbox
from tests.sync.test_cache import cache, customer, page, row
from tests.sync.test_customer_effects import order

__all__ = ["cache"]  # the fixture, shared


def _shop(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "cu", customer("cu", loyalty_points=10)),
            (Entity.ORDER, "o1", order("o1", "cu", "FH-1")),
            cursor=2,
        )
    )


def test_an_order_action_shows_at_once_and_a_refusal_removes_it(cache: LocalCache) -> None:
    _shop(cache)
    outbox = Outbox(cache)
    args = {"action_id": "a1", "order_id": "o1", "kind": "refund", "amount_cents": 500}
    mid, changes = outbox.enqueue_with_changes(MutationType.ORDER_ACT, args)
    action = row(cache, m.OrderAction, "a1")
    assert (action.status, action.customer_id, action.amount_cents, action.currency) == (
        "queued",
        "cu",
        500,
        "EUR",
    )
    assert action.args == {"amount_cents": 500}
    assert changes.ids(Entity.ORDER_ACTION) == {"a1"}
    # A pull of other news rebases: the action stays, once.
    cache.apply_page(page((Entity.CUSTOMER, "cu", customer("cu", name="Carla Dee")), cursor=3))
    assert row(cache, m.OrderAction, "a1").status == "queued"
    outbox.mark_rejected(mid, {"code": "invalid", "message": "At most 12.00 EUR."})
    assert row(cache, m.OrderAction, "a1") is None


def test_a_decline_shows_at_once(cache: LocalCache) -> None:
    _shop(cache)
    waiting = {
        "id": "a2", "realm": "production", "created_at": "2025-01-01T12:00:00+00:00",
        "updated_at": "2025-01-01T12:00:00+00:00", "order_id": "o1", "customer_id": "cu",
        "kind": "refund", "args": {}, "status": "awaiting_approval", "detail": "",
        "amount_cents": 900, "currency": "EUR", "requested_by_id": None, "decided_by_id": None,
        "decided_at": None, "external_id": None,
    }  # fmt: skip
    cache.apply_page(page((Entity.ORDER_ACTION, "a2", waiting), cursor=3))
    outbox = Outbox(cache)
    outbox.enqueue_with_changes(
        MutationType.ORDER_ACTION_DECIDE, {"action_id": "a2", "approve": False, "reason": "No"}
    )
    decided = row(cache, m.OrderAction, "a2")
    assert decided.status == "declined" and decided.detail == "Declined: No"


def test_goodwill_adds_once_across_rebases_and_a_refusal_takes_it_back(
    cache: LocalCache,
) -> None:
    _shop(cache)
    outbox = Outbox(cache)
    mid, _changes = outbox.enqueue_with_changes(
        MutationType.CUSTOMER_GOODWILL,
        {"customer_id": "cu", "points": 50, "credit_cents": 300, "reason": "Late"},
    )
    assert (
        row(cache, m.Customer, "cu").loyalty_points,
        row(cache, m.Customer, "cu").store_credit_cents,
    ) == (60, 300)
    cache.apply_page(page((Entity.CUSTOMER, "cu", customer("cu", loyalty_points=10)), cursor=3))
    cache.apply_page(page((Entity.CUSTOMER, "cu", customer("cu", loyalty_points=11)), cursor=4))
    assert row(cache, m.Customer, "cu").loyalty_points == 61
    outbox.mark_rejected(mid, {"code": "forbidden", "message": "Above your limit."})
    assert row(cache, m.Customer, "cu").loyalty_points == 11
    assert not row(cache, m.Customer, "cu").store_credit_cents
