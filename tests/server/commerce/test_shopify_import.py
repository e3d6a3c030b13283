"""The Shopify import: paged, resumable after an interruption, throttle-aware, idempotent, and
matching customers only through verified identities; then the reconcile."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from csdesk.domain.enums import IdentityKind, OrderStatus, ReturnStatus
from csdesk.server.commerce import stores
from csdesk.storage import models as m
from tests.helpers.fakes.shopify import PATH, FakeShopify
from tests.server.commerce.support import STORE, Harness


def _seed(fake: FakeShopify, customers: int = 5) -> list[str]:
    ids = [fake.add_customer(f"c{i}@shop.example", first=f"C{i}") for i in range(customers)]
    for i, cid in enumerate(ids):
        fake.add_order(cid, fulfilled=i % 2 == 0)
    return ids


def test_import_pages_everything_in_and_shows_progress(shop: Harness) -> None:
    _seed(shop.fake, 5)
    steps = shop.import_all()
    assert steps == 6  # 3 pages of customers, 3 of orders (2 a page)
    row = shop.row()
    assert (row.phase, row.customers_done, row.orders_done) == ("live", 5, 5)
    assert "import complete (5 customers, 5 orders imported)" in stores.progress(row)
    assert shop.count(m.Order) == 5 and shop.count(m.OrderLine) == 10
    assert shop.fake.violations == []
    for req in shop.fake.requests:
        assert req.path == PATH and req.headers["x-shopify-access-token"]
    with shop.state.reads() as s:
        orders = s.scalars(select(m.Order).order_by(m.Order.placed_at)).all()
        assert {o.store for o in orders} == {STORE}
        assert all(
            o.external_id and o.external_id.startswith("gid://shopify/Order/") for o in orders
        )
        assert orders[0].status == OrderStatus.SHIPPED.value
        assert orders[1].status == OrderStatus.PAID.value
        ship = s.scalars(select(m.Shipment).where(m.Shipment.order_id == orders[0].id)).one()
        assert (ship.carrier, ship.tracking_number) == ("DHL Express", "JD014600006281230704")
        assert ship.tracking_url == "https://www.dhl.com/track?n=JD014600006281230704"
        assert ship.status == "in_transit" and ship.eta is not None


def test_an_interrupted_import_resumes_from_its_cursor(shop: Harness) -> None:
    _seed(shop.fake, 5)
    shop.step()
    shop.step()
    cursor = shop.row().cursor
    assert cursor is not None and shop.row().customers_done == 4
    shop.fake.fail(503)
    shop.step()
    row = shop.row()
    assert row.attempts == 1 and row.last_error and "503" in row.last_error
    assert row.cursor == cursor and row.next_run_at is not None
    assert not shop.runtime.sync.step(STORE)  # backing off: not due yet
    shop.fake.clear()
    shop.make_due()
    shop.import_all()
    first = shop.fake.requests[0].json()
    assert first["variables"]["after"] == cursor  # resumed, not restarted
    row = shop.row()
    assert (row.customers_done, row.orders_done, row.attempts, row.last_error) == (5, 5, 0, None)
    assert shop.count(m.Customer) == 5 and shop.count(m.Order) == 5


def test_applying_the_same_records_twice_changes_nothing(shop: Harness) -> None:
    _seed(shop.fake, 3)
    shop.import_all()
    before = (shop.count(m.Customer), shop.count(m.Order), shop.count(m.OrderLine))
    before_rows = shop.count(m.Shipment)
    with shop.state.writes() as s:  # as if the import started over
        row = s.get(m.StoreConnection, STORE)
        assert row is not None
        row.phase, row.cursor = "customers", None
        s.commit()
    shop.import_all()
    assert (shop.count(m.Customer), shop.count(m.Order), shop.count(m.OrderLine)) == before
    assert shop.count(m.Shipment) == before_rows


def test_the_throttle_is_waited_out(shop: Harness) -> None:
    shop.fake.bucket(maximum=100.0, cost=10.0, restore_rate=1000.0)
    _seed(shop.fake, 3)
    shop.fake.force_throttle(2)
    shop.import_all()
    assert shop.fake.throttled == 2
    sent = [r.json() for r in shop.fake.requests]
    assert sent[0] == sent[1] == sent[2]  # the throttled request, retried until answered
    assert shop.count(m.Order) == 3 and shop.row().attempts == 0
    assert shop.row().last_error is None


def test_customers_match_only_by_verified_identities(shop: Harness) -> None:
    with shop.state.writes() as s:
        for cid, email, verified in (
            ("c-verified", "ana@shop.example", True),
            ("c-typed", "bea@shop.example", False),
        ):
            s.add(m.Customer(id=cid, name=cid, email=email))
            s.flush()
            s.add(
                m.CustomerIdentity(
                    id=f"i-{cid}", customer_id=cid, kind=IdentityKind.EMAIL.value, value=email,
                    verified=verified,
                )
            )  # fmt: skip
        s.commit()
    shop.fake.add_customer("Ana@Shop.example", verified=True, first="Ana")
    shop.fake.add_customer("bea@shop.example", verified=True, first="Bea")
    shop.fake.add_customer("ana@shop.example", verified=False, first="Fake")
    shop.import_all()
    with shop.state.reads() as s:
        links = {
            link.external_id: link.customer_id for link in s.scalars(select(m.StoreCustomerLink))
        }
    owners = sorted(links.values())
    assert "c-verified" in owners  # verified at the store and here: the same person
    assert "c-typed" not in owners  # unverified here: never matched
    assert owners.count("c-verified") == 1  # the unverified store address made a new one
    assert shop.count(m.Customer) == 4


def test_the_reconcile_brings_what_a_webhook_missed(shop: Harness) -> None:
    ids = _seed(shop.fake, 2)
    shop.import_all()
    oid = next(iter(shop.fake.orders))
    shop.fake.fulfil(oid, status="DELIVERED")
    new_order = shop.fake.add_order(ids[1], lines=1, price="9.99")
    shop.fake.clear()
    shop.make_due()
    shop.step()
    queries = [r.json()["variables"].get("query") for r in shop.fake.requests]
    assert queries and all(q and q.startswith("updated_at:>'") for q in queries)
    with shop.state.reads() as s:
        order = s.scalars(select(m.Order).where(m.Order.external_id == oid)).one()
        ships = s.scalars(select(m.Shipment).where(m.Shipment.order_id == order.id)).all()
        assert any(sh.status == "delivered" for sh in ships)
        added = s.scalars(select(m.Order).where(m.Order.external_id == new_order)).one()
        assert added.total_cents == 999
    assert shop.row().synced_through is not None


def test_refunds_and_returns_land_in_returns(shop: Harness) -> None:
    cid = shop.fake.add_customer("r@shop.example")
    oid = shop.fake.add_order(cid, fulfilled=True)
    shop.fake.orders[oid]["refunds"].append(
        {"id": "gid://shopify/Refund/77", "createdAt": "2026-11-02T10:00:00Z", "note": "broken",
         "totalRefundedSet": {"shopMoney": {"amount": "5.50", "currencyCode": "EUR"}}}
    )  # fmt: skip
    shop.fake.orders[oid]["returns"]["nodes"].append(
        {"id": "gid://shopify/Return/88", "name": "#R1", "status": "REQUESTED"}
    )
    shop.import_all()
    with shop.state.reads() as s:
        rows = {r.external_id: r for r in s.scalars(select(m.Return))}
    assert rows["gid://shopify/Refund/77"].refund_cents == 550
    assert rows["gid://shopify/Refund/77"].status == ReturnStatus.REFUNDED.value
    assert rows["gid://shopify/Return/88"].status == ReturnStatus.REQUESTED.value


def test_an_order_before_its_customer_keeps_one_customer(shop: Harness) -> None:
    from csdesk.server.commerce import shopify_parse as parse
    from csdesk.server.commerce.store_sync import apply_customers, apply_orders

    cid = shop.fake.add_customer("early@shop.example", first="Eva", last="Early")
    oid = shop.fake.add_order(cid)
    payload = shop.fake.rest_order(oid)
    customer_payload = payload.pop("customer")
    payload["customer"] = {"id": customer_payload["id"]}  # only the id, as some topics send
    apply_orders(shop.state, STORE, [parse.rest_order(payload)])
    apply_customers(shop.state, STORE, [parse.rest_customer(customer_payload)])
    with shop.state.reads() as s:
        (customer,) = s.scalars(select(m.Customer)).all()
        order = s.scalars(select(m.Order)).one()
    assert order.customer_id == customer.id
    assert customer.name == "Eva Early"


def test_a_store_without_a_connector_waits_with_a_reason(
    shop: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(stores.SPECS, "nosuch", stores.ProviderSpec((), (("key", "X", "k"),)))
    with shop.state.writes() as s:
        stores.save(s, shop.runtime.vault, "other", "nosuch", {"shop_url": "https://o.example"},
                    {"key": "k"})  # fmt: skip
        s.commit()
    assert shop.runtime.sync.step("other")
    with shop.state.reads() as s:
        row = s.get(m.StoreConnection, "other")
        assert row is not None
        assert row.attempts == 1 and row.last_error == "this server has no nosuch connector"
    assert shop.fake.requests == []


def test_a_line_edited_out_at_the_store_has_nothing_left(shop: Harness) -> None:
    from csdesk.server.commerce import shopify_parse as parse
    from csdesk.server.commerce.store_sync import apply_orders

    cid = shop.fake.add_customer("edit@shop.example")
    oid = shop.fake.add_order(cid, lines=2)
    shop.import_all()
    gone = shop.fake.edit_out(oid, 0)

    def quantities() -> dict[str | None, int]:
        with shop.state.reads() as s:
            return {
                line.external_id: line.quantity
                for line in s.scalars(select(m.OrderLine).join(m.Order).where(
                    m.Order.external_id == oid))
            }  # fmt: skip

    apply_orders(shop.state, STORE, [parse.rest_order(shop.fake.rest_order(oid))])  # webhook
    after = quantities()
    assert after[gone] == 0 and sorted(after.values()) == [0, 1]
    other = shop.fake.edit_out(oid, 1)  # an edit no webhook told of: the reconcile reads it
    shop.make_due()
    shop.step()
    assert quantities() == {gone: 0, other: 0}
    assert shop.fake.violations == []
