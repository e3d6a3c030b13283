"""Orders for order-action tests, written through the server's own session factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from csdesk.domain.enums import OrderStatus, Realm
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from csdesk.storage.types import utcnow
from tests.helpers.data import new_id


@dataclass(frozen=True)
class MadeOrder:
    customer_id: str
    order_id: str
    number: str
    line_ids: tuple[str, ...]


def make_order(
    db_url: str,
    *,
    customer_id: str | None = None,
    status: OrderStatus = OrderStatus.DELIVERED,
    lines: tuple[tuple[str, int, int], ...] = (("Blue mug", 2, 1500), ("Teapot", 1, 4000)),
    shipping: int = 500,
    store: str | None = None,
    realm: Realm = Realm.PRODUCTION,
    shipped: bool | None = None,
) -> MadeOrder:
    """An order of ``lines`` (title, quantity, unit price) plus ``shipping``; a shipment
    when ``shipped`` (default: the status says it left the warehouse)."""
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        upgrade(state.engine)
        with state.writes() as s:
            ensure_counter(s)
            if customer_id is None:
                cust = m.Customer(id=new_id(), realm=realm.value, name="Order Customer")
                s.add(cust)
                s.flush()
                customer_id = cust.id
            number = f"#T{new_id()[:8]}"
            total = sum(q * p for _t, q, p in lines) + shipping
            order = m.Order(
                id=new_id(),
                realm=realm.value,
                customer_id=customer_id,
                number=number,
                status=status.value,
                total_cents=total,
                currency="EUR",
                placed_at=utcnow() - timedelta(days=5),
                store=store,
                external_id=new_id() if store else None,
            )
            s.add(order)
            s.flush()
            line_ids = []
            for n, (title, qty, price) in enumerate(lines):
                line = m.OrderLine(
                    id=new_id(),
                    realm=realm.value,
                    order_id=order.id,
                    sku=f"SKU-{n}",
                    title=title,
                    quantity=qty,
                    unit_price_cents=price,
                )
                s.add(line)
                line_ids.append(line.id)
            if shipped is None:
                shipped = status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
            if shipped:
                s.add(
                    m.Shipment(
                        id=new_id(),
                        realm=realm.value,
                        order_id=order.id,
                        carrier="DHL",
                        tracking_number="JD0146000012345",
                        status="delivered",
                    )
                )
            s.commit()
            return MadeOrder(customer_id, order.id, number, tuple(line_ids))
    finally:
        state.engine.dispose()
