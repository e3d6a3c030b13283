"""Run the Qt event loop until a condition holds, for scripts without pytest-qt's qtbot."""

from __future__ import annotations

import time
from collections.abc import Callable


def pump_until(cond: Callable[[], bool], seconds: float, step: float = 0.002) -> bool:
    """Process events until ``cond()`` is true or ``seconds`` pass; returns whether it held."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert app is not None, "create the QApplication first"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if cond():
            return True
        time.sleep(step)
    return False
