"""The dashboard's chart cards in as many columns as fit at a readable width.

Side by side, three charts at 200 % text needed more than a 1600 px window: they scrolled
sideways and the first-response chart's labels shrank to "…". Here a card gets at least
``CHART_CHARS`` average characters of width; cards that do not fit beside each other go on
the next row, each at least ``CHART_LINES`` lines tall, and the area scrolls down (Tab into a
card brings it into view) — never sideways.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QGridLayout, QScrollArea, QWidget

__all__ = ["ChartGrid"]

CHART_CHARS = 46
CHART_LINES = 18


class ChartGrid(QWidget):
    """``cards`` in reading order, placed in the scroll area ``area`` (set as its widget)."""

    def __init__(self, cards: Sequence[QWidget], area: QScrollArea) -> None:
        super().__init__(area)
        self.cards = list(cards)
        self.area = area
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.columns = 0
        self._placed: list[QWidget] = []
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self.fit)
        for card in self.cards:
            card.setParent(self)
            card.installEventFilter(self)
        area.setWidget(self)
        area.setWidgetResizable(True)
        area.viewport().installEventFilter(self)
        self.fit()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.FontChange) or (
            obj is self.area.viewport() and kind == QEvent.Type.Resize
        ):
            self._pending.start()
        return False

    def fit(self) -> None:
        shown = [card for card in self.cards if not card.isHidden()]
        char = max(1, self.fontMetrics().averageCharWidth())
        room = max(1, self.area.viewport().width())
        # A column as wide as the widest card needs (its chooser and buttons) and readable.
        need = max([CHART_CHARS * char, *(c.minimumSizeHint().width() for c in shown)])
        gap = max(0, self.grid.horizontalSpacing())
        columns = max(1, min(len(shown) or 1, (room + gap) // (need + gap)))
        stacked = len(shown) > columns
        tall = CHART_LINES * self.fontMetrics().height() if stacked else 0
        for card in self.cards:
            card.setMinimumHeight(tall)
        if (columns, shown) == (self.columns, self._placed):
            return
        self.columns, self._placed = columns, shown
        for card in self.cards:
            self.grid.removeWidget(card)
        for at, card in enumerate(shown):
            self.grid.addWidget(card, at // columns, at % columns)
        for column in range(self.grid.columnCount()):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
