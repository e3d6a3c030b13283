"""One thread that owns the TTS engine, with a deadline on everything it is asked to do.

Engines are thread-affine (SAPI5 is a COM object, espeak has process-wide state), so every call
goes to the same thread. That thread may block for good inside a C library, so callers never wait
on it without a deadline: the first missed deadline marks the engine hung, the daemon thread is
abandoned, and every later call fails at once instead of stacking up behind it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from csdesk.speech.engine import EngineFactory, TTSEngine

__all__ = ["EngineFailed", "EngineHung", "EngineThread"]

_log = logging.getLogger(__name__)

T = TypeVar("T")
_Job = tuple[Callable[[TTSEngine], object], "Future[object]"]


class EngineFailed(RuntimeError):
    """The engine could not be created; the message is the underlying reason."""


class EngineHung(RuntimeError):
    """The engine missed a deadline; its thread is abandoned."""


class EngineThread:
    def __init__(self, factory: EngineFactory, *, name: str = "csdesk-tts-engine") -> None:
        self._factory = factory
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._engine: TTSEngine | None = None
        self._hung_reason: str | None = None

    @property
    def hung(self) -> bool:
        return self._hung_reason is not None

    def start(self) -> None:
        self._thread.start()

    def submit(self, fn: Callable[[TTSEngine], T]) -> Future[T]:
        """Queue ``fn(engine)``; the caller must bound its wait (see :meth:`wait`)."""
        future: Future[T] = Future()
        if self._hung_reason is not None:
            future.set_exception(EngineHung(self._hung_reason))
        else:
            self._jobs.put((fn, future))  # type: ignore[arg-type]
        return future

    def wait(
        self,
        future: Future[T],
        timeout: float,
        *,
        poll: Callable[[], None] | None = None,
        what: str = "a call",
    ) -> T:
        """Result of ``future`` within ``timeout`` seconds, else mark the engine hung.

        ``poll`` runs every few milliseconds while waiting, so the caller can react to an
        interruption without a second thread.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.mark_hung(f"the speech engine did not finish {what} within {timeout:.0f} s")
                raise EngineHung(self._hung_reason)
            try:
                return future.result(timeout=min(remaining, 0.02))
            except TimeoutError:
                if poll is not None:
                    poll()

    def call(self, fn: Callable[[TTSEngine], T], timeout: float, *, what: str = "a call") -> T:
        return self.wait(self.submit(fn), timeout, what=what)

    def stop_speaking(self, timeout: float) -> bool:
        """Ask the engine to stop the utterance it is busy with; False if that did not return.

        Runs on a throwaway thread because the owning thread is inside ``runAndWait``, and
        because a stop can block in the C library; not returning is not fatal by itself (the
        utterance's own deadline decides whether the engine is hung).
        """
        engine = self._engine
        if engine is None or self.hung:
            return False

        def stop() -> None:
            try:
                engine.stop()
            except Exception:
                _log.warning("speech engine stop() failed", exc_info=True)

        helper = threading.Thread(target=stop, name="csdesk-tts-stop", daemon=True)
        helper.start()
        helper.join(timeout)
        return not helper.is_alive()

    def close(self) -> None:
        """Let the thread finish its current job and exit; never waits for it."""
        self._jobs.put(None)

    def mark_hung(self, reason: str) -> None:
        """Give up on the engine, also when a job returned but the engine is known to be stuck."""
        if self._hung_reason is None:
            self._hung_reason = reason
            _log.error("%s; speech disabled", reason)
        # Fail queued jobs now rather than when their callers' deadlines pass.
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job[1].set_exception(EngineHung(reason))

    def _run(self) -> None:
        failure: EngineFailed | None = None
        try:
            self._engine = self._factory()
        except Exception as exc:
            _log.warning("speech engine unavailable", exc_info=True)
            failure = EngineFailed(f"{type(exc).__name__}: {exc}")
        while (job := self._jobs.get()) is not None:
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            if failure is not None or self._engine is None:
                future.set_exception(failure or EngineFailed("no engine"))
                continue
            try:
                future.set_result(fn(self._engine))
            except Exception as exc:
                future.set_exception(exc)
