"""The dashboard's charts in as many columns as fit (issue 13): side by side at 200 % text
they scrolled sideways and a chart's labels shrank to "…"; now a card that does not fit
beside the others goes below, tall enough to read, and nothing scrolls sideways."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from csdesk.ui.panels.dashboard_grid import CHART_LINES, ChartGrid


def _grid(qtbot: QtBot, width: int, hidden: int | None = None) -> tuple[ChartGrid, list[QWidget]]:
    area = QScrollArea()
    qtbot.addWidget(area)
    cards = [QWidget() for _ in range(4)]
    for card in cards:
        card.setMinimumWidth(300)
    if hidden is not None:
        cards[hidden].hide()
    grid = ChartGrid(cards, area)
    area.resize(width, 600)
    area.show()
    qtbot.waitExposed(area)
    return grid, cards


def test_wide_side_by_side_narrow_one_below_the_other(qtbot: QtBot) -> None:
    grid, cards = _grid(qtbot, 3000, hidden=3)  # an agent's dashboard: three cards
    qtbot.waitUntil(lambda: grid.columns == 3)
    qtbot.waitUntil(lambda: len({c.y() for c in cards[:3]}) == 1)  # one row
    assert all(c.minimumHeight() == 0 for c in cards)
    grid.area.resize(700, 600)
    qtbot.waitUntil(lambda: grid.columns == 2)
    qtbot.waitUntil(lambda: cards[2].y() > cards[0].y())  # the third went below
    assert cards[0].minimumHeight() == CHART_LINES * grid.fontMetrics().height()
    grid.area.resize(400, 600)
    qtbot.waitUntil(lambda: grid.columns == 1)
    qtbot.waitUntil(lambda: cards[2].y() > cards[1].y() > cards[0].y())
    assert all(c.x() + c.width() <= grid.area.viewport().width() for c in cards[:3])
    assert not grid.area.horizontalScrollBar().isVisible() or grid.area.widget().width() <= (
        grid.area.viewport().width()
    )


def test_a_card_shown_later_takes_its_place(qtbot: QtBot) -> None:
    grid, cards = _grid(qtbot, 3000, hidden=3)
    qtbot.waitUntil(lambda: grid.columns == 3)
    cards[3].show()  # a supervisor's "Time in status"
    qtbot.waitUntil(lambda: grid.columns == 4)
    assert grid.grid.indexOf(cards[3]) >= 0
    qtbot.waitUntil(lambda: cards[3].x() > cards[2].x())
