"""Issue 12: the KPI dashboard against a real server holding the hand-computed KPI fixture
(tests/server/kpis/fixture.py), on SQLite and PostgreSQL: the figures shown are the server's,
the drill-down lists the right conversations and opens one in the main window, CSV files are
written, an agent sees only their own row, a supervisor their team's; the keyboard path, the
accessible names and the chart summaries."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from csdesk.app import kpi_words as words
from csdesk.ui.main_window import MainWindow
from csdesk.ui.panels.dashboard import DashboardPanel
from csdesk.ui.panels.dashboard_window import DashboardWindow
from tests.gui.conftest import Desk
from tests.gui.test_shortcut_clashes import clashes
from tests.helpers.a11y_checks import unnamed_focusables
from tests.helpers.server import ServerProcess, TestUser
from tests.server.kpis import fixture as F

FIRST, LAST = date(2026, 11, 2), date(2026, 11, 4)  # F.PERIOD


@pytest.fixture(scope="module")
def fx(live: ServerProcess, shared_users: dict[str, TestUser]) -> F.Fixture:
    return F.build(live.db_url, {n: str(u.id) for n, u in shared_users.items()})


@pytest.fixture
def open_for(
    qtbot: QtBot,
    live: ServerProcess,
    shared_users: dict[str, TestUser],
    fx: F.Fixture,
    desk_factory: Callable[..., Desk],
) -> Iterator[Callable[[str], tuple[MainWindow, DashboardPanel]]]:
    """Sign ``user`` in, open the dashboard with its action, show the fixture's period."""

    def make(user: str) -> tuple[MainWindow, DashboardPanel]:
        u = shared_users[user]
        window = desk_factory(live, u.username, password=u.password).window
        window.actions_["dashboard"].trigger()
        dash = window.findChild(DashboardWindow)
        assert dash is not None and dash.isVisible()
        panel = dash.panel
        qtbot.waitUntil(lambda: panel.report is not None, timeout=20_000)
        panel.tz = "UTC"  # the fixture's days are UTC days
        with qtbot.waitSignal(panel.loaded, timeout=20_000):
            panel.set_custom(FIRST, LAST)
        assert panel.report is not None and panel.report.days == (FIRST, date(2026, 11, 3), LAST)
        return window, panel

    yield make


def cells(panel: DashboardPanel) -> dict[str, dict[str, str]]:
    """The figures table as shown: row label → column header → cell text."""
    data = panel.figures.data_()
    return {
        row[0].text: dict(zip(data.header[1:], (c.text for c in row[1:]), strict=True))
        for row in data.rows
    }


def expected(figures: dict[str, object]) -> dict[str, str]:
    return {words.column_label(c): words.cell_text(c, figures) for c in words.COLUMNS}


def test_figures_shown_are_the_servers(
    open_for: Callable[..., tuple[MainWindow, DashboardPanel]],
) -> None:
    _window, panel = open_for("adm")
    shown = cells(panel)
    assert set(shown) == {"ann", "=bob()", "Unassigned", "Total"}  # names, never raw ids
    assert shown["Total"] == expected(F.TOTAL)
    assert shown["ann"] == expected(F.ANN)
    assert shown["=bob()"] == expected(F.BOB)
    # The same figures worded by hand: the lines above compare with the words module alone.
    assert shown["ann"]["Contacts"] == "4"
    assert shown["ann"]["Resolved of new"] == "75% (3 of 4)"
    assert shown["ann"]["First response"] == "10 min (3)"  # 650 s over 3 first responses
    assert shown["Total"]["First-contact resolution"] == "60% (3 of 5)"
    assert shown["Total"]["NPS"] == "33.3 (3)"
    assert shown["Unassigned"]["Backlog now"] == "1"
    assert panel.scope.text() == "Everyone's numbers"


