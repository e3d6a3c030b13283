"""Long-poll wake-ups without a thread, task or stream per waiter.

Each waiting pull awaits a bare future, with one timer handle for its deadline; a commit
anywhere (this process, or another process on the same PostgreSQL through LISTEN/NOTIFY)
resolves the futures of the waiters it concerns. They are released a slice at a time, one
slice per turn of the event loop, so that with thousands waiting the loop still reads the
sockets between slices: the next push (and the re-parking pulls) are not queued behind every
wake-up at once. The known head lets a waiter whose cursor is already current go back to
sleep without a query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csdesk.server.auth.cache import AuthCache

log = logging.getLogger(__name__)

#: Waiters released per turn of the event loop.
RELEASE_SLICE = 8


def _expire(future: asyncio.Future[bool]) -> None:
    if not future.done():
        future.set_result(False)


class Notifier:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Each waiter's future and the cursor it waits to see passed.
        self._waiting: dict[asyncio.Future[bool], int] = {}
        self.head = 0
        #: The server is shutting down: waits end at once (see :meth:`stop`).
        self.stopping = False

    @property
    def waiters(self) -> int:
        return len(self._waiting)

    def bind(self, loop: asyncio.AbstractEventLoop, head: int) -> None:
        self._loop = loop
        self.head = max(self.head, head)

    def publish(self, seq: int) -> None:
        """Announce that the feed reached ``seq``. Safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self.head = max(self.head, seq)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._advance(seq)
        else:
            with contextlib.suppress(RuntimeError):  # loop shutting down
                loop.call_soon_threadsafe(self._advance, seq)

    def _advance(self, seq: int) -> None:
        if seq <= self.head:
            return
        self.head = seq
        ready = [f for f, cursor in self._waiting.items() if cursor < seq]
        for future in ready:
            del self._waiting[future]
        self._release(ready, 0)

    def _release(self, ready: list[asyncio.Future[bool]], start: int) -> None:
        end = start + RELEASE_SLICE
        for future in ready[start:end]:
            if not future.done():
                future.set_result(True)
        if end < len(ready):
            asyncio.get_running_loop().call_soon(self._release, ready, end)

    def stop(self) -> None:
        """The server is stopping: every parked wait returns now (False, as on a timeout) and
        no new one parks, so parked long-polls answer empty and a graceful shutdown need not
        sit out their timeouts. Call on the event loop."""
        self.stopping = True
        waiting, self._waiting = list(self._waiting), {}
        for future in waiting:
            _expire(future)

    async def wait_past(self, cursor: int, timeout: float) -> bool:
        """Wait until the head passes ``cursor``; False on timeout or when stopping."""
        if self.head > cursor:
            return True
        if timeout <= 0 or self.stopping:
            return False
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._waiting[future] = cursor
        timer = loop.call_later(timeout, _expire, future)
        try:
            return await future
        finally:
            timer.cancel()
            self._waiting.pop(future, None)


async def listen_postgres(
    dsn: str,
    notifier: Notifier,
    read_head: Callable[[], int],
    backstop: float = 2.0,
    auth: AuthCache | None = None,
) -> None:
    """Forward other processes' commits (NOTIFY) to ``notifier``; reconnect on failure.

    Notifications are lost while disconnected, and NOTIFY is only a hint: a slow poll of the
    head while agents are waiting is the backstop. ``auth`` hears revoked tokens on its own
    channel and keeps nothing while this listener is not connected (it could miss one).
    """
    import psycopg

    from csdesk.server.auth.cache import AUTH_CHANNEL, on_notify
    from csdesk.server.feed.log import NOTIFY_CHANNEL

    delay = 0.5
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                if auth is not None:
                    await conn.execute(f"LISTEN {AUTH_CHANNEL}")
                    auth.set_trusted(True)
                delay = 0.5
                notifier.publish(await asyncio.to_thread(read_head))
                gen = conn.notifies(timeout=backstop)
                while True:
                    async for note in gen:
                        if note.channel == NOTIFY_CHANNEL:
                            with contextlib.suppress(ValueError):
                                notifier.publish(int(note.payload))
                        elif auth is not None:
                            on_notify(auth, note.payload)
                    if notifier.waiters:
                        notifier.publish(await asyncio.to_thread(read_head))
                    gen = conn.notifies(timeout=backstop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if auth is not None:
                auth.set_trusted(False)  # at once, not after the sleep: revocations are missed
            log.warning("feed listener lost its connection (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        finally:
            if auth is not None:
                auth.set_trusted(False)
