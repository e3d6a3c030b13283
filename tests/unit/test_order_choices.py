"""The order choices beside the customer record offer only lines still on the order."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from csdesk.app.order_actions import customer_orders
from csdesk.storage import models as m


def test_a_line_removed_at_the_store_is_not_offered() -> None:
    engine = create_engine("sqlite+pysqlite://")
    m.Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(m.Customer(id="c1", name="Lina Lines"))
        s.flush()
        s.add(m.Order(id="o1", customer_id="c1", number="#501", total_cents=3000))
        s.flush()
        for lid, qty in (("l1", 2), ("l2", 0)):  # l2 was edited out at the store
            s.add(m.OrderLine(id=lid, order_id="o1", sku=lid, title=lid, quantity=qty,
                              unit_price_cents=1000))  # fmt: skip
        s.commit()
        (order,) = customer_orders(s, "c1")
    assert [line.id for line in order.lines] == ["l1"]
    engine.dispose()
