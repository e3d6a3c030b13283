"""A store connected to the fake Shopify (or WooCommerce), on a real database, driven step by
step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from csdesk.server.commerce import stores
from csdesk.server.commerce.runtime import StoreRuntime
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from csdesk.storage.types import utcnow
from tests.helpers.fakes.shopify import FakeShopify
from tests.helpers.fakes.woocommerce import FakeWooCommerce

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
SECRET = "shopify-app-client-secret-5e1f"
STORE = "acme"


@dataclass
class Driver:
    """A store on a real database, driven step by step (the connector's fake is the
    subclass's ``fake``)."""

    state: ServerState
    runtime: StoreRuntime

    def row(self) -> m.StoreConnection:
        with self.state.reads() as s:
            row = s.get(m.StoreConnection, STORE)
            assert row is not None
            s.expunge(row)
            return row

    def make_due(self) -> None:
        with self.state.writes() as s:
            s.execute(
                update(m.StoreConnection)
                .where(m.StoreConnection.name == STORE)
                .values(next_run_at=utcnow() - timedelta(seconds=1))
            )
            s.commit()

    def step(self) -> None:
        assert self.runtime.sync.step(STORE), "the store was not due"

    def import_all(self, limit: int = 50) -> int:
        steps = 0
        while self.row().phase != "live":
            assert steps < limit, "the import does not finish"
            self.step()
            steps += 1
        return steps

    def count(self, model: type[m.Base]) -> int:
        with self.state.reads() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@dataclass
class Harness(Driver):
    fake: FakeShopify


@dataclass
class WooHarness(Driver):
    fake: FakeWooCommerce


@contextmanager
def harness(
    db_url: str, data_dir: Path, fake: FakeShopify, page_size: int = 2
) -> Iterator[Harness]:
    with _running(
        db_url,
        data_dir,
        fake.url,
        "shopify",
        {"shop_url": fake.url, "page_size": page_size},
        {"access_token": TOKEN, "webhook_secret": SECRET},
    ) as (state, runtime):
        yield Harness(state, runtime, fake)


@contextmanager
def woo_harness(
    db_url: str, data_dir: Path, fake: FakeWooCommerce, key: str, secret: str
) -> Iterator[WooHarness]:
    """The store ``acme`` connected to the fake WooCommerce (``key``/``secret`` its API key)."""
    with _running(
        db_url,
        data_dir,
        fake.url,
        "woocommerce",
        {"shop_url": fake.url},
        {"consumer_key": key, "consumer_secret": secret, "webhook_secret": "whsec-test"},
    ) as (state, runtime):
        yield WooHarness(state, runtime, fake)


@contextmanager
def _running(
    db_url: str,
    data_dir: Path,
    origin: str,
    provider: str,
    settings: dict[str, object],
    secrets: dict[str, str],
) -> Iterator[tuple[ServerState, StoreRuntime]]:
    config = ServerConfig(
        db_url=db_url,
        data_dir=data_dir,
        listen_notify=False,
        fetch_trusted_origins=(origin,),
    )
    state = ServerState.build(config)
    upgrade(state.engine)
    with state.writes() as s:
        ensure_counter(s)
        s.commit()
    runtime = StoreRuntime(state)
    with state.writes() as s:
        stores.save(s, runtime.vault, STORE, provider, settings, secrets)
        s.commit()
    try:
        yield state, runtime
    finally:
        runtime.sync.http.close()
        runtime.sender.http.close()
        state.engine.dispose()
