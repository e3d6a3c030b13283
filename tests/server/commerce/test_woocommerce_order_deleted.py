"""WooCommerce's ``order.deleted`` webhook names an *order* id: it must not unlink the store
customer who happens to have the same number as id (``deleted_id`` means a customer)."""

from __future__ import annotations

import uuid

from csdesk.server.commerce import routes
from csdesk.server.commerce.woocommerce_webhooks import parse_webhook
from csdesk.storage import models as m
from tests.server.commerce.support import STORE, Harness


def test_deleting_order_7_keeps_customer_7_linked(shop: Harness) -> None:
    customer_id = str(uuid.uuid4())
    with shop.state.writes() as s:  # customer 7 of the store, as the WooCommerce import links it
        s.add(m.Customer(id=customer_id, realm="production", name="Seven"))
        s.flush()
        s.add(m.StoreCustomerLink(store=STORE, external_id="7", customer_id=customer_id,
                                  realm="production"))  # fmt: skip
        s.commit()
    settings = shop.runtime.settings(STORE)
    assert settings is not None
    event = parse_webhook("order.deleted", b'{"id": 7}')
    if event is not None:
        routes._apply(shop.runtime, settings, event)
    with shop.state.reads() as s:
        assert s.get(m.StoreCustomerLink, (STORE, "7")) is not None
    gone = parse_webhook("customer.deleted", b'{"id": 7}')
    assert gone is not None
    routes._apply(shop.runtime, settings, gone)
    with shop.state.reads() as s:  # a customer deletion does unlink (the customer stays)
        assert s.get(m.StoreCustomerLink, (STORE, "7")) is None
        assert s.get(m.Customer, customer_id) is not None
