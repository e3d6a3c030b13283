"""Values the speech service reports, and a plain-callable listener registry.

The service is Qt-free, so it reports through ordinary callables; ``ui/bridge.py`` turns them into
Qt signals. Listeners run on the service's worker thread and must not touch widgets directly.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

__all__ = [
    "Finished",
    "Listeners",
    "SpeechFailure",
    "SpeechState",
    "SpeechStatus",
    "Utterance",
]

_log = logging.getLogger(__name__)
_ids = itertools.count(1)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Utterance:
    text: str
    priority: bool = False
    id: int = field(default_factory=lambda: next(_ids))
    #: The language the text is in (a customer's message), when known.
    language: str | None = None
    #: The voice chosen for ``language`` (``speech.voices.voice_for``); None: the agent's voice.
    voice_id: str | None = None
    #: ``language`` was given but no installed voice speaks it: read with the agent's voice.
    voice_missing: bool = False


@dataclass(frozen=True, slots=True)
class Finished:
    utterance: Utterance
    completed: bool
    """False when interrupted, paused or dropped before the end."""


@dataclass(frozen=True, slots=True)
class SpeechFailure:
    message: str
    utterance: Utterance | None = None


class SpeechState(StrEnum):
    STARTING = "starting"
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class SpeechStatus:
    state: SpeechState
    reason: str = ""
    """Human-readable and translated; empty when available."""

    @property
    def available(self) -> bool:
        return self.state is SpeechState.AVAILABLE


class Listeners(Generic[T]):
    """Callables notified of one kind of event; a failing listener never stops the others."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[T], None]] = []

    def connect(self, callback: Callable[[T], None]) -> Callable[[], None]:
        """Register ``callback``; returns a function that unregisters it."""
        with self._lock:
            self._callbacks.append(callback)

        def disconnect() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return disconnect

    def emit(self, value: T) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(value)
            except Exception:
                _log.exception("speech %s listener %r failed", self._name, callback)
