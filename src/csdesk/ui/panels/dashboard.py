"""The KPI dashboard: a period and a grouping, the figures table, and three charts.

A ``DashboardPanel`` is a plain QWidget: the desk opens it in its own window
(``dashboard_window.py``) and a supervisor's floor window can embed it as a tab. The server
decides whose numbers it shows (an agent their own, a supervisor their team's); every fetch
and every file runs on ``Tasks``, and an answer to an older question is dropped.

Keyboard: Tab walks the controls, the figures table, then each chart card (figure chooser,
"Show as table", the chart itself, whose accessible description is its summary). Enter or
double-click on a figure lists the conversations behind it; Enter on one opens it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QDate, QModelIndex, QSignalBlocker, Qt, QTimeZone, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from csdesk.app import kpi_words as words
from csdesk.app.kpis import GROUPS, PERIODS, KpiDesk, KpiQuery, Report, StatusTime, Target
from csdesk.i18n import N_, _
from csdesk.sync.api import SyncError
from csdesk.theme.tokens import Theme
from csdesk.ui.a11y import announce, name
from csdesk.ui.flow_layout import FlowLayout
from csdesk.ui.panels import dashboard_views as views
from csdesk.ui.panels.dashboard_charts import ChartCard
from csdesk.ui.panels.dashboard_drill import DrillDialog
from csdesk.ui.panels.dashboard_export import save_dialog
from csdesk.ui.panels.dashboard_grid import ChartGrid
from csdesk.ui.panels.dashboard_tables import WordTableView
from csdesk.ui.plain_text import PlainLabel
from csdesk.ui.tasks import Tasks

#: Export menu entries: (kind, label, N_-marked); "server_*" are the server's own CSV of its rows.
EXPORTS: tuple[tuple[str, str], ...] = (
    ("figures", N_("Figures table as shown…")),
    ("daily", N_("Daily table as shown…")),
    ("distribution", N_("First-response table as shown…")),
    ("comparison", N_("Comparison table as shown…")),
    ("server_rows", N_("Server data: figures by group…")),
    ("server_series", N_("Server data: daily series…")),
    ("server_histogram", N_("Server data: first-response distribution…")),
)


def local_zone() -> str:
    """The desk's IANA time zone ("Europe/Paris"): the server takes days in it."""
    zone = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    return zone or "UTC"


