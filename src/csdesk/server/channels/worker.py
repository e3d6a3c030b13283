"""The shape every channel background loop shares: the outbound dispatcher, the media fetcher.

Each lives on the server's event loop and does its rounds in a thread (database and HTTP calls
block). It wakes on feed commits through the notifier (commits within ``min_gap_seconds`` of
the last round share one), and at least every ``poll_seconds`` for retries that came due;
stopping lets the round in flight finish so its
outcome is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import ClassVar

import requests

from csdesk.server.edge import outage
from csdesk.server.state import ServerState

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0
#: A feed position no commit reaches (see ``LoopWorker.wakes_on_commit``).
_NEVER = 2**62


def backoff(attempts: int, base: float, hint: float | None = None) -> float:
    """Exponential with jitter, never sooner than the provider's own Retry-After hint."""
    delay = min(base * 2.0 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    delay *= random.uniform(0.9, 1.1)  # spreads retries of many processes; not security
    return max(delay, min(hint or 0.0, MAX_BACKOFF_SECONDS))


class LoopWorker:
    """Subclasses name their task, say what a round does (for the log) and do one round in
    :meth:`run_once`, checking ``stopping`` between items."""

    task_name: ClassVar[str]
    round_name: ClassVar[str]
    #: The shortest time from one round's start to the next's (0: a round per commit).
    #: A quiet server still starts a round at the first commit; under a stream of pushes
    #: (tens of commits a second) the commits of the gap share one round. A round per commit
    #: (order actions, calls) took ~5 % of a pushed reply's server CPU (issue 10).
    min_gap_seconds: ClassVar[float] = 0.1
    #: False: rounds come every ``poll_seconds`` only (a worker driven by the clock, which
    #: a commit gives nothing to do).
    wakes_on_commit: ClassVar[bool] = True

    def __init__(self, state: ServerState, *, poll_seconds: float = 0.5) -> None:
        self.state = state
        self.poll_seconds = poll_seconds
        self.stopping = False
        self.http = requests.Session()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.stopping = False
        self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self, grace: float = 30.0) -> None:
        """Let the current round finish (a send or download in flight is recorded), then
        stop; after ``grace`` seconds the round is cancelled."""
        self.stopping = True
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, grace)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.http.close()

    async def _run(self) -> None:
        notifier = self.state.notifier
        loop = asyncio.get_running_loop()
        while not self.stopping:
            head = notifier.head
            started = loop.time()
            try:
                await asyncio.to_thread(self.run_once)
            except Exception as exc:  # an outage: one line a minute, not a traceback a round
                outage.log_failure(log, exc, f"{self.round_name} round failed; retrying")
            if notifier.stopping:  # the server is going down; stop() follows
                break
            if not self.stopping:
                # Under a stream of commits, the ones within ``min_gap_seconds`` of the last
                # round share the next one instead of each paying for a round of its own.
                gap = self.min_gap_seconds - (loop.time() - started)
                if gap > 0:
                    await asyncio.sleep(gap)
                # A cursor no commit passes: only the timeout (or the server stopping) wakes.
                await notifier.wait_past(
                    head if self.wakes_on_commit else _NEVER, self.poll_seconds
                )

    def run_once(self) -> int:
        """One round; the number of items handled."""
        raise NotImplementedError