def test_every_figure_is_explained_by_its_definition(
    open_for: Callable[..., tuple[MainWindow, DashboardPanel]],
) -> None:
    _window, panel = open_for("adm")
    model = panel.figures.model()
    header = {
        model.headerData(i, Qt.Orientation.Horizontal): model.headerData(
            i, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
        )
        for i in range(model.columnCount())
    }
    assert header["First-contact resolution"].startswith("First-contact resolution: share of")
    assert header["Backlog now"] == panel.definitions["backlog"]
    assert all(tip for tip in header.values()), header
    # The group's name is the row header: it stays in view while the figures scroll.
    rows = [model.headerData(r, Qt.Orientation.Vertical) for r in range(model.rowCount())]
    assert rows == ["=bob()", "ann", "Unassigned", "Total"]
    ann = rows.index("ann")
    cell = model.index(ann, [c.name for c in words.COLUMNS].index("contacts"))
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == panel.definitions["contacts"]
    assert cell.data(Qt.ItemDataRole.AccessibleTextRole) == "Contacts for ann: 4"


def test_chart_summaries_say_the_numbers(
    open_for: Callable[..., tuple[MainWindow, DashboardPanel]],
) -> None:
    _window, panel = open_for("adm")
    trend = panel.trend.summary.text()
    assert "3, 3 and 1" in trend and "total 7" in trend, trend
    assert panel.trend.view.accessibleDescription() == trend
    dist = panel.distribution.summary.text()
    assert dist.startswith("5 first responses; under 1 min: 1, 1–5 min: 1, 15–30 min: 1"), dist
    assert "8–24 h: 1; most often under 1 min (1)." in dist, dist
    comp = panel.comparison.summary.text()
    assert comp.startswith("Contacts by agent: =bob() 2, ann 4 and Unassigned 1"), comp
    assert "highest ann (4)" in comp
    # The chart draws what the summary says: three days, three points.
    line = panel.trend.view.chart().series()[0]
    assert [p.y() for p in line.points()] == [3.0, 3.0, 1.0]
    # Another figure for the comparison redraws it and its summary.
    panel.comparison.chooser.setCurrentIndex(
        [c.name for c in words.COLUMNS].index("first_response_avg_seconds")
    )
    assert panel.comparison.summary.text().startswith(
        "First response by agent: =bob() 5 h 10 min, ann 10 min"
    )
    # Each chart has its table: the distribution as rows of counts.
    panel.distribution.toggle.click()
    assert panel.distribution.shown() is panel.distribution.table
    rows = panel.distribution.table.data_().csv_rows()
    assert rows[0] == ["under 1 min", "1", "20%"]


def test_drill_down_opens_the_conversations_behind_a_figure(
    qtbot: QtBot, open_for: Callable[..., tuple[MainWindow, DashboardPanel]], fx: F.Fixture
) -> None:
    window, panel = open_for("adm")
    table = panel.figures
    ann = next(r for r, row in enumerate(table.data_().rows) if row[0].text == "ann")
    col = [c.name for c in words.COLUMNS].index("contacts")
    table.setFocus()
    table.setCurrentIndex(table.model().index(ann, col))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    drill = panel.drill
    assert drill is not None
    qtbot.waitUntil(lambda: drill.page is not None, timeout=20_000)
    assert {i.id for i in drill.items} == {fx.ids[c] for c in ("c1", "c2", "c5", "c10")}
    assert all(i.row is not None for i in drill.items)  # named from the desk's copy
    assert drill.list.item(0).text().startswith("Customer c")
    # The list's other choice for the figure ("all new conversations" is the same here).
    # Enter on a conversation opens it in the main window.
    first = drill.items[0].id
    drill.list.setFocus()
    drill.list.setCurrentRow(0)
    qtbot.keyClick(drill.list, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.open_conv is not None and window.open_conv.id == first, timeout=10_000
    )
    # A rate drills into its part: Bob's reopened resolutions (c6), and the SLA misses.
    bob = next(r for r, row in enumerate(table.data_().rows) if row[0].text == "=bob()")
    table.setCurrentIndex(
        table.model().index(bob, [c.name for c in words.COLUMNS].index("reopen_rate"))
    )
    qtbot.keyClick(table, Qt.Key.Key_Enter)
    drill = panel.drill
    assert drill is not None and drill.chosen_metric() == "reopened"
    qtbot.waitUntil(lambda: drill.page is not None, timeout=20_000)
    assert [i.id for i in drill.items] == [fx.ids["c6"]]
    # A day of the series: the trend's table lists that day's conversations.
    panel.trend.toggle.click()
    day = panel.trend.table
    day.setFocus()
    day.setCurrentIndex(day.model().index(1, 0))  # 3 Nov, contacts: c4 c5 c6
    qtbot.keyClick(day, Qt.Key.Key_Return)
    drill = panel.drill
    assert drill is not None
    qtbot.waitUntil(lambda: drill.page is not None, timeout=20_000)
    assert {i.id for i in drill.items} == {fx.ids[c] for c in ("c4", "c5", "c6")}


