"""The dashboard's charts (QtCharts), each in a card with a table alternative and a summary.

QtCharts ships with PySide6 (not with PySide6-Essentials) and draws offscreen, so the charts
are tested like every other widget. Each chart draws one series, in theme colours, with every
point or bar labelled by its value and a marker shape or outlined bar: nothing is told by
colour alone. The chart view takes focus and carries the summary sentence as its accessible
description; the card's button swaps it for the same numbers as a table.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from PySide6.QtCharts import (
    QAbstractAxis,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk.i18n import _
from csdesk.theme.tokens import Theme
from csdesk.ui.a11y import name
from csdesk.ui.panels.dashboard_tables import TableData, WordTableView
from csdesk.ui.plain_text import PlainLabel

Values = Sequence[float | None]
#: Longest name under a bar (the table and the summary carry the whole name).
MAX_LABEL = 40


def _style_axis(axis: QAbstractAxis, theme: Theme) -> None:
    axis.setLabelsColor(QColor(theme.text))
    axis.setTitleBrush(QBrush(QColor(theme.text_muted)))
    axis.setGridLineColor(QColor(theme.border))
    axis.setLinePenColor(QColor(theme.control_border))
    # Qt Charts measures the label room before the chart has its size and then cuts the
    # bucket names of a horizontal bar chart to "…" even where the card has room for them.
    axis.setTruncateLabels(False)


def _chart(theme: Theme) -> QChart:
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setBackgroundBrush(QBrush(QColor(theme.surface)))
    chart.setBackgroundRoundness(0)
    chart.setTitleBrush(QBrush(QColor(theme.text)))
    chart.legend().setVisible(False)  # one series each: the card's title names it
    chart.setMargins(QMargins(4, 4, 4, 4))
    return chart


def _value_axis(values: Values, unit: str, theme: Theme, ceiling: float | None) -> QValueAxis:
    known = [v for v in values if v is not None]
    high = max([*known, 0.0])
    low = min([*known, 0.0])
    axis = QValueAxis()
    if ceiling is not None:  # a percentage: ticks 0 to 100, and room for a label at 100
        axis.setRange(min(low, 0.0), ceiling * 1.12)
        axis.setTickType(QValueAxis.TickType.TicksDynamic)
        axis.setTickAnchor(0.0)
        axis.setTickInterval(ceiling / 5)
    else:
        axis.setRange(low * 1.15, high * 1.15 if high > 0 else 1.0)  # room for the labels
        axis.applyNiceNumbers()  # ticks at 0, 20, 40 … rather than 0, 18, 35 …
    axis.setLabelFormat("%g")
    axis.setTitleText(unit)
    _style_axis(axis, theme)
    return axis


def axis_labels(labels: Sequence[str]) -> list[str]:
    """Names as a chart axis takes them: QtCharts draws axis labels as HTML, so a name is
    escaped (an agent called ``<h1>Boss</h1>`` is shown as typed), and made unique (a
    category axis merges equal names, which would put two agents' bars on one line)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        text = " ".join(label.split())[:MAX_LABEL] or "—"
        seen[text] = seen.get(text, 0) + 1
        if seen[text] > 1:
            text = f"{text} ({seen[text]})"
        out.append(html.escape(text, quote=False))
    return out


def _category_axis(categories: Sequence[str], theme: Theme) -> QBarCategoryAxis:
    axis = QBarCategoryAxis()
    axis.append(axis_labels(categories))
    _style_axis(axis, theme)
    return axis


#: Up to this many days every point carries its value; beyond, the table and summary do.
LABELLED_DAYS = 14
#: At most this many day names under a line chart (every n-th day beyond) until the chart
#: knows its width (:meth:`DayAxis.fit`).
DAY_TICKS = 8
#: Room either side of a day name, in pixels.
DAY_GAP = 14


class DayAxis(QCategoryAxis):
    """The days under a line chart, named on their points: every day while the names fit
    the chart's width, else every n-th (QtCharts cuts a name that has no room to "30 …")."""

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__()
        self.names = list(names)
        self.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        self.setRange(-0.5, max(len(self.names) - 0.5, 0.5))
        self.step = 0
        self._label(max(1, -(-len(self.names) // DAY_TICKS)))

    def fit(self, width: float) -> None:
        """Name every n-th day so that each name has room in ``width`` pixels of plot."""
        if not self.names or width <= 0:
            return
        metrics = QFontMetrics(self.labelsFont())
        widest = max(metrics.horizontalAdvance(html.unescape(n)) for n in self.names)
        per_day = width / len(self.names)
        self._label(max(1, math.ceil((widest + DAY_GAP) / per_day)))

    def _label(self, step: int) -> None:
        if step == self.step:
            return
        self.step = step
        for label in self.categoriesLabels():
            self.remove(label)
        for i in range(0, len(self.names), step):
            self.append(self.names[i], i)


def line_chart(
    theme: Theme,
    categories: Sequence[str],
    values: Values,
    unit: str,
    label: str,
    *,
    ceiling: float | None = None,
) -> QChart:
    """A line over the days with a circle on each day that has a figure (a day without one
    has no point, so a gap is never drawn as a zero), labelled with its value."""
    chart = _chart(theme)
    line, dots = QLineSeries(), QScatterSeries()
    line.setName(label)
    dots.setName(label)
    line.setPen(QPen(QColor(theme.accent), 3))
    dots.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeCircle)
    dots.setMarkerSize(10 if len(values) <= LABELLED_DAYS else 7)
    dots.setColor(QColor(theme.accent))
    dots.setBorderColor(QColor(theme.text))
    dots.setPointLabelsVisible(len(values) <= LABELLED_DAYS)
    dots.setPointLabelsColor(QColor(theme.text))
    dots.setPointLabelsFormat("@yPoint")
    dots.setPointLabelsClipping(False)
    for i, value in enumerate(values):
        if value is not None:
            line.append(i, round(value, 1))
            dots.append(i, round(value, 1))
    chart.addSeries(line)
    chart.addSeries(dots)
    days = DayAxis(axis_labels(categories))
    _style_axis(days, theme)
    y = _value_axis(values, unit, theme, ceiling)
    chart.addAxis(days, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    for series in (line, dots):
        series.attachAxis(days)
        series.attachAxis(y)
    return chart


def bar_chart(
    theme: Theme,
    categories: Sequence[str],
    values: Values,
    unit: str,
    label: str,
    *,
    horizontal: bool = False,
    ceiling: float | None = None,
) -> QChart:
    """Outlined bars, each labelled with its value (a group without one shows no bar)."""
    chart = _chart(theme)
    bars = QBarSet(label)
    bars.setBrush(QBrush(QColor(theme.accent), Qt.BrushStyle.SolidPattern))
    bars.setPen(QPen(QColor(theme.text), 1))
    bars.setLabelColor(QColor(theme.text))
    for value in values:
        bars.append(round(value, 1) if value is not None else 0.0)
    series = QHorizontalBarSeries() if horizontal else QBarSeries()
    series.append(bars)
    series.setLabelsVisible(True)
    series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
    series.setLabelsPrecision(4)
    chart.addSeries(series)
    names = _category_axis(categories, theme)
    numbers = _value_axis(values, unit, theme, ceiling)
    if horizontal:
        chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(numbers, Qt.AlignmentFlag.AlignBottom)
    else:
        chart.addAxis(names, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(numbers, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(names)
    series.attachAxis(numbers)
    return chart


def stacked_bar_chart(
    theme: Theme,
    categories: Sequence[str],
    parts: Sequence[tuple[str, str, Qt.BrushStyle, Values]],
    unit: str,
) -> QChart:
    """Lying bars, one per category (the first on top), each split into ``parts``
    (label, colour, fill pattern, values): the legend names each part, and the patterns tell
    them apart without colour."""
    chart = _chart(theme)
    series = QHorizontalStackedBarSeries()
    for label, colour, pattern, values in parts:
        bars = QBarSet(label)
        bars.setBrush(QBrush(QColor(colour), pattern))
        bars.setPen(QPen(QColor(theme.text), 1))
        bars.setLabelColor(QColor(theme.text))
        for value in reversed(values):  # drawn from the bottom up
            bars.append(round(value, 1) if value is not None else 0.0)
        series.append(bars)
    chart.addSeries(series)
    legend = chart.legend()
    legend.setVisible(True)
    legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
    legend.setLabelColor(QColor(theme.text))
    names = _category_axis(list(reversed(categories)), theme)
    totals = [sum(v or 0.0 for v in col) for col in zip(*(p[3] for p in parts), strict=True)]
    numbers = _value_axis(totals, unit, theme, None)
    chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(numbers, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(names)
    series.attachAxis(numbers)
    return chart


class ChartCard(QFrame):
    """A chart with its title, an optional figure chooser, a button that shows the same
    numbers as a table, and a summary sentence under it.

    Signals: ``figure_chosen(str)`` (the chooser picked a figure), ``table_toggled(bool)``.
    """

    figure_chosen = Signal(str)
    table_toggled = Signal(bool)

    def __init__(
        self,
        key: str,
        title: str,
        theme: Theme,
        choices: Sequence[tuple[str, str]] = (),
        chooser_text: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{key}_card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.key, self.title_text, self.theme = key, title, theme
        self.title = PlainLabel(title, self)
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.chooser: QComboBox | None = None
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        if choices:
            self.chooser = QComboBox(self)
            self.chooser.setObjectName(f"{key}_figure")
            for value, text in choices:
                self.chooser.addItem(text, value)
            chooser_label = PlainLabel(chooser_text, self)
            chooser_label.setBuddy(self.chooser)
            name(self.chooser, _("{chart}: figure shown").format(chart=title))
            self.chooser.currentIndexChanged.connect(
                lambda _i: self.figure_chosen.emit(self.figure())
            )
            top.addWidget(chooser_label)
            top.addWidget(self.chooser)
        self.toggle = QPushButton(_("Show as table"), self)
        self.toggle.setObjectName(f"{key}_as_table")
        self.toggle.setCheckable(True)
        name(
            self.toggle,
            _("{chart}: show as table").format(chart=title),
            _("Switch between the chart and a table of the same numbers"),
        )
        self.toggle.toggled.connect(self._toggled)
        top.addWidget(self.toggle)
        self.view = QChartView(self)
        self.view.setObjectName(f"{key}_chart")
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view.setMinimumHeight(220)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        name(self.view, _("{chart} chart").format(chart=title))
        self.view.installEventFilter(self)  # Enter on the chart: its table, to drill from
        viewport = self.view.viewport()
        if viewport is not None:  # its focus proxy is the view: the same name, for checkers
            viewport.setAccessibleName(self.view.accessibleName())
        self.table = WordTableView(
            f"{key}_table",
            _("{chart} as a table").format(chart=title),
            _("The chart's numbers; Enter lists the conversations behind a figure"),
            self,
        )
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.table)
        self.summary = PlainLabel("", self)
        self.summary.setObjectName(f"{key}_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.summary)
        self.set_theme(theme)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            obj is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.toggle.setChecked(True)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return super().eventFilter(obj, event)

    def figure(self) -> str:
        return str(self.chooser.currentData()) if self.chooser is not None else ""

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.view.setStyleSheet(
            f"QChartView {{ border: 2px solid transparent; }}"
            f"QChartView:focus {{ border: 2px solid {theme.focus_ring}; }}"
        )

    def show_chart(self, chart: QChart, table: TableData, summary: str) -> None:
        old = self.view.chart()
        self.view.setChart(chart)
        days = [a for a in chart.axes() if isinstance(a, DayAxis)]
        if days:  # the day names follow the plot's width (a resize, a wider window)

            def fit(area: QRectF) -> None:
                for axis in days:
                    axis.fit(area.width())

            chart.plotAreaChanged.connect(fit)
        if old is not None:
            old.deleteLater()
        self.table.show_data(table)
        self.summary.setText(summary)
        self.view.setAccessibleDescription(summary)
        viewport = self.view.viewport()
        if viewport is not None:
            viewport.setAccessibleDescription(summary)
        self.table.setAccessibleDescription(summary)

    def _toggled(self, as_table: bool) -> None:
        self.stack.setCurrentWidget(self.table if as_table else self.view)
        self.toggle.setText(_("Show as chart") if as_table else _("Show as table"))
        self.toggle.setAccessibleName(
            (_("{chart}: show as chart") if as_table else _("{chart}: show as table")).format(
                chart=self.title_text
            )
        )
        self.table_toggled.emit(as_table)

    def shown(self) -> QWidget:
        """What the card shows now (the chart or its table), for focus."""
        shown = self.stack.currentWidget()
        assert shown is not None
        return shown
