"""The dashboard's words and files without a server: cells, summaries, ranges, the query's
parameters, the CSV that a spreadsheet cannot be tricked by."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from csdesk.app import kpi_words as words
from csdesk.app.csv_file import write_csv
from csdesk.app.kpis import Bucket, Day, KpiQuery, Row, Target, parse_report
from csdesk.sync.api import SyncError

COL = words.BY_NAME


def test_cells_say_the_figure_and_what_it_stands_on() -> None:
    figures = {
        "contacts": 7,
        "created_resolved": 4,
        "resolution_rate": 0.5714,
        "first_response_count": 5,
        "first_response_avg_seconds": 7830.0,
        "handle_avg_seconds": 42.0,
        "handled": 2,
        "nps": -33.3,
        "nps_count": 3,
        "csat_avg": None,
    }
    assert words.cell_text(COL["contacts"], figures) == "7"
    assert words.cell_text(COL["resolution_rate"], figures) == "57% (4 of 7)"
    assert words.cell_text(COL["first_response_avg_seconds"], figures) == "2 h 10 min (5)"
    assert words.cell_text(COL["handle_avg_seconds"], figures) == "42 s (2)"
    assert words.cell_text(COL["nps"], figures) == "-33.3 (3)"
    assert words.cell_text(COL["csat_avg"], figures) == words.NO_DATA
    assert (
        words.cell_sentence(COL["resolution_rate"], "Ann", figures)
        == "Resolved of new for Ann: 57%, 4 of 7"
    )
    assert words.cell_sentence(COL["csat_avg"], "Ann", figures) == "CSAT average for Ann: no data"
    # Every published figure has a column; the backlog is not in the daily series.
    assert {c.name for c in words.COLUMNS} >= {"contacts", "fcr_rate", "nps", "backlog"}
    assert "backlog" not in {c.name for c in words.DAILY_COLUMNS}


def test_first_response_ranges_read_whole() -> None:
    def label(low: int, high: int | None) -> str:
        return words.bucket_label(Bucket("", low, high, 0))

    assert label(0, 60) == "under 1 min"
    assert label(60, 300) == "1–5 min"
    assert label(1800, 3600) == "30 min–1 h"
    assert label(28800, 86400) == "8–24 h"
    assert label(86400, None) == "24 h or more"


def test_summaries_carry_the_numbers() -> None:
    days = [
        Day(date(2026, 11, 2), {"contacts": 3}),
        Day(date(2026, 11, 3), {"contacts": 0}),
        Day(date(2026, 11, 4), {"contacts": 5}),
    ]
    assert words.trend_summary(COL["contacts"], days) == (
        "Contacts per day, Mon 2 Nov to Wed 4 Nov: 3, 0 and 5; highest 5 on Wed 4 Nov, "
        "lowest 0 on Tue 3 Nov; total 8."
    )
    empty = [Day(d.day, {"csat_rate": None}) for d in days]
    assert "no data on any day" in words.trend_summary(COL["csat_rate"], empty)
    buckets = [Bucket("", 0, 60, 2), Bucket("", 60, 300, 0), Bucket("", 300, 900, 5)]
    assert words.distribution_summary(buckets) == (
        "7 first responses; under 1 min: 2 and 5–15 min: 5; most often 5–15 min (5)."
    )
    assert words.distribution_summary([Bucket("", 0, 60, 0)]) == (
        "No first responses in this period."
    )
    rows = [(f"Agent {i}", Row(str(i), f"Agent {i}", {"contacts": i})) for i in range(15)]
    text = words.comparison_summary(COL["contacts"], "agent", rows)
    assert text.startswith("Contacts by agent: Agent 0 0, Agent 1 1")
    assert "and 3 more; highest Agent 14 (14)." in text


def test_group_rows_are_named_not_keyed() -> None:
    assert words.row_label("channel", Row("whatsapp", "whatsapp", {})) == "WhatsApp"
    assert words.row_label("agent", Row(None, "Unassigned", {})) == "Unassigned"
    assert words.row_label("team", Row(None, "No team", {})) == "No team"
    assert words.row_label("queue", Row("t1:sms", "Front · sms", {})) == "Front · SMS"


def test_query_and_drill_parameters() -> None:
    q = KpiQuery("custom", date(2026, 11, 2), date(2026, 11, 4), "Europe/Paris", "team")
    assert q.params() == {
        "period": "custom",
        "from": "2026-11-02",
        "to": "2026-11-04",
        "tz": "Europe/Paris",
        "group": "team",
    }
    assert Target(key=None).params(q)["key"] == ""  # the row without a team
    assert "key" not in Target(everyone=True).params(q)
    day = Target(day=date(2026, 11, 3)).params(q)
    assert (day["group"], day["day"]) == ("none", "2026-11-03")
    with pytest.raises(ValueError):
        KpiQuery("custom").params()


def test_a_malformed_answer_is_a_sync_error() -> None:
    with pytest.raises(SyncError):
        parse_report(KpiQuery(), {"period": {"from": "x"}})
    body = {
        "period": {"from": "2026-11-02T00:00:00+00:00", "to": "2026-11-03T00:00:00+00:00",
                   "days": ["2026-11-02"]},
        "scope": {"kind": "own"},
        "rows": [{"key": "u1", "label": "Ann", "contacts": 1}],
        "total": {"contacts": 1},
        "series": [{"day": "2026-11-02", "contacts": 1}],
        "first_response_histogram": [
            {"label": "under 1 min", "min_seconds": 0, "max_seconds": 60, "count": 1}
        ],
        "generated_at": "2026-11-03T00:00:00+00:00",
    }  # fmt: skip
    report = parse_report(KpiQuery(), body)
    assert report.rows[0] == Row("u1", "Ann", {"contacts": 1})
    assert report.start == datetime(2026, 11, 2, tzinfo=UTC)
    assert report.histogram[0].max_seconds == 60


def test_csv_is_injection_safe_and_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, ["Agent", "Contacts"], [["=HYPERLINK(1)", 3], ["-x", None], ["Ann", 2.5]])
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows == [["Agent", "Contacts"], ["'=HYPERLINK(1)", "3"], ["'-x", ""], ["Ann", "2.5"]]
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(OSError):
        write_csv(tmp_path / "missing" / "t.csv", ["a"], [])
    assert not (tmp_path / "missing").exists()


def test_a_time_zone_the_server_does_not_know_falls_back_to_utc() -> None:
    from typing import Any, cast

    from csdesk.app.kpis import KpiDesk
    from csdesk.sync.api import ServerError, SyncApi

    asked: list[str] = []
    body = {
        "period": {"from": "2026-11-02T00:00:00+00:00", "to": "2026-11-03T00:00:00+00:00",
                   "days": ["2026-11-02"]},
        "scope": {"kind": "own"}, "rows": [], "total": {}, "series": [],
        "first_response_histogram": [], "generated_at": "2026-11-03T00:00:00+00:00",
    }  # fmt: skip

    class Api:
        def kpis(self, params: dict[str, str]) -> dict[str, Any]:
            asked.append(params["tz"])
            if params["tz"] != "UTC":
                raise ServerError(400, "invalid", "unknown time zone 'Mars/Base'; use an IANA …")
            return body

    desk = KpiDesk(cast(SyncApi, Api()), lambda ids: {})
    report = desk.report(KpiQuery(tz="Mars/Base"))
    assert asked == ["Mars/Base", "UTC"] and report.query.tz == "UTC"
    asked.clear()

    class Refusing(Api):
        def kpis(self, params: dict[str, str]) -> dict[str, Any]:
            raise ServerError(403, "forbidden", "trainees have no KPIs")

    with pytest.raises(ServerError):
        KpiDesk(cast(SyncApi, Refusing()), lambda ids: {}).report(KpiQuery(tz="Europe/Paris"))


def test_a_missing_figure_is_said_not_dashed() -> None:
    rows = [("Ann", Row("a", "Ann", {"csat_rate": 1.0})), ("Bob", Row("b", "Bob", {}))]
    assert words.comparison_summary(COL["csat_rate"], "agent", rows) == (
        "CSAT satisfied by agent: Ann 100% and Bob no data; highest Ann (100%)."
    )
    days = [Day(date(2026, 11, 2), {"csat_rate": None}), Day(date(2026, 11, 3), {"csat_rate": 0.5})]
    assert "no data and 50%" in words.trend_summary(COL["csat_rate"], days)
