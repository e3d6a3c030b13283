"""Fixtures for the store tests: the vault key, the fake Shopify, a connected store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from csdesk.server.channels.vault import ENV_KEY
from tests.helpers.fakes.shopify import FakeShopify
from tests.server.commerce.support import TOKEN, Harness, harness


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
