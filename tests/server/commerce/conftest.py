"""Fixtures for the store connector tests: a fake WooCommerce on loopback and a connector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from csdesk.server.channels.egress import EgressPolicy, parse_origins
from csdesk.server.commerce.woocommerce import WooCommerceStore
from tests.helpers.fakes.woocommerce import FakeWooCommerce

WC_KEY = "ck_0123456789abcdef0123456789abcdef01234567"
WC_SECRET = "cs_fedcba9876543210fedcba9876543210fedcba98"
WC_WEBHOOK_SECRET = "whsec-woo-7c1d"


@pytest.fixture(scope="module")
def woo_server() -> Iterator[FakeWooCommerce]:
    fake = FakeWooCommerce(WC_KEY, WC_SECRET).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def woo(woo_server: FakeWooCommerce) -> Iterator[FakeWooCommerce]:
    """An empty fake store; the test fails if csdesk sent it anything off the documented
    shape (a test that provokes a violation on purpose clears ``violations``)."""
    woo_server.reset()
    yield woo_server
    assert woo_server.violations == []


def connect(
    fake: FakeWooCommerce, *, page_size: int = 50, gateway_refunds: bool = True
) -> WooCommerceStore:
    """The connector for ``fake``: the egress rules exempt exactly the fake's origin."""
    policy = EgressPolicy(parse_origins(fake.url))
    return WooCommerceStore(
        fake.url,
        WC_KEY,
        WC_SECRET,
        WC_WEBHOOK_SECRET,
        policy=policy,
        page_size=page_size,
        gateway_refunds=gateway_refunds,
    )


@pytest.fixture
def store(woo: FakeWooCommerce) -> Iterator[WooCommerceStore]:
    connector = connect(woo, page_size=2)
    try:
        yield connector
    finally:
        connector.close()
