"""Measures how long the GUI thread stays busy: a timer that should fire every few
milliseconds records the longest gap between its ticks (a frozen window is a long gap)."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer


class StallMeter(QObject):
    def __init__(self, interval_ms: int = 5) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self.interval_ms = interval_ms
        self.ticks = 0
        self.longest_ms = 0.0
        self._last = 0.0

    def start(self) -> None:
        self.ticks, self.longest_ms = 0, 0.0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest_ms = max(self.longest_ms, (now - self._last) * 1000)
        self._last = now
        self.ticks += 1
