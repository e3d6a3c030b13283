"""A line removed at the store: WooCommerce sends every line an order has, so a line csdesk
knows that is missing was removed and has nothing left on it (the row stays: actions and
returns may name it); a store that pages its lines (Shopify) never empties one by absence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from csdesk.server.commerce.store_api import StoreLine, StoreOrder
from csdesk.server.commerce.store_sync import apply_orders
from csdesk.storage import models as m
from tests.server.commerce.support import STORE, Harness

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _order(lines: tuple[StoreLine, ...], complete: bool) -> StoreOrder:
    return StoreOrder(
        external_id="501", number="#501", status="paid", currency="EUR", total_cents=3000,
        placed_at=T0, email="lines@shop.example", lines=lines, lines_complete=complete,
    )  # fmt: skip


def _quantities(shop: Harness) -> dict[str | None, int]:
    with shop.state.reads() as s:
        rows = s.scalars(select(m.OrderLine).join(m.Order).where(m.Order.external_id == "501"))
        return {line.external_id: line.quantity for line in rows}


def test_a_line_missing_from_a_complete_order_has_nothing_left(shop: Harness) -> None:
    mug = StoreLine("11", "MUG", "Mug", 2, 1000)
    cup = StoreLine("12", "CUP", "Cup", 1, 1000)
    apply_orders(shop.state, STORE, [_order((mug, cup), complete=True)])
    assert _quantities(shop) == {"11": 2, "12": 1}
    apply_orders(shop.state, STORE, [_order((mug,), complete=False)])  # a page of lines
    assert _quantities(shop) == {"11": 2, "12": 1}
    apply_orders(shop.state, STORE, [_order((replace(mug, quantity=1),), complete=True)])
    assert _quantities(shop) == {"11": 1, "12": 0}
