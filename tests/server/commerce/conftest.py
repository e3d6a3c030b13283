"""Fixtures for the store tests: the vault key, the fake Shopify and WooCommerce, connectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from csdesk.server.channels.egress import EgressPolicy, parse_origins
from csdesk.server.channels.vault import ENV_KEY
from csdesk.server.commerce.woocommerce import WooCommerceStore
from tests.helpers.fakes.shopify import FakeShopify
from tests.helpers.fakes.woocommerce import FakeWooCommerce
from tests.server.commerce.support import TOKEN, Harness, harness

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


@pytest.fixture(scope="module")
def store_key() -> Iterator[str]:
    key = Fernet.generate_key().decode()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_KEY, key)
        yield key


@pytest.fixture
def shopify() -> Iterator[FakeShopify]:
    fake = FakeShopify(TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def shop(db_url: str, tmp_path: Path, shopify: FakeShopify, store_key: str) -> Iterator[Harness]:
    with harness(db_url, tmp_path, shopify) as h:
        yield h
