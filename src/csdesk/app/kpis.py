"""The KPI dashboard's use cases: the server's figures as typed results (docs/kpis.md).

Every call reaches the network (or the disk) and so runs on a worker (``ui/tasks.py``), never on
the GUI thread. The server decides whose numbers a caller sees (an agent their own, a
supervisor their team's); nothing here narrows or widens that. The conversations behind a
figure come from the server as ids and are named from the desk's own copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from csdesk.app.csv_file import write_bytes, write_csv
from csdesk.app.inbox import InboxRow
from csdesk.i18n import _
from csdesk.sync.api import ServerError, SyncApi, SyncError

__all__ = [
    "GROUPS",
    "PERIODS",
    "Bucket",
    "Day",
    "DrillItem",
    "DrillPage",
    "KpiDesk",
    "KpiQuery",
    "Report",
    "Row",
    "StatusTime",
    "Target",
]

PERIODS: Final = ("today", "7d", "30d", "custom")
GROUPS: Final = ("agent", "team", "channel", "queue")
#: Server tables a CSV export can ask for (``table=``).
SERVER_TABLES: Final = ("rows", "series", "histogram")
#: How many conversations one drill-down page lists.
DRILL_PAGE: Final = 100

Figures = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class KpiQuery:
    """What the dashboard asks for: a period (``custom`` with ``start`` and ``end``), the
    time zone days are taken in, and the grouping of the table."""

    period: str = "7d"
    start: date | None = None
    end: date | None = None
    tz: str = "UTC"
    group: str = "agent"

    def params(self) -> dict[str, str]:
        out = {"period": self.period, "tz": self.tz, "group": self.group}
        if self.period == "custom":
            if self.start is None or self.end is None:
                raise ValueError("a custom period needs a first and a last day")
            out["from"], out["to"] = self.start.isoformat(), self.end.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Row:
    """One group's figures (``key`` None: the row without one, such as Unassigned)."""

    key: str | None
    label: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    figures: Figures


@dataclass(frozen=True, slots=True)
class Bucket:
    """A first-response time range (``max_seconds`` None: open-ended) and its count."""

    label: str
    min_seconds: int
    max_seconds: int | None
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    query: KpiQuery
    start: datetime
    end: datetime
    days: tuple[date, ...]
    scope: str  # "own", "team" or "all"
    rows: tuple[Row, ...]
    total: Figures
    series: tuple[Day, ...]
    histogram: tuple[Bucket, ...]
    generated_at: datetime


@dataclass(frozen=True, slots=True)
class Target:
    """Which figures a drill-down is about: one row of the table (``key``; None is the row
    without one, such as Unassigned), every row (``everyone``: the total) or one ``day`` of
    the daily series."""

    key: str | None = None
    everyone: bool = False
    day: date | None = None

    def params(self, query: KpiQuery) -> dict[str, str]:
        params = query.params()
        if self.day is not None:
            params.update(group="none", day=self.day.isoformat())
        elif not self.everyone and query.group != "none":
            params["key"] = self.key or ""
        return params


@dataclass(frozen=True, slots=True)
class DrillItem:
    """A conversation behind a figure, named from the desk's copy (``row`` None: not in it)."""

    id: str
    row: InboxRow | None


@dataclass(frozen=True, slots=True)
class DrillPage:
    metric: str
    total: int
    page: int
    items: tuple[DrillItem, ...] = field(default_factory=tuple)

    @property
    def more(self) -> bool:
        return self.page * DRILL_PAGE < self.total


def _day(text: Any) -> date:
    return date.fromisoformat(str(text))


def _figures(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in ("key", "label", "day")}


