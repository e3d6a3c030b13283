"""A window's first size, no larger than its screen.

The KPI dashboard asked for 1400×900, the training review 1300×800 and the quality review
760 px of height: on a 1366×768 laptop each ran off the screen (the dashboard's right edge and
the review's Save button out of reach). Windows now ask for their comfortable size and get at
most the screen's free area, less room for a title bar.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

__all__ = ["resize_within_screen"]

#: A window manager's title bar (and frame) take about this much of the screen's height.
TITLE_BAR: Final = 40


def resize_within_screen(window: QWidget, width: int, height: int) -> None:
    """``window.resize(width, height)``, shrunk to fit the free area of its screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        room = screen.availableGeometry()
        width = min(width, room.width())
        height = min(height, room.height() - TITLE_BAR)
    window.resize(max(width, 1), max(height, 1))
