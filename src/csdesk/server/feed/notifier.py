"""Long-poll wake-ups without a thread per waiter.

Each waiting pull awaits an ``asyncio.Event``; a commit anywhere (this process, or another
process on the same PostgreSQL through LISTEN/NOTIFY) sets it and swaps in a fresh one. The
known head lets a waiter whose cursor is already current go back to sleep without a query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()
        self.head = 0
        self.waiters = 0
        #: The server is shutting down: waits end at once (see :meth:`stop`).
        self.stopping = False

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
        event, self._event = self._event, asyncio.Event()
        event.set()

    def stop(self) -> None:
        """The server is stopping: every parked wait returns now (False, as on a timeout) and
        no new one parks, so parked long-polls answer empty and a graceful shutdown need not
        sit out their timeouts. Call on the event loop."""
        self.stopping = True
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_past(self, cursor: int, timeout: float) -> bool:
        """Wait until the head passes ``cursor``; False on timeout or when stopping."""
        if self.head > cursor:
            return True
        if self.stopping:
            return False
        self.waiters += 1
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while self.head <= cursor:
                remaining = deadline - loop.time()
                if remaining <= 0 or self.stopping:
                    return False
                try:
                    await asyncio.wait_for(self._event.wait(), remaining)
                except TimeoutError:
                    return False
            return True
        finally:
            self.waiters -= 1


async def listen_postgres(
    dsn: str, notifier: Notifier, read_head: Callable[[], int], backstop: float = 2.0
) -> None:
    """Forward other processes' commits (NOTIFY) to ``notifier``; reconnect on failure.

    Notifications are lost while disconnected, and NOTIFY is only a hint: a slow poll of the
    head while agents are waiting is the backstop.
    """
    import psycopg

    from csdesk.server.feed.log import NOTIFY_CHANNEL

    delay = 0.5
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                delay = 0.5
                notifier.publish(await asyncio.to_thread(read_head))
                gen = conn.notifies(timeout=backstop)
                while True:
                    async for note in gen:
                        with contextlib.suppress(ValueError):
                            notifier.publish(int(note.payload))
                    if notifier.waiters:
                        notifier.publish(await asyncio.to_thread(read_head))
                    gen = conn.notifies(timeout=backstop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("feed listener lost its connection (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
