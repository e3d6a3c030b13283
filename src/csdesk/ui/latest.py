"""The newest of a stream of queries (each keystroke of a search), one at a time.

``Latest.submit`` runs a query on the task's query lane. While one runs, a newer one waits
in its place (replacing any older waiting one, which never runs); when the running one ends
and a newer one is waiting, its result is stale: it is dropped and the newer one starts. So
the database runs at most one inbox query at a time and the window only ever shows the
answer to the latest question.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csdesk.ui.tasks import Tasks

Job = tuple[Callable[[], Any], Callable[[Any], None], Callable[[Exception], None]]


class Latest:
    def __init__(self, tasks: Tasks) -> None:
        self._tasks = tasks
        self._running = False
        self._waiting: Job | None = None
        self.dropped = 0  # stale results not delivered (for tests and benchmarks)

    @property
    def busy(self) -> bool:
        """A query runs or waits."""
        return self._running or self._waiting is not None

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        if self._running:
            self._waiting = (fn, on_done, on_error)
            return
        self._start((fn, on_done, on_error))

    def _start(self, job: Job) -> None:
        fn, on_done, on_error = job
        self._running = True

        def done(result: Any) -> None:
            if self._next():
                self.dropped += 1  # a newer question is asked: this answer is stale
                return
            on_done(result)

        def failed(exc: Exception) -> None:
            if not self._next():
                on_error(exc)

        future = self._tasks.query(fn, done, failed)
        if future.cancelled():  # the window is closing
            self._running = False

    def _next(self) -> bool:
        """Start the waiting query, if any; False when there is none."""
        self._running = False
        job, self._waiting = self._waiting, None
        if job is None:
            return False
        self._start(job)
        return True