def parse_report(query: KpiQuery, body: Mapping[str, Any]) -> Report:
    """The server's answer as a ``Report``; a malformed one is a ``SyncError``."""
    try:
        period = body["period"]
        return Report(
            query=query,
            start=datetime.fromisoformat(str(period["from"])),
            end=datetime.fromisoformat(str(period["to"])),
            days=tuple(_day(d) for d in period["days"]),
            scope=str(body["scope"]["kind"]),
            rows=tuple(
                Row(None if r.get("key") is None else str(r["key"]), str(r["label"]), _figures(r))
                for r in body["rows"]
            ),
            total=_figures(body["total"]),
            series=tuple(Day(_day(d["day"]), _figures(d)) for d in body["series"]),
            histogram=tuple(
                Bucket(
                    str(b["label"]),
                    int(b["min_seconds"]),
                    None if b["max_seconds"] is None else int(b["max_seconds"]),
                    int(b["count"]),
                )
                for b in body["first_response_histogram"]
            ),
            generated_at=datetime.fromisoformat(str(body["generated_at"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncError(
            _("The server sent KPI figures csdesk does not understand ({error}).").format(error=exc)
        ) from exc


@dataclass(frozen=True, slots=True)
class StatusTime:
    """One agent's seconds in each status (``domain.agent_status`` values) in a period."""

    user_id: str
    name: str
    seconds: Mapping[str, float]


def parse_status_time(body: Mapping[str, Any]) -> tuple[StatusTime, ...]:
    """The server's time-in-status answer; a malformed one is a ``SyncError``."""
    try:
        return tuple(
            StatusTime(
                str(a["user_id"]),
                str(a["name"]),
                {str(k): max(float(v), 0.0) for k, v in dict(a["seconds"]).items()},
            )
            for a in body["agents"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncError(
            _("The server sent status times csdesk does not understand ({error}).").format(
                error=exc
            )
        ) from exc


class KpiDesk:
    """The dashboard's calls; built from the signed-in ``SyncApi`` and the cache's row
    lookup (``Workstation.rows``)."""

    def __init__(
        self, api: SyncApi, rows: Callable[[Sequence[str]], Mapping[str, InboxRow]]
    ) -> None:
        self._api = api
        self._rows = rows
        self._definitions: dict[str, str] | None = None

    def report(self, query: KpiQuery) -> Report:
        """The figures for ``query``. A server that does not know the desk's time zone
        (an older zone database) is asked again in UTC; ``Report.query`` says which."""
        try:
            return parse_report(query, self._api.kpis(query.params()))
        except ServerError as exc:
            if exc.status != 400 or query.tz == "UTC" or "time zone" not in exc.english:
                raise
        utc = replace(query, tz="UTC")
        return parse_report(utc, self._api.kpis(utc.params()))

    def status_time(self, report: Report) -> tuple[StatusTime, ...] | None:
        """Time in each status per agent over ``report``'s period, or None for a caller the
        server does not show it to (an agent: it is the floor's, for supervisors)."""
        try:
            return parse_status_time(self._api.floor_status_time(report.start, report.end))
        except ServerError as exc:
            if exc.status == 403:
                return None
            raise

    def definitions(self) -> dict[str, str]:
        """What each figure means (asked once per desk: they change with a new server)."""
        if self._definitions is None:
            self._definitions = self._api.kpi_definitions()
        # The server's sentences are marked for translation (server.kpis.definitions): each is
        # looked up in the desk's catalogue, else shown as sent (issue 13).
        return {key: _(text) if text else text for key, text in self._definitions.items()}

    def conversations(
        self, query: KpiQuery, metric: str, target: Target, page: int = 1
    ) -> DrillPage:
        """Page ``page`` of the conversations behind ``metric`` in ``target``, most recent
        first, named from the cache."""
        params = {**target.params(query), "metric": metric}
        params.update(page=str(page), page_size=str(DRILL_PAGE))
        body = self._api.kpi_conversations(params)
        try:
            ids = [str(i) for i in body["conversation_ids"]]
            total = int(body["total"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SyncError(
                _("The server sent a list csdesk does not understand ({error}).").format(error=exc)
            ) from exc
        known = self._rows(ids)
        return DrillPage(metric, total, page, tuple(DrillItem(i, known.get(i)) for i in ids))

    def save_server_csv(self, query: KpiQuery, table: str, path: Path) -> Path:
        """Download the server's CSV of ``table`` (rows, series, histogram) into ``path``."""
        if table not in SERVER_TABLES:
            raise ValueError(f"no server table {table!r}")
        return write_bytes(path, self._api.kpi_csv("", {**query.params(), "table": table}))

    def save_drill_csv(self, query: KpiQuery, metric: str, target: Target, path: Path) -> Path:
        """Download the server's CSV of the conversation ids behind ``metric`` in ``target``
        (the first 500, the server's largest page) into ``path``."""
        params = {**target.params(query), "metric": metric, "page": "1", "page_size": "500"}
        return write_bytes(path, self._api.kpi_csv("/conversations", params))

    @staticmethod
    def save_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
        """Write a table as shown (its header and cells) as CSV into ``path``."""
        return write_csv(path, header, rows)