def test_csv_files_are_written(
    qtbot: QtBot, open_for: Callable[..., tuple[MainWindow, DashboardPanel]], tmp_path: Path
) -> None:
    _window, panel = open_for("adm")
    shown = tmp_path / "figures.csv"
    with qtbot.waitSignal(panel.exported, timeout=10_000):
        panel.export("figures", shown)
    rows = list(csv.reader(shown.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["Agent", "Contacts", "Resolved of new"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["ann"][1:3] == ["4", "75% (3 of 4)"]
    assert "'=bob()" in by_name  # a name that looks like a formula is not one
    # The server's own rows, through the save dialog.
    server = tmp_path / "server-rows.csv"
    panel.export("server_rows")
    dialog = panel.save_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.selectFile(str(server))
    with qtbot.waitSignal(panel.exported, timeout=10_000):
        dialog.accept()
    lines = list(csv.reader(server.read_text(encoding="utf-8").splitlines()))
    assert lines[0][:3] == ["key", "label", "contacts"]
    assert [lines[-1][1], lines[-1][2]] == ["Total", "7"]
    # The daily table and the server's series.
    daily = tmp_path / "daily.csv"
    with qtbot.waitSignal(panel.exported, timeout=10_000):
        panel.export("daily", daily)
    assert [r[1] for r in csv.reader(daily.read_text(encoding="utf-8-sig").splitlines())][1:] == [
        "3",
        "3",
        "1",
    ]


def test_an_agent_sees_only_their_own_numbers(
    open_for: Callable[..., tuple[MainWindow, DashboardPanel]],
) -> None:
    _window, panel = open_for("ann")
    shown = cells(panel)
    assert set(shown) == {"ann", "Total"}
    assert shown["ann"] == expected(F.ANN) and shown["Total"] == expected(F.ANN)
    assert panel.scope.text() == "Your own numbers"


def _spans(db_url: str, user_id: str) -> None:
    """ann's floor on 3 Nov: 2 h available, then 30 min on break (UTC)."""
    from datetime import UTC, datetime

    from csdesk.server.config import ServerConfig
    from csdesk.server.state import ServerState
    from csdesk.storage import models as m

    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.writes() as s:
            at = [datetime(2026, 11, 3, h, mi, tzinfo=UTC) for h, mi in ((9, 0), (11, 0), (11, 30))]
            s.add(m.AgentStatusSpan(user_id=user_id, status="available", started_at=at[0],
                                    ended_at=at[1]))  # fmt: skip
            s.add(m.AgentStatusSpan(user_id=user_id, status="on_break", started_at=at[1],
                                    ended_at=at[2]))  # fmt: skip
            s.commit()
    finally:
        state.engine.dispose()


def test_a_supervisor_sees_time_in_status_and_an_agent_does_not(
    open_for: Callable[..., tuple[MainWindow, DashboardPanel]],
    live: ServerProcess,
    shared_users: dict[str, TestUser],
) -> None:
    from csdesk.app.floor import span_text

    _spans(live.db_url, shared_users["ann"].id)
    _window, panel = open_for("sue")
    card = panel.status_time
    assert card.isVisibleTo(panel)
    data = card.table.data_()
    assert data.header == ["Agent", "Available", "On a call", "Away", "On break",
                           "In training", "Signed in"]  # fmt: skip
    [ann] = [r for r in data.rows if r[0].text == "ann"]
    assert [c.text for c in ann] == [
        "ann",
        span_text(7200),
        "—",
        "—",
        span_text(1800),
        "—",
        span_text(9000),
    ]
    assert ann[4].sentence == f"ann: on break {span_text(1800)}"
    summary = card.summary.text()
    assert f"ann available {span_text(7200)}, on break {span_text(1800)}" in summary

    _window, mine = open_for("ann")  # the floor's figures are not an agent's
    assert not mine.status_time.isVisibleTo(mine)
    assert mine.status_times is None


def test_a_supervisor_sees_their_team(
    open_for: Callable[..., tuple[MainWindow, DashboardPanel]],
) -> None:
    _window, panel = open_for("sue")
    shown = cells(panel)
    assert set(shown) == {"ann", "Unassigned", "Total"}  # bob is in team B
    assert shown["Total"]["Contacts"] == "5"
    assert panel.scope.text() == "Your team's numbers"


def test_keyboard_path_and_accessible_names(
    qtbot: QtBot, open_for: Callable[..., tuple[MainWindow, DashboardPanel]]
) -> None:
    window, panel = open_for("adm")
    dash = panel.window()
    assert isinstance(dash, DashboardWindow)
    assert unnamed_focusables(dash) == []
    assert clashes("dashboard", dash) == []
    panel.period.setFocus()
    seen: list[str] = []
    for _ in range(24):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focus = QApplication.focusWidget()
        assert isinstance(focus, QWidget)
        seen.append(focus.objectName())
    # (Tab steps through a date's day, month and year, as in every Qt date field.)
    order = ["kpi_group", "kpi_refresh", "kpi_export", "figures_table", "trend_figure",
             "trend_as_table", "trend_chart", "distribution_as_table", "distribution_chart",
             "comparison_figure", "comparison_as_table", "comparison_chart"]  # fmt: skip
    assert all(n in seen for n in order), " ".join(seen)
    positions = [seen.index(n) for n in order]
    assert positions == sorted(positions), seen
    # Enter on a chart shows its table, with the focus in it (to drill from a figure).
    panel.comparison.view.setFocus()
    qtbot.keyClick(panel.comparison.view, Qt.Key.Key_Return)
    assert panel.comparison.shown() is panel.comparison.table
    assert dash.focusWidget() is panel.comparison.table
    # The drill-down dialog too: every control named, no key bound twice.
    table = panel.figures
    table.setFocus()
    table.setCurrentIndex(table.model().index(0, 1))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    drill = panel.drill
    assert drill is not None
    qtbot.waitUntil(lambda: drill.page is not None, timeout=20_000)
    assert drill.focusWidget() is drill.list  # Enter on a figure lands in its list
    assert unnamed_focusables(drill) == []
    assert clashes("drill-down", drill) == []
    qtbot.keyClick(drill, Qt.Key.Key_Escape)
    assert not drill.isVisible()
    assert dash.focusWidget() is table  # back on the figure it came from
    # Escape closes the dashboard window itself.
    qtbot.keyClick(panel.figures, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.findChild(DashboardWindow) is None or not dash.isVisible())


def test_grouping_and_periods_ask_again(
    qtbot: QtBot, open_for: Callable[..., tuple[MainWindow, DashboardPanel]]
) -> None:
    _window, panel = open_for("adm")
    with qtbot.waitSignal(panel.loaded, timeout=20_000):
        panel.group.setCurrentIndex(panel.group.findData("channel"))
    shown = cells(panel)
    assert {k: v["Contacts"] for k, v in shown.items()} == {
        "Chat": "1",
        "Email": "4",
        "Phone": "1",
        "SMS": "1",
        "Total": "7",
    }
    assert panel.comparison.summary.text().startswith("Contacts by channel: Chat 1, Email 4")
    # "Today" is one day, after the fixture: nothing counted, and the dates are not asked.
    with qtbot.waitSignal(panel.loaded, timeout=20_000):
        panel.period.setCurrentIndex(panel.period.findData("today"))
    assert panel.report is not None and len(panel.report.days) == 1
    assert panel.report.total["contacts"] == 0
    assert not panel.start.isEnabled() and not panel.end.isEnabled()


def test_a_trainee_is_told_why_there_are_no_figures(
    qtbot: QtBot,
    live: ServerProcess,
    shared_users: dict[str, TestUser],
    fx: F.Fixture,
    desk_factory: Callable[..., Desk],
) -> None:
    tia = shared_users["tia"]
    window = desk_factory(live, tia.username, password=tia.password).window
    window.actions_["dashboard"].trigger()
    dash = window.findChild(DashboardWindow)
    assert dash is not None
    qtbot.waitUntil(lambda: "could not be loaded" in dash.panel.status.text(), timeout=20_000)
    assert "trainees have no KPIs" in dash.panel.status.text()
    assert dash.panel.figures.model().rowCount() == 0


def test_names_on_a_chart_are_text_not_markup(qtbot: QtBot) -> None:
    """QtCharts draws axis labels as HTML: a name that looks like markup is shown as typed,
    and two agents with one name keep a bar each."""
    from PySide6.QtCharts import QBarCategoryAxis

    from csdesk.theme.themes import get_theme
    from csdesk.ui.panels.dashboard_charts import bar_chart

    chart = bar_chart(
        get_theme("light"),
        ["<h1>Boss</h1>", "Sam", "Sam", "x" * 500],
        [1.0, 2.0, 3.0, None],
        "count",
        "Contacts",
        horizontal=True,
    )
    axis = next(a for a in chart.axes() if isinstance(a, QBarCategoryAxis))
    assert axis.categories() == ["&lt;h1&gt;Boss&lt;/h1&gt;", "Sam", "Sam (2)", "x" * 40]
    assert [chart.series()[0].barSets()[0].at(i) for i in range(4)] == [1.0, 2.0, 3.0, 0.0]


def test_the_dashboard_closes_with_the_main_window(
    qtbot: QtBot, open_for: Callable[..., tuple[MainWindow, DashboardPanel]]
) -> None:
    window, panel = open_for("ann")
    dash = panel.window()
    window.actions_["dashboard"].trigger()  # again: the open one comes forward, no second
    assert window.findChildren(DashboardWindow) == [dash]
    window.hide()  # as at sign-out: the figures are that user's
    qtbot.waitUntil(lambda: not dash.isVisible(), timeout=5_000)


def test_day_names_under_a_trend_are_whole_and_thin_out_when_narrow(qtbot: QtBot) -> None:
    """QtCharts cuts a day name that has no room ("30 …"): the axis names every n-th day so
    that each name it shows has room, and every day again when the chart is wide."""
    from PySide6.QtGui import QFontMetrics

    from csdesk.theme.themes import get_theme
    from csdesk.ui.panels.dashboard_charts import DayAxis, line_chart

    days = [f"{d} Nov" for d in range(1, 31)]
    chart = line_chart(get_theme("light"), days, [1.0] * 30, "count", "Contacts")
    axis = next(a for a in chart.axes() if isinstance(a, DayAxis))
    widest = max(QFontMetrics(axis.labelsFont()).horizontalAdvance(d) for d in days)
    axis.fit(300)
    shown = axis.categoriesLabels()
    assert 1 < len(shown) < 30 and set(shown) <= set(days)  # whole names, some days skipped
    assert 300 / 30 * axis.step >= widest  # each shown name has its room
    axis.fit(30 * (widest + 20))
    assert axis.categoriesLabels() == days
