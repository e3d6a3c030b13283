"""What the dashboard shows for a report: its tables, charts and summary sentences.

Plain functions from a ``Report`` to (chart, table, summary), so the panel only places them.
Every table row that stands for conversations carries its drill-down ``Target``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCharts import QChart
from PySide6.QtCore import Qt

from csdesk.app import formats
from csdesk.app import kpi_words as words
from csdesk.app.floor import span_text, status_label
from csdesk.app.kpi_words import Column
from csdesk.app.kpis import Figures, Report, Row, StatusTime, Target
from csdesk.domain.agent_status import AgentStatus
from csdesk.i18n import _
from csdesk.theme.tokens import Theme
from csdesk.ui.panels.dashboard_charts import bar_chart, line_chart, stacked_bar_chart
from csdesk.ui.panels.dashboard_tables import Cell, TableData, table_of

Shown = tuple[QChart, TableData, str]


def scope_text(scope: str) -> str:
    return {
        "own": _("Your own numbers"),
        "team": _("Your team's numbers"),
        "all": _("Everyone's numbers"),
    }.get(scope, "")


def status_text(report: Report) -> str:
    q = report.query
    days = report.days
    span = (
        words.day_label(days[0])
        if len(days) == 1
        else _("{first} to {last}").format(
            first=words.day_label(days[0]), last=words.day_label(days[-1])
        )
        if days
        else ""
    )
    zone = _(" Days in {zone}.").format(zone=q.tz) if q.tz == "UTC" else ""
    return _(
        "{period}, {span}, by {group}: {n} contacts in all. Figures as of {time}.{zone}"
    ).format(
        period=words.period_label(q.period),
        span=span,
        group=formats.mid_sentence(words.group_label(q.group)),
        n=report.total.get("contacts", 0),
        time=formats.time_text(report.generated_at),
        zone=zone,
    )


def _figure_cells(
    columns: tuple[Column, ...], who: str, figures: Figures, definitions: dict[str, str]
) -> list[Cell]:
    return [
        Cell(
            words.cell_text(c, figures),
            words.cell_sentence(c, who, figures),
            definitions.get(c.name, ""),
            number=True,
        )
        for c in columns
    ]


def figures_table(report: Report, definitions: dict[str, str]) -> TableData:
    """One row per group and the total; every figure a column, its definition its tooltip."""
    group = report.query.group
    columns = words.COLUMNS
    rows: list[list[Cell]] = []
    targets: list[Target | None] = []
    for row in report.rows:
        who = words.row_label(group, row)
        rows.append([Cell(who), *_figure_cells(columns, who, row.figures, definitions)])
        targets.append(Target(key=row.key))
    total = _("Total")
    rows.append(
        [
            Cell(total, strong=True),
            *(
                replace(c, strong=True)
                for c in _figure_cells(columns, total, report.total, definitions)
            ),
        ]
    )
    targets.append(Target(everyone=True))
    return table_of(
        [words.group_label(group), *(words.column_label(c) for c in columns)],
        rows,
        tips=["", *(definitions.get(c.name, "") for c in columns)],
        targets=targets,
        columns=[None, *(c.name for c in columns)],
        row_header=True,
    )


def daily_table(report: Report, definitions: dict[str, str]) -> TableData:
    """The daily series: one row per day, every daily figure a column."""
    columns = words.DAILY_COLUMNS
    rows = []
    for day in report.series:
        who = words.day_label(day.day)
        rows.append([Cell(who), *_figure_cells(columns, who, day.figures, definitions)])
    return table_of(
        [_("Day"), *(words.column_label(c) for c in columns)],
        rows,
        tips=["", *(definitions.get(c.name, "") for c in columns)],
        targets=[Target(day=d.day) for d in report.series],
        columns=[None, *(c.name for c in columns)],
        row_header=True,
    )


def _short_day(report: Report, index: int) -> str:
    day = report.series[index].day
    return formats.date_text(day, year=False)


def _ceiling(column: Column) -> float | None:
    return 100.0 if column.kind is words.Kind.RATE else None


def trend(theme: Theme, report: Report, column: Column, definitions: dict[str, str]) -> Shown:
    values = [words.chart_number(column, d.figures.get(column.name)) for d in report.series]
    categories = [_short_day(report, i) for i in range(len(report.series))]
    chart = line_chart(
        theme,
        categories,
        values,
        words.unit_label(column),
        words.column_label(column),
        ceiling=_ceiling(column),
    )
    return chart, daily_table(report, definitions), words.trend_summary(column, report.series)


def distribution(theme: Theme, report: Report) -> Shown:
    buckets = report.histogram
    labels = [words.bucket_label(b) for b in buckets]
    # Lying bars: the ranges are read whole on the left, the quickest at the top.
    chart = bar_chart(
        theme,
        labels[::-1],
        [float(b.count) for b in reversed(buckets)],
        _("first responses"),
        _("Count"),
        horizontal=True,
    )
    total = sum(b.count for b in buckets)
    rows = [
        [
            Cell(label),
            Cell(f"{b.count}", number=True),
            Cell(words.percent(b.count / total) if total else words.NO_DATA, number=True),
        ]
        for label, b in zip(labels, buckets, strict=True)
    ]
    table = table_of([_("First response within"), _("Count"), _("Share")], rows)
    return chart, table, words.distribution_summary(buckets)


def comparison(theme: Theme, report: Report, column: Column, definitions: dict[str, str]) -> Shown:
    group = report.query.group
    named: list[tuple[str, Row]] = [(words.row_label(group, r), r) for r in report.rows]
    # Horizontal bars are drawn from the bottom up: reversed, the first row is on top.
    chart = bar_chart(
        theme,
        [who for who, _r in reversed(named)],
        [words.chart_number(column, r.figures.get(column.name)) for _w, r in reversed(named)],
        words.unit_label(column),
        words.column_label(column),
        horizontal=True,
        ceiling=_ceiling(column),
    )
    rows = [
        [
            Cell(who),
            Cell(
                words.cell_text(column, r.figures),
                words.cell_sentence(column, who, r.figures),
                definitions.get(column.name, ""),
                number=True,
            ),
        ]
        for who, r in named
    ]
    table = table_of(
        [words.group_label(group), words.column_label(column)],
        rows,
        tips=["", definitions.get(column.name, "")],
        targets=[Target(key=r.key) for _w, r in named],
        columns=[None, column.name],
        row_header=True,
    )
    return chart, table, words.comparison_summary(column, group, named)


#: The statuses of time on the floor, in the board's order; "Offline" is time away from the
#: desk, not on the floor, and is left out (over 7 days it would dwarf the rest).
FLOOR_STATUSES: tuple[tuple[AgentStatus, str, Qt.BrushStyle], ...] = (
    (AgentStatus.AVAILABLE, "presence_online", Qt.BrushStyle.SolidPattern),
    (AgentStatus.ON_CALL, "accent", Qt.BrushStyle.Dense3Pattern),
    (AgentStatus.AWAY, "presence_away", Qt.BrushStyle.BDiagPattern),
    (AgentStatus.ON_BREAK, "warning_fg", Qt.BrushStyle.CrossPattern),
    (AgentStatus.IN_TRAINING, "info_fg", Qt.BrushStyle.FDiagPattern),
)


def status_time(theme: Theme, agents: Sequence[StatusTime]) -> Shown:
    """Each agent's time in each status on the floor (hours on the chart, words in the
    table and the summary), agents in the server's order (by name)."""
    names = [a.name or _("Unknown agent") for a in agents]
    statuses = [s for s, _c, _p in FLOOR_STATUSES]
    parts = [
        (
            status_label(s),
            getattr(theme, colour),
            pattern,
            [a.seconds.get(s, 0.0) / 3600 for a in agents],
        )
        for s, colour, pattern in FLOOR_STATUSES
    ]
    chart = stacked_bar_chart(theme, names, parts, _("hours"))
    rows = []
    for who, agent in zip(names, agents, strict=True):
        cells = [Cell(who)]
        for s in statuses:
            secs = agent.seconds.get(s, 0.0)
            cells.append(
                Cell(
                    span_text(secs) if secs else "—",
                    _("{who}: {status} {time}").format(
                        who=who, status=formats.mid_sentence(status_label(s)), time=span_text(secs)
                    ),
                    number=True,
                )
            )
        on_floor = sum(agent.seconds.get(s, 0.0) for s in statuses)
        cells.append(
            Cell(
                span_text(on_floor) if on_floor else "—",
                _("{who}: signed in {time} in all").format(who=who, time=span_text(on_floor)),
                number=True,
                strong=True,
            )
        )
        rows.append(cells)
    table = table_of([_("Agent"), *(status_label(s) for s in statuses), _("Signed in")], rows)
    return chart, table, status_time_summary(names, agents)


def status_time_summary(names: Sequence[str], agents: Sequence[StatusTime]) -> str:
    """E.g. "Time in status: Ann available 5 h 2 min, on a call 40 min; Bob no time on the
    floor."."""
    if not agents:
        return _("Time in status: no agent was on the floor in this period.")
    parts = []
    for who, agent in zip(names, agents, strict=True):
        spans = [
            _("{status} {time}").format(
                status=formats.mid_sentence(status_label(s)), time=span_text(secs)
            )
            for s, _c, _p in FLOOR_STATUSES
            if (secs := agent.seconds.get(s, 0.0)) >= 60
        ]
        parts.append(
            _("{who} {spans}").format(who=who, spans=", ".join(spans))
            if spans
            else _("{who} no time on the floor").format(who=who)
        )
    return _("Time in status: {agents}.").format(agents="; ".join(parts))
