"""Fixtures for sync tests: seeded conversations, client factories, server-side checks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.protocol import Entity
from csdesk.server.config import ServerConfig
from csdesk.server.feed.log import ensure_counter
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.db import make_engine, session_factory
from csdesk.storage.wire import row_to_wire
from csdesk.sync import LocalCache, SyncApi, SyncEngine
from csdesk.sync.tables import CACHE_TABLES
from tests.helpers.server import ServerProcess, TestUser

#: The entities agents edit; what convergence checks compare.
EDITED = (Entity.CUSTOMER, Entity.CONVERSATION, Entity.MESSAGE)


def wait_for(
    condition: Callable[[], Any], what: str, timeout: float = 30.0, interval: float = 0.02
) -> Any:
    """Poll ``condition`` until it is truthy; fail with ``what`` after a generous deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Seeded:
    customers: list[str] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)


def seed(db_url: str, customers: int = 2, conversations_per_customer: int = 2) -> Seeded:
    """Customers and open, unassigned conversations, written through the server's own
    session factory so the change feed records them."""
    state = ServerState.build(ServerConfig(db_url=db_url))
    out = Seeded()
    try:
        with state.writes() as s:
            ensure_counter(s)
            for n in range(customers):
                cust = m.Customer(id=str(uuid.uuid4()), name=f"Customer {n}", email=f"c{n}@x.test")
                s.add(cust)
                out.customers.append(cust.id)
                for k in range(conversations_per_customer):
                    conv = m.Conversation(
                        id=str(uuid.uuid4()),
                        customer_id=cust.id,
                        # Phone: the server's dispatcher never sends on it, so these tests
                        # see sync alone, not delivery (leases, retries, failures).
                        channel="phone",
                        subject=f"Order question {n}.{k}",
                        preview="Where is my parcel?",
                    )
                    s.add(conv)
                    out.conversations.append(conv.id)
            s.commit()
    finally:
        state.engine.dispose()
    return out


@pytest.fixture
def seeded(server: ServerProcess, db_url: str) -> Seeded:
    return seed(db_url)


@dataclass
class Client:
    engine: SyncEngine
    cache: LocalCache
    api: SyncApi
    user: TestUser
    path: Path

    def dump(self, entities: tuple[Entity, ...] = EDITED) -> dict[Entity, dict[str, Any]]:
        return dump_cache(self.cache, entities)


ClientFactory = Callable[..., Client]


@pytest.fixture
def make_client(
    server: ServerProcess, users: dict[str, TestUser], tmp_path: Path
) -> Iterator[ClientFactory]:
    """Build a desk: a cache file, an API and an engine (threads only with ``start=True``)."""
    made: list[Client] = []

    def make(
        username: str = "ann",
        *,
        path: Path | None = None,
        login: bool = True,
        start: bool = False,
        api: SyncApi | None = None,
        **engine_kw: Any,
    ) -> Client:
        path = path or tmp_path / f"cache-{username}-{len(made)}.sqlite"
        cache = LocalCache(path)
        api = api or SyncApi(server.url, timeout=5.0)
        engine_kw.setdefault("backoff_base", 0.05)
        engine_kw.setdefault("backoff_max", 0.5)
        engine = SyncEngine(cache, api, **engine_kw)
        client = Client(engine, cache, api, users[username], path)
        made.append(client)
        if login:
            engine.login(users[username].username, users[username].password)
        if start:
            engine.start()
        return client

    yield make
    for c in made:
        assert c.engine.stop(10), "sync threads did not stop"
        c.api.close()
        c.cache.close()
    # The server does not notice a client that hung up during a long-poll until the wait ends,
    # and SIGTERM waits for those requests (up to 25 s). Shutdown is not under test here.
    server.kill()


def dump_cache(cache: LocalCache, entities: tuple[Entity, ...] = EDITED) -> dict[Entity, Any]:
    """Every row of the given entity tables, in wire form, by id."""
    with cache.session() as s:
        return dump_session(s, entities)


def dump_session(s: Session, entities: tuple[Entity, ...] = EDITED) -> dict[Entity, Any]:
    out: dict[Entity, Any] = {}
    for entity in entities:
        table = CACHE_TABLES[entity]
        rows = s.execute(select(table)).mappings()
        out[entity] = {r["id"]: row_to_wire(entity, dict(r)) for r in rows}
    return out


def fresh_sync(
    url: str, user: TestUser, path: Path, page_limit: int = 500, token: str | None = None
) -> LocalCache:
    """A brand-new cache fully synced from the server: the reference state."""
    cache = LocalCache(path)
    api = SyncApi(url, token)
    try:
        engine = SyncEngine(cache, api, page_limit=page_limit)
        if token is None:
            engine.login(user.username, user.password)
        engine.sync_now()
    finally:
        api.close()
    return cache


@pytest.fixture
def server_session(db_url: str) -> Iterator[Callable[[], Session]]:
    """Sessions on the server's database, for counting what really arrived."""
    engine = make_engine(db_url)
    factory = session_factory(engine)
    yield factory
    engine.dispose()


def server_messages(factory: Callable[[], Session], conversation_id: str) -> list[m.Message]:
    with factory() as s:
        return list(
            s.scalars(
                select(m.Message)
                .where(m.Message.conversation_id == conversation_id)
                .order_by(m.Message.created_at, m.Message.id)
            )
        )
