"""The commerce services one server app holds: connection lookup (cached briefly, so a flood
of webhooks costs one query a second), the import/reconcile worker and the action sender.

Built by ``create_app`` and kept on ``app.state.stores``; nothing exists at import time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request

from csdesk.server.channels import egress
from csdesk.server.channels.guard import RateLimiter
from csdesk.server.channels.vault import Vault
from csdesk.server.commerce import stores
from csdesk.server.commerce.http import RequestBudget, StoreHttp
from csdesk.server.commerce.store_api import StoreConnector
from csdesk.server.commerce.stores import StoreSettings
from csdesk.server.state import ServerState
from csdesk.storage import models as m

log = logging.getLogger(__name__)
SETTINGS_TTL = 1.0


def policy_of(state: ServerState) -> egress.EgressPolicy:
    """The outbound rules; loopback exemptions only for ``$CSDESK_FETCH_TRUSTED_ORIGINS``."""
    trusted = state.config.fetch_trusted_origins
    if trusted:
        log.warning("store API rules do not apply to %s (fetch_trusted_origins)", trusted)
    return egress.EgressPolicy(egress.parse_origins(trusted))


class StoreRuntime:
    def __init__(self, state: ServerState) -> None:
        from csdesk.server.commerce.action_sender import ActionSender
        from csdesk.server.commerce.store_sync import StoreSyncWorker

        self.state = state
        self.vault = Vault(state.config.data_dir)
        self.policy = policy_of(state)
        self.limiter = RateLimiter()
        self._cache: dict[str, tuple[float, StoreSettings | None]] = {}
        self._budgets: dict[str, RequestBudget] = {}
        self._lock = threading.Lock()
        self.sync = StoreSyncWorker(state, self)
        self.sender = ActionSender(state, self)

    def settings(self, name: str) -> StoreSettings | None:
        """The connection named ``name`` (None: none); raises VaultError on a bad key."""
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and time.monotonic() - hit[0] < SETTINGS_TTL:
                return hit[1]
        now = time.monotonic()
        with self.state.reads() as s:
            row = s.get(m.StoreConnection, name)
            found = stores.decrypt(row, self.vault) if row is not None else None
        with self._lock:
            self._cache[name] = (now, found)
        return found

    @contextmanager
    def connector(self, settings: StoreSettings) -> Iterator[StoreConnector]:
        """A connector for one piece of work (its HTTP connections closed afterwards)."""
        with self._lock:
            budget = self._budgets.setdefault(settings.name, RequestBudget())
        http = StoreHttp(settings.shop_url, self.policy, budget)
        connector: StoreConnector | None = None
        try:
            connector = stores.connector(settings, http)
            yield connector
        finally:
            close = getattr(connector, "close", None)
            if callable(close):
                close()  # a connector with its own HTTP session (WooCommerce)
            http.close()

    async def start(self) -> None:
        self.sync.start()
        self.sender.start()

    async def stop(self) -> None:
        await self.sender.stop()
        await self.sync.stop()


def runtime_of(request: Request) -> StoreRuntime:
    rt: StoreRuntime = request.app.state.stores
    return rt
