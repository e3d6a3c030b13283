"""Long-poll wake-ups without a thread, task or stream per waiter.

Each waiting pull awaits a bare future, with one timer handle for its deadline; a commit
anywhere (this process, or another process on the same PostgreSQL through LISTEN/NOTIFY)
resolves the futures of the waiters it concerns. They are released a slice at a time, one
slice per turn of the event loop, so that with thousands waiting the loop still reads the
sockets between slices: the next push (and the re-parking pulls) are not queued behind every
wake-up at once. The known head lets a waiter whose cursor is already current go back to
sleep without a query.

A push answers its writer first: its commits are *held* (:meth:`Notifier.hold`) and wake the
waiters only once its response has been sent, so the fan-out neither takes the event loop
from the push's last steps nor the GIL from the thread that commits it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from csdesk.server.auth.cache import AuthCache

log = logging.getLogger(__name__)

#: Waiters released per turn of the event loop.
RELEASE_SLICE = 8
#: A hold releases itself after this many seconds, should its request never finish sending.
HOLD_LIMIT = 5.0

P = ParamSpec("P")
R = TypeVar("R")


class Hold:
    """The commits of one request, held back from the waiters until :meth:`release`.

    Made by :meth:`Notifier.hold`; the request's work runs through :meth:`run` (on a worker
    thread), and :meth:`release` (on the event loop, once the answer is out; idempotent)
    wakes the waiters those commits concern.
    """

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        #: The last seq the held commits reached (0: none yet).
        self.seq = 0
        #: Seqs taken by the held transactions (committed or not), see :meth:`Notifier.pending`.
        self.taken: list[int] = []
        #: The last of them PostgreSQL announced back while held.
        self.heard = 0
        self.released = False
        self.timer: asyncio.TimerHandle | None = None

    def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Call ``fn``; the commits it makes on this thread are held."""
        token = _HELD.set(self)
        try:
            return fn(*args, **kwargs)
        finally:
            _HELD.reset(token)

    def release(self) -> None:
        """Wake the waiters the held commits concern. Call on the event loop."""
        self.notifier.unhold(self)


#: The hold of the request running in this context (thread), if any.
_HELD: contextvars.ContextVar[Hold | None] = contextvars.ContextVar("csdesk_hold", default=None)


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
        #: The seqs of held transactions, by hold: PostgreSQL's NOTIFY of them comes back
        #: to this process's own listener (often before the commit returns), which must not
        #: release the waiters early.
        self._held: dict[int, Hold] = {}
        self._held_lock = threading.Lock()

    @property
    def waiters(self) -> int:
        return len(self._waiting)

    def bind(self, loop: asyncio.AbstractEventLoop, head: int) -> None:
        self._loop = loop
        self.head = max(self.head, head)

    def hold(self, limit: float = HOLD_LIMIT) -> Hold:
        """A hold for one request's commits (see :class:`Hold`), released after ``limit``
        seconds at the latest. Call on the event loop."""
        hold = Hold(self)
        hold.timer = asyncio.get_running_loop().call_later(limit, hold.release)
        return hold

    def pending(self, seq: int) -> None:
        """A transaction on this thread is about to commit ``seq``: within a hold, note it
        before PostgreSQL can announce it (see :meth:`heard`)."""
        held = _HELD.get()
        if held is not None and held.notifier is self:
            with self._held_lock:
                if not held.released:
                    held.taken.append(seq)
                    self._held[seq] = held

    def publish(self, seq: int) -> None:
        """Announce that the feed reached ``seq`` (a commit). Safe from any thread.

        Inside :meth:`Hold.run` of this notifier's hold, the announcement waits for that
        hold's release.
        """
        held = _HELD.get()
        if held is not None and held.notifier is self:
            with self._held_lock:
                if not held.released:
                    held.seq = max(held.seq, seq)
                    return
        self._announce(seq)

    def heard(self, seq: int) -> None:
        """Some process announced ``seq`` (PostgreSQL's NOTIFY, or the head it holds): a
        seq of a held transaction of this process waits for that hold's release."""
        with self._held_lock:
            held = self._held.get(seq)
            if held is not None:
                held.heard = max(held.heard, seq)
                return
        self._announce(seq)

    def unhold(self, hold: Hold) -> None:
        """Release ``hold``: announce its commits. Call on the event loop."""
        with self._held_lock:
            if hold.released:
                return
            hold.released = True
            if hold.timer is not None:
                hold.timer.cancel()
            for seq in hold.taken:
                self._held.pop(seq, None)
        # ``heard``: a seq the hold took and rolled back may since be another commit's.
        seq = max(hold.seq, hold.heard)
        if seq:
            self._announce(seq)

    def _announce(self, seq: int) -> None:
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
                notifier.heard(await asyncio.to_thread(read_head))
                gen = conn.notifies(timeout=backstop)
                while True:
                    async for note in gen:
                        if note.channel == NOTIFY_CHANNEL:
                            with contextlib.suppress(ValueError):
                                notifier.heard(int(note.payload))
                        elif auth is not None:
                            on_notify(auth, note.payload)
                    if notifier.waiters:
                        notifier.heard(await asyncio.to_thread(read_head))
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
