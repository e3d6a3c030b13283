"""The channel services one server app holds: settings lookup, rate limits, the dispatcher,
the IMAP worker and the media downloader.

Built by ``create_app`` and kept on ``app.state.channels``; nothing here exists at import time,
so every test server gets its own.
"""

from __future__ import annotations

import asyncio
import threading
import time

from fastapi import Request

from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.dispatcher import Dispatcher
from csdesk.server.channels.email_inbound import EmailWorker
from csdesk.server.channels.guard import RateLimiter
from csdesk.server.channels.media_fetch import MediaFetcher
from csdesk.server.channels.vault import Vault
from csdesk.server.state import ServerState

#: How long a looked-up connection is reused: ``channel add/remove`` on a running server takes
#: effect within this, and a flood of webhooks costs one query a second, not one each.
SETTINGS_TTL = 1.0


class ChannelRuntime:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.vault = Vault(state.config.data_dir)
        self.limiter = RateLimiter()
        self._cache: dict[Provider, tuple[float, ChannelSettings | None]] = {}
        self._lock = threading.Lock()
        self.dispatcher = Dispatcher(state, self.settings, self.public_url)
        # The IMAP workers read the connection afresh: they look only at a wake-up or a tick,
        # and mail that arrives right after ``channel add email`` must be read with the new
        # settings (an --authserv-id, say), not a copy up to SETTINGS_TTL old.
        self.email = EmailWorker(state, self.fresh_settings)
        self.media = MediaFetcher(state, self.settings)
        from csdesk.server.channels.callout import CallPlacer

        self.placer = CallPlacer(state, self.settings, self.public_url)

    def public_url(self, path: str) -> str:
        """The URL providers call for ``path``: what signatures are computed over."""
        return self.state.config.public_base_url.rstrip("/") + path

    def settings(self, provider: Provider) -> ChannelSettings | None:
        """The provider's connection (None: not configured); raises VaultError on a bad key."""
        with self._lock:
            hit = self._cache.get(provider)
            if hit is not None and time.monotonic() - hit[0] < SETTINGS_TTL:
                return hit[1]
        return self.fresh_settings(provider)

    def fresh_settings(self, provider: Provider) -> ChannelSettings | None:
        """The provider's connection read now, past the cache (and refreshing it)."""
        now = time.monotonic()
        with self.state.reads() as s:
            found = config_store.load(s, self.vault, provider)
        with self._lock:
            self._cache[provider] = (now, found)
        return found

    async def start(self) -> None:
        self.dispatcher.start()
        self.email.start()  # a thread; idle until an email channel is configured
        self.media.start()
        self.placer.start()

    async def stop(self) -> None:
        await asyncio.to_thread(self.email.stop)
        await self.media.stop()
        await self.placer.stop()
        await self.dispatcher.stop()


def runtime_of(request: Request) -> ChannelRuntime:
    rt: ChannelRuntime = request.app.state.channels
    return rt
