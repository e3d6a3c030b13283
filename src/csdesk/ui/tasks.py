"""Background work with results back on the GUI thread (the idea of Anki's taskman).

Widgets never wait on disk or network: they hand a function to ``Tasks.run`` and get its result
(or error) in a callback on the GUI thread. Local-cache writes go through ``Tasks.write``, a
single worker, so they happen one at a time and in the order the agent acted; the inbox's
queries (ordering, counts) run on their own single lane through ``Tasks.query`` (see
``ui/latest.py``), so a burst of keystrokes never fills the pool. Each window owns
its ``Tasks``: once it shuts down nothing new starts and no result is delivered to a widget
that is gone, while writes already queued (the agent's actions) still complete.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)
T = TypeVar("T")


class Tasks(QObject):
    """Signals: ``_done(object)`` internal — carries a callable to run on the GUI thread."""

    _done = Signal(object)

    def __init__(self, parent: QObject | None = None, workers: int = 4) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="csdesk-task")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="csdesk-write")
        self._queries = ThreadPoolExecutor(1, thread_name_prefix="csdesk-query")
        self._done.connect(self._deliver)
        self.in_flight = 0
        self.closed = False

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> Future[T]:
        return self._submit(self._pool, fn, on_done, on_error)

    def write(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> Future[T]:
        return self._submit(self._writer, fn, on_done, on_error)

    def query(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> Future[T]:
        """On the query lane: one at a time, apart from other background work."""
        return self._submit(self._queries, fn, on_done, on_error)

    def _submit(
        self,
        pool: ThreadPoolExecutor,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[Exception], None] | None,
    ) -> Future[T]:
        if self.closed:
            cancelled: Future[T] = Future()
            cancelled.cancel()
            return cancelled
        self.in_flight += 1

        def work() -> T:
            try:
                result = fn()
            except Exception as exc:
                log.debug("task failed: %s", traceback.format_exc())
                error = exc
                self._emit(lambda: self._finish(on_error, error, failed=True))
                raise
            self._emit(lambda: self._finish(on_done, result))
            return result

        return pool.submit(work)

    def _emit(self, thunk: Callable[[], None]) -> None:
        try:
            self._done.emit(thunk)
        except RuntimeError:  # deleted together with its window: drop the result
            log.debug("result dropped: its window is gone")

    def _finish(
        self, callback: Callable[[Any], None] | None, value: Any, failed: bool = False
    ) -> None:
        self.in_flight -= 1
        if callback is not None:
            callback(value)
        elif failed:
            log.error("background task failed: %s", value)

    @Slot(object)
    def _deliver(self, thunk: Callable[[], None]) -> None:
        if not self.closed:
            thunk()

    def shutdown(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._writer.shutdown(wait=True, cancel_futures=False)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._queries.shutdown(wait=False, cancel_futures=True)