def _today(tz: str) -> date:
    """Today in the zone the figures' days are taken in (the custom dates' default and
    limit), by the desk's clock rather than Qt's, so the two never disagree."""
    try:
        return datetime.now(ZoneInfo(tz)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now().date()


class DashboardPanel(QWidget):
    """Signals: ``open_conversation(str)`` (Enter on a conversation behind a figure),
    ``loaded()`` (a report is shown, or its failure), ``exported(str)`` (a CSV file was
    written: its path), ``announced(str)`` (every announcement, for tests)."""

    open_conversation = Signal(str)
    loaded = Signal()
    exported = Signal(str)
    announced = Signal(str)

    def __init__(
        self,
        kpis: KpiDesk,
        tasks: Tasks,
        theme: Theme,
        *,
        tz: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard_panel")
        self.setAccessibleName(_("KPI dashboard"))
        self.kpis, self.tasks, self.theme = kpis, tasks, theme
        self.tz = tz or local_zone()
        self.report: Report | None = None
        self.status_times: tuple[StatusTime, ...] | Exception | None = None
        self.definitions: dict[str, str] = {}
        self.drill: DrillDialog | None = None
        self.save_dialog: QFileDialog | None = None
        self._asked = 0
        self._build()
        self._wire()
        self.refresh()

    # --- building ------------------------------------------------------------------------

    def _labelled(self, text: str, widget: QWidget, row: FlowLayout) -> None:
        # A label and its field wrap together (the row wraps at large text sizes).
        pair = QWidget(self)
        box = QHBoxLayout(pair)
        box.setContentsMargins(0, 0, 0, 0)
        label = PlainLabel(text, pair)
        label.setBuddy(widget)
        box.addWidget(label)
        box.addWidget(widget)
        row.addWidget(pair)

    def _build(self) -> None:
        self.period = QComboBox(self)
        self.period.setObjectName("kpi_period")
        for value in PERIODS:
            self.period.addItem(words.period_label(value), value)
        self.period.setCurrentIndex(PERIODS.index("7d"))
        name(self.period, _("Period"), _("Today, the last 7 or 30 days, or custom dates"))
        day = _today(self.tz)
        today = QDate(day.year, day.month, day.day)
        self.start = QDateEdit(today.addDays(-6), self)
        self.end = QDateEdit(today, self)
        for edit, key, label in (
            (self.start, "kpi_from", _("First day")),
            (self.end, "kpi_to", _("Last day")),
        ):
            edit.setObjectName(key)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMaximumDate(today)
            for target in (edit, edit.lineEdit()):  # the date box and its own text field
                name(target, label, _("Used with custom dates; both days are included"))
        self.group = QComboBox(self)
        self.group.setObjectName("kpi_group")
        for value in GROUPS:
            self.group.addItem(words.group_label(value), value)
        name(self.group, _("Group by"), _("One row per agent, team, channel or queue"))
        self.refresh_button = QPushButton(_("&Refresh"), self)
        self.refresh_button.setObjectName("kpi_refresh")
        name(self.refresh_button, _("Refresh the figures"))
        self.export_button = QPushButton(_("&Export CSV"), self)
        self.export_button.setObjectName("kpi_export")
        name(self.export_button, _("Export CSV"), _("Save a table or the server's data as CSV"))
        menu = QMenu(self.export_button)
        menu.setObjectName("kpi_export_menu")
        for kind, text in EXPORTS:
            action = menu.addAction(_(text))
            action.setObjectName(f"export_{kind}")
            action.triggered.connect(lambda _c=False, k=kind: self.export(k))
        self.export_button.setMenu(menu)
        self.scope = PlainLabel("", self)
        self.scope.setObjectName("kpi_scope")
        # Wraps instead of widening the window (at 200 % text one row was 1,560 px).
        controls = FlowLayout()
        self._labelled(_("&Period:"), self.period, controls)
        self._labelled(_("&From:"), self.start, controls)
        self._labelled(_("&To:"), self.end, controls)
        self._labelled(_("&Group by:"), self.group, controls)
        controls.addWidget(self.refresh_button)
        controls.addWidget(self.export_button)
        controls.addWidget(self.scope)
        self.status = PlainLabel("", self)
        self.status.setObjectName("kpi_status")
        self.status.setWordWrap(True)
        self.figures = WordTableView(
            "figures_table",
            _("Figures"),
            _("Every figure per row; Enter lists the conversations behind a figure"),
            self,
        )
        self.trend = ChartCard(
            "trend",
            _("Per day"),
            self.theme,
            [(c.name, words.column_label(c)) for c in words.DAILY_COLUMNS],
            _("Tre&nd of:"),
            self,
        )
        self.distribution = ChartCard(
            "distribution", _("First-response times"), self.theme, parent=self
        )
        self.comparison = ChartCard(
            "comparison",
            _("Comparison"),
            self.theme,
            [(c.name, words.column_label(c)) for c in words.COLUMNS],
            _("Co&mpare:"),
            self,
        )
        # The floor's time in each status: supervisors' (an agent's dashboard has no card).
        self.status_time = ChartCard("status_time", _("Time in status"), self.theme, parent=self)
        self.status_time.hide()
        # The charts in as many columns as fit at a readable width; the rest below, scrolled
        # down (dashboard_grid), never sideways.
        charts_area = QScrollArea(self)
        charts_area.setObjectName("kpi_charts_area")
        charts_area.setFrameShape(QFrame.Shape.NoFrame)
        self.chart_grid = ChartGrid(self._cards(), charts_area)
        charts_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.figures)
        split.addWidget(charts_area)
        split.setChildrenCollapsible(False)
        split.setSizes([320, 520])
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self._custom_dates_enabled()
        self._tab_order()

    def _cards(self) -> tuple[ChartCard, ...]:
        return (self.trend, self.distribution, self.comparison, self.status_time)

    def _tab_order(self) -> None:
        chain: list[QWidget] = [
            self.period,
            self.start,
            self.end,
            self.group,
            self.refresh_button,
            self.export_button,
            self.figures,
        ]
        for card in self._cards():
            if card.chooser is not None:
                chain.append(card.chooser)
            chain += [card.toggle, card.view, card.table]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _wire(self) -> None:
        self.period.currentIndexChanged.connect(self._period_changed)
        self.group.currentIndexChanged.connect(lambda _i: self.refresh())
        self.start.dateChanged.connect(lambda _d: self._dates_changed())
        self.end.dateChanged.connect(lambda _d: self._dates_changed())
        self.refresh_button.clicked.connect(self.refresh)
        self.figures.activated.connect(self._figure_activated)
        self.trend.table.activated.connect(self._day_activated)
        self.comparison.table.activated.connect(self._comparison_activated)
        self.trend.figure_chosen.connect(lambda _f: self._show_trend())
        self.comparison.figure_chosen.connect(lambda _f: self._show_comparison())

    # --- asking ----------------------------------------------------------------------------

    def query(self) -> KpiQuery:
        period = str(self.period.currentData())
        group = str(self.group.currentData())
        if period != "custom":
            return KpiQuery(period, tz=self.tz, group=group)
        first, last = self.start.date().toPython(), self.end.date().toPython()
        assert isinstance(first, date) and isinstance(last, date)
        return KpiQuery(period, min(first, last), max(first, last), self.tz, group)

    def set_custom(self, first: date, last: date) -> None:
        """Show ``first`` to ``last`` (for the floor window and tests); one refresh."""
        with QSignalBlocker(self.start), QSignalBlocker(self.end), QSignalBlocker(self.period):
            self.start.setDate(QDate(first.year, first.month, first.day))
            self.end.setDate(QDate(last.year, last.month, last.day))
            self.period.setCurrentIndex(PERIODS.index("custom"))
        self._custom_dates_enabled()
        self.refresh()

    def _period_changed(self) -> None:
        self._custom_dates_enabled()
        self.refresh()

    def _custom_dates_enabled(self) -> None:
        custom = self.period.currentData() == "custom"
        self.start.setEnabled(custom)
        self.end.setEnabled(custom)

    def _dates_changed(self) -> None:
        if self.period.currentData() == "custom":
            self.refresh()

    def refresh(self) -> None:
        """Ask the server again; an answer to an earlier question is dropped."""
        self._asked += 1
        asked, query, kpis = self._asked, self.query(), self.kpis
        need_definitions = not self.definitions
        self.status.setText(_("Loading the figures…"))

        def work() -> tuple[Report, dict[str, str], tuple[StatusTime, ...] | Exception | None]:
            definitions = kpis.definitions() if need_definitions else {}
            report = kpis.report(query)
            times: tuple[StatusTime, ...] | Exception | None
            try:
                times = kpis.status_time(report)
            except SyncError as exc:  # the KPIs stand on their own: said on the card
                times = exc
            return report, definitions, times

        def done(
            result: tuple[Report, dict[str, str], tuple[StatusTime, ...] | Exception | None],
        ) -> None:
            if asked == self._asked:
                self._show(result[0], result[1])
                self._show_status_time(result[2])

        def failed(exc: Exception) -> None:
            if asked == self._asked:
                self._failed(exc)

        self.tasks.run(work, done, failed)

    # --- showing ---------------------------------------------------------------------------

    def say(self, text: str, *, assertive: bool = False) -> None:
        announce(self, text, assertive=assertive)
        self.announced.emit(text)

    def _show(self, report: Report, definitions: dict[str, str]) -> None:
        if definitions:
            self.definitions = definitions
        self.report = report
        self.scope.setText(views.scope_text(report.scope))
        self.figures.show_data(views.figures_table(report, self.definitions))
        self._show_trend()
        self._show_distribution()
        self._show_comparison()
        text = views.status_text(report)
        self.status.setText(text)
        self.say(text)
        self.loaded.emit()

    def _show_status_time(self, times: tuple[StatusTime, ...] | Exception | None) -> None:
        card = self.status_time
        card.setVisible(times is not None)
        if isinstance(times, Exception):
            text = _("Time in status could not be loaded: {error}").format(error=times)
            card.summary.setText(text)
            card.view.setAccessibleDescription(text)
        elif times is not None:
            card.show_chart(*views.status_time(self.theme, times))
        self.status_times = times

    def _failed(self, exc: Exception) -> None:
        text = _("The figures could not be loaded: {error}").format(error=exc)
        self.status.setText(text)
        self.say(text, assertive=True)
        self.loaded.emit()

    def _show_trend(self) -> None:
        if self.report is not None:
            column = words.BY_NAME[self.trend.figure()]
            self.trend.show_chart(*views.trend(self.theme, self.report, column, self.definitions))

    def _show_distribution(self) -> None:
        if self.report is not None:
            self.distribution.show_chart(*views.distribution(self.theme, self.report))

    def _show_comparison(self) -> None:
        if self.report is not None:
            column = words.BY_NAME[self.comparison.figure()]
            self.comparison.show_chart(
                *views.comparison(self.theme, self.report, column, self.definitions)
            )

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for card in self._cards():
            card.set_theme(theme)
        self._show_trend()
        self._show_distribution()
        self._show_comparison()
        if isinstance(self.status_times, tuple):
            self.status_time.show_chart(*views.status_time(theme, self.status_times))

    # --- the conversations behind a figure -------------------------------------------------

    def _figure_activated(self, index: QModelIndex) -> None:
        self._drill(self.figures, index, None)

    def _day_activated(self, index: QModelIndex) -> None:
        self._drill(self.trend.table, index, None)

    def _comparison_activated(self, index: QModelIndex) -> None:
        self._drill(self.comparison.table, index, self.comparison.figure())

    def _drill(self, view: WordTableView, index: QModelIndex, figure: str | None) -> None:
        data = view.data_()
        if self.report is None or not index.isValid() or index.row() >= len(data.targets):
            return
        target = data.targets[index.row()]
        column = view.words.column_of(index)
        name_ = figure or (data.columns[column] if column < len(data.columns) else None)
        if target is None:
            return
        metrics = words.BY_NAME[name_].metrics if name_ in words.BY_NAME else ("contacts",)
        who = data.rows[index.row()][0].text
        self.open_drill(self.report.query, metrics, target, who)

    def open_drill(
        self, query: KpiQuery, metrics: tuple[str, ...], target: Target, who: str
    ) -> DrillDialog:
        if self.drill is not None:
            self.drill.close()
            self.drill.deleteLater()
        dialog = DrillDialog(self.kpis, self.tasks, query, metrics, target, who, self)
        dialog.open_conversation.connect(self.open_conversation)
        dialog.export_requested.connect(self._export_drill)
        focus = self.focusWidget()

        def closed(_result: int) -> None:
            if focus is not None:
                focus.setFocus(Qt.FocusReason.OtherFocusReason)

        dialog.finished.connect(closed)
        self.drill = dialog
        dialog.show()
        return dialog

    # --- CSV -------------------------------------------------------------------------------

    def export(self, kind: str, path: Path | None = None) -> None:
        """Save ``kind`` (see ``EXPORTS``) as CSV: into ``path``, or where a save dialog says."""
        if self.report is None:
            self.say(_("There are no figures to export yet."))
            return
        if path is not None:
            self._write(kind, path)
            return
        suggested = f"kpis-{kind.removeprefix('server_')}-{self.report.query.period}.csv"
        self.save_dialog = save_dialog(self, suggested, lambda p: self._write(kind, p))

    def _write(self, kind: str, path: Path) -> None:
        report, kpis = self.report, self.kpis
        assert report is not None
        save: Callable[[], Path]
        if kind.startswith("server_"):
            table = kind.removeprefix("server_")
            query = report.query

            def save() -> Path:
                return kpis.save_server_csv(query, table, path)

        else:
            data = {
                "figures": self.figures.data_(),
                "daily": views.daily_table(report, self.definitions),
                "distribution": self.distribution.table.data_(),
                "comparison": self.comparison.table.data_(),
            }[kind]
            header, rows = list(data.header), data.csv_rows()

            def save() -> Path:
                return KpiDesk.save_table(path, header, rows)

        self.tasks.run(save, self._saved, self._not_saved)

    def _export_drill(self, table: tuple[list[str], list[list[str]]]) -> None:
        header, rows = table

        def write(path: Path) -> None:
            self.tasks.run(
                lambda: KpiDesk.save_table(path, header, rows), self._saved, self._not_saved
            )

        parent = self.drill if self.drill is not None else self
        self.save_dialog = save_dialog(parent, "kpis-conversations.csv", write)

    def _saved(self, path: Path) -> None:
        text = _("Saved {file}.").format(file=path.name)
        self.status.setText(text)
        self.say(text)
        self.exported.emit(str(path))

    def _not_saved(self, exc: Exception) -> None:
        text = _("The CSV file could not be saved: {error}").format(error=exc)
        self.status.setText(text)
        self.say(text, assertive=True)
