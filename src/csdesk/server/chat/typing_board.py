"""Visitors' typing notices, kept in memory: they last seconds and are worth no disk write.

Per process, like the rate limiter: behind several server processes an agent may ask a
process the visitor's notice did not reach, and simply sees it a heartbeat later or not at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: A notice without a refresh expires after this (the widget refreshes every few seconds).
TYPING_TTL = 6.0


class TypingBoard:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def set(self, conversation_id: str, typing: bool) -> None:
        now = self._clock()
        with self._lock:
            if typing:
                self._until[conversation_id] = now + TYPING_TTL
            else:
                self._until.pop(conversation_id, None)
            if len(self._until) > 10_000:  # drop expired notices now and then
                self._until = {k: v for k, v in self._until.items() if v > now}

    def typing(self, conversation_id: str) -> bool:
        with self._lock:
            until = self._until.get(conversation_id)
        return until is not None and until > self._clock()
