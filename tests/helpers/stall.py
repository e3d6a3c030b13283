"""Measures how long the GUI thread stays busy: a timer that should fire every few
milliseconds records the longest gap between its ticks (a frozen window is a long gap).

``longest_cpu_ms`` is the most CPU time the GUI thread itself spent within one gap: on a
shared, overloaded machine a wall-clock gap also counts the time the thread was not
scheduled at all, which no code of the window can shorten."""

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
        self.longest_cpu_ms = 0.0
        self._last = 0.0
        self._last_cpu = 0.0

    def start(self) -> None:
        self.ticks, self.longest_ms, self.longest_cpu_ms = 0, 0.0, 0.0
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.longest_ms = max(self.longest_ms, (now - self._last) * 1000)
        self.longest_cpu_ms = max(self.longest_cpu_ms, (cpu - self._last_cpu) * 1000)
        self._last, self._last_cpu = now, cpu
        self.ticks += 1
