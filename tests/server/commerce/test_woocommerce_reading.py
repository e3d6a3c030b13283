"""The WooCommerce connector reads customers and orders from a fake store over real HTTP:
paging by the X-WP headers, reconcile, throttling, refusals and hostile bodies."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from csdesk.server.channels.egress import EgressPolicy, parse_origins
from csdesk.server.commerce.store_api import StoreOrder, StoreRefused, StoreUnavailable
from csdesk.server.commerce.woocommerce import WooCommerceStore
from tests.helpers.fakes.base import DROP, Answer
from tests.helpers.fakes.woocommerce import FakeWooCommerce, make_customer, make_order
from tests.server.commerce.conftest import WC_KEY, WC_SECRET, connect

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _customers(fake: FakeWooCommerce, count: int) -> None:
    for n in range(count):
        fake.add_customer(
            make_customer(
                100 + n, f"c{n}@example.com", f"First{n}", "Last", T0 + timedelta(hours=n)
            )
        )


def _all_orders(store: WooCommerceStore, since: datetime | None = None) -> list[StoreOrder]:
    found: list[StoreOrder] = []
    cursor: str | None = None
    while True:
        page = store.orders(cursor, since)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def test_customers_page_through_every_record(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    _customers(woo, 5)
    pages = []
    cursor: str | None = None
    while True:
        page = store.customers(cursor, None)
        pages.append([c.external_id for c in page.items])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == [["100", "101"], ["102", "103"], ["104"]]
    requests = woo.requests
    assert [r.query for r in requests] == [
        f"page={n}&per_page=2&orderby=id&order=asc" for n in (1, 2, 3)
    ]
    basic = base64.b64encode(f"{WC_KEY}:{WC_SECRET}".encode()).decode()
    assert all(r.headers["authorization"] == f"Basic {basic}" for r in requests)
    assert all(r.path == "/wp-json/wc/v3/customers" for r in requests)


def test_a_customer_as_a_record(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    woo.add_customer(make_customer(7, "ana@example.com", "Ana", "López", T0))
    [ana] = store.customers(None, None).items
    assert ana.external_id == "7"
    assert (ana.name, ana.email, ana.phone) == ("Ana López", "ana@example.com", "+4915112345678")
    assert ana.email_verified is False  # WooCommerce never confirms an account's email
    assert ana.updated_at == T0  # date_modified_gmt, naive UTC, became aware UTC
    assert ana.created_at == T0 - timedelta(days=30)
    assert ana.tags == ("paying",)


def test_paging_resumes_from_a_cursor(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    _customers(woo, 5)
    page = store.customers("3", None)
    assert [c.external_id for c in page.items] == ["104"]
    assert page.next_cursor is None


def test_an_empty_store_is_one_empty_page(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    page = store.orders(None, None)
    assert (page.items, page.next_cursor) == ([], None)


def test_without_the_total_pages_header_a_full_page_means_more(woo: FakeWooCommerce) -> None:
    store = connect(woo, page_size=2)
    full = [make_order(1), make_order(2)]
    woo.answer_next(Answer(200, full))  # a proxy dropped X-WP-TotalPages
    page = store.orders(None, None)
    assert page.next_cursor == "2"
    woo.answer_next(Answer(200, [make_order(3)]))
    assert store.orders("2", None).next_cursor is None


def test_an_order_with_lines_refunds_and_tracking(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    raw = make_order(
        41,
        customer_id=7,
        lines=[("Blue mug", 3, "25.00"), ("Tea", 1, "4.99")],
        tracking=[
            {
                "tracking_provider": "dhl",
                "custom_tracking_provider": "",
                "custom_tracking_link": "",
                "tracking_number": "JD0140",
                "date_shipped": "1764000000",
                "tracking_id": "a1b2",
            },
            {
                "tracking_provider": "",
                "custom_tracking_provider": "Dropp",
                "custom_tracking_link": "https://dropp.is/track/DR1",
                "tracking_number": "DR1",
                "date_shipped": 1764000000,
            },
        ],
    )
    raw["refunds"] = [{"id": 77, "reason": "broken", "total": "-4.99"}]
    woo.add_order(raw)
    order = store.order("41")
    assert (order.external_id, order.number, order.status) == ("41", "#41", "paid")
    assert (order.currency, order.total_cents) == ("EUR", 2999)
    assert order.customer_external_id == "7"
    assert (order.email, order.phone) == ("ana@example.com", "+34600000000")
    assert [
        (ln.external_id, ln.sku, ln.title, ln.quantity, ln.unit_price_cents) for ln in order.lines
    ] == [
        ("410", "SKU-0", "Blue mug", 3, 833),  # 25.00 / 3, rounded half up
        ("411", "SKU-1", "Tea", 1, 499),
    ]
    assert [(r.external_id, r.amount_cents, r.reason) for r in order.refunds] == [
        ("77", 499, "broken")
    ]
    dhl, dropp = order.shipments
    assert (dhl.external_id, dhl.carrier, dhl.tracking_number, dhl.tracking_url) == (
        "a1b2",
        "dhl",
        "JD0140",
        None,
    )
    assert dhl.shipped_at == datetime.fromtimestamp(1764000000, UTC)
    assert (dropp.carrier, dropp.tracking_url) == ("Dropp", "https://dropp.is/track/DR1")
    assert order.placed_at == datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    assert woo.requests[0].path == "/wp-json/wc/v3/orders/41"


@pytest.mark.parametrize(
    ("woo_status", "csdesk_status"),
    [("pending", "placed"), ("on-hold", "placed"), ("processing", "paid"), ("completed", "shipped"),
     ("cancelled", "cancelled"), ("refunded", "paid"), ("some-plugin-status", "placed")],
)  # fmt: skip
def test_statuses_map_to_csdesks(
    woo: FakeWooCommerce, store: WooCommerceStore, woo_status: str, csdesk_status: str
) -> None:
    woo.add_order(make_order(5, status=woo_status))
    assert store.order("5").status == csdesk_status


def test_zero_and_three_decimal_currencies(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    woo.add_order(make_order(1, currency="JPY", lines=[("Tea", 2, "3000")]))
    kwd = make_order(2, currency="KWD", lines=[("Tea", 1, "1.250")])
    kwd["total"] = "1.250"
    woo.add_order(kwd)
    assert (store.order("1").total_cents, store.order("1").lines[0].unit_price_cents) == (
        3000,
        1500,
    )
    assert store.order("2").total_cents == 1250


def test_reconcile_asks_for_orders_modified_after_in_gmt(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    for n in range(1, 6):
        woo.add_order(make_order(n, modified=T0 + timedelta(hours=n)))
    since = (T0 + timedelta(hours=2, minutes=30)).astimezone(UTC)
    found = _all_orders(store, since)
    # The fake's site is UTC+2: without dates_are_gmt the filter would be two hours off.
    assert [o.external_id for o in found] == ["3", "4", "5"]
    assert "modified_after=2026-11-01T14%3A30%3A00&dates_are_gmt=true" in woo.requests[0].query


def test_customer_reconcile_keeps_those_modified_since(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    _customers(woo, 4)
    since = T0 + timedelta(hours=2)
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = store.customers(cursor, since)
        ids.extend(c.external_id for c in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert ids == ["102", "103"]
    assert all("modified_after" not in r.query for r in woo.requests)  # not a customers filter


def test_throttled_is_unavailable_with_retry_after(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    woo.fail(429)
    with pytest.raises(StoreUnavailable) as caught:
        store.orders(None, None)
    assert caught.value.retry_after == 7.0
    woo.add_order(make_order(1))
    assert [o.external_id for o in store.orders(None, None).items] == ["1"]  # then it works


def test_retry_after_as_an_http_date(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    when = (datetime.now(UTC) + timedelta(seconds=120)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    woo.answer_next(Answer(503, {"code": "x", "message": "busy"}, headers={"Retry-After": when}))
    with pytest.raises(StoreUnavailable) as caught:
        store.orders(None, None)
    assert caught.value.retry_after is not None and 60 < caught.value.retry_after <= 120


@pytest.mark.parametrize("status", [500, 502, DROP])
def test_server_errors_and_dropped_connections_are_unavailable(
    woo: FakeWooCommerce, store: WooCommerceStore, status: int
) -> None:
    woo.fail(status)
    with pytest.raises(StoreUnavailable):
        store.customers(None, None)


def test_a_wrong_key_is_refused_with_the_stores_message(woo: FakeWooCommerce) -> None:
    policy = EgressPolicy(parse_origins(woo.url))
    wrong = WooCommerceStore(woo.url, WC_KEY, "cs_wrong", "s", policy=policy)
    with pytest.raises(StoreRefused, match=r"refused the API key.*you cannot list"):
        wrong.orders(None, None)
    woo.violations.clear()  # the fake lists the bad credentials; that was the point


def test_an_unknown_order_is_refused(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    with pytest.raises(StoreRefused, match=r"Invalid ID\..*woocommerce_rest_shop_order_invalid_id"):
        store.order("999")
    woo.violations.clear()
    with pytest.raises(StoreRefused, match="not a WooCommerce order id"):
        store.order("../customers")
    assert len(woo.requests) == 1  # the bad id never left csdesk


def test_no_rest_api_at_the_url_says_what_to_check(woo: FakeWooCommerce) -> None:
    woo.answer_next(
        Answer(
            404, {"code": "rest_no_route", "message": "No route was found", "data": {"status": 404}}
        )
    )
    with pytest.raises(StoreRefused, match="permalinks"):
        connect(woo).orders(None, None)


def test_a_redirect_is_refused_not_followed(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    woo.answer_next(
        Answer(301, None, headers={"Location": "https://www.shop.example/wp-json/wc/v3/orders"})
    )
    with pytest.raises(StoreRefused, match=r"redirects.*www\.shop\.example"):
        store.orders(None, None)
    assert len(woo.requests) == 1


def test_outbound_rules_apply_without_the_test_exemption(woo: FakeWooCommerce) -> None:
    plain = WooCommerceStore(woo.url, WC_KEY, WC_SECRET, "s")  # http to loopback, no exemption
    with pytest.raises(StoreRefused, match="not https"):
        plain.orders(None, None)
    loopback = WooCommerceStore("https://127.0.0.1:9", WC_KEY, WC_SECRET, "s")
    with pytest.raises(StoreRefused, match="loopback"):
        loopback.orders(None, None)
    assert woo.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://shop.example",
        "https://user:pw@shop.example",
        "https://shop.example/?a=1",
        "shop.example",
    ],
)
def test_store_urls_are_checked_when_configured(url: str) -> None:
    with pytest.raises(ValueError):
        WooCommerceStore(url, WC_KEY, WC_SECRET, "s")


def test_the_api_root_and_a_subfolder_are_understood() -> None:
    assert WooCommerceStore("https://shop.example/wp-json/wc/v3/", "k", "s", "w").api_url == (
        "https://shop.example/wp-json/wc/v3"
    )
    assert WooCommerceStore("https://example.com/shop/", "k", "s", "w").api_url == (
        "https://example.com/shop/wp-json/wc/v3"
    )
    assert "cs_" not in repr(WooCommerceStore("https://example.com", "ck_x", "cs_secret", "w"))


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Error establishing a database connection</body></html>",
        b"[" * 5000 + b"]" * 5000,
        b'[{"id": 1, "total": ' + b"9" * 500 + b"}]",
        b'{"not": "a list"}',
    ],
)
def test_unreadable_pages_are_unavailable(
    woo: FakeWooCommerce, store: WooCommerceStore, body: bytes
) -> None:
    woo.answer_next(Answer(200, None, raw=body))
    with pytest.raises(StoreUnavailable, match="WooCommerce sent"):
        store.orders(None, None)


def test_a_huge_answer_is_not_read(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    woo.answer_next(Answer(200, None, raw=b"[" + b'"x",' * 5_000_000 + b'"x"]'))
    with pytest.raises(StoreUnavailable, match="over"):
        store.orders(None, None)


def test_malformed_records_are_skipped_the_rest_imported(
    woo: FakeWooCommerce, store: WooCommerceStore
) -> None:
    negative = make_order(2)
    negative["total"] = "-20.00"
    too_precise = make_order(3)
    too_precise["total"] = "20.001"
    absurd = make_order(4)
    absurd["total"] = "99999999999.00"
    no_currency = make_order(5)
    no_currency["currency"] = "€"
    bad_date = make_order(6)
    bad_date["date_created_gmt"] = "yesterday"
    bad_line = make_order(7)
    bad_line["line_items"][0]["quantity"] = "lots"
    woo.answer_next(
        Answer(
            200,
            [
                make_order(1),
                negative,
                too_precise,
                absurd,
                no_currency,
                bad_date,
                bad_line,
                make_order(8),
            ],
        )
    )
    page = connect(woo, page_size=8).orders(None, None)
    assert [o.external_id for o in page.items] == ["1", "8"]


def test_a_malformed_single_order_is_refused(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    raw = make_order(3)
    raw["total"] = "NaN"
    woo.add_order(raw)
    with pytest.raises(StoreRefused, match="cannot read"):
        store.order("3")


def test_bad_text_from_the_store_is_cleaned(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    raw = make_order(3, lines=[("Mug\u0000", 1, "5.00")])
    woo.add_order(raw)
    assert store.order("3").lines[0].title == "Mug\ufffd"


def test_check_proves_the_url_and_key(woo: FakeWooCommerce, store: WooCommerceStore) -> None:
    _customers(woo, 3)
    woo.add_order(make_order(1))
    assert store.check() == f"Connected to WooCommerce at {woo.url}: 1 orders and 3 customers"
    assert [r.query for r in woo.requests] == ["page=1&per_page=1"] * 2
    wrong = WooCommerceStore(
        woo.url, WC_KEY, "cs_wrong", "s", policy=EgressPolicy(parse_origins(woo.url))
    )
    with pytest.raises(StoreRefused, match="API key"):
        wrong.check()
    woo.violations.clear()
