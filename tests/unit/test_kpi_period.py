"""KPI periods in the caller's time zone (day by day through a daylight-saving change) and
the CSV cells a spreadsheet must not evaluate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from csdesk.server.kpis.csv_table import cell, render
from csdesk.server.kpis.period import PeriodError, resolve

NOW = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)


def test_a_custom_period_through_the_end_of_summer_time_has_a_25_hour_day() -> None:
    p = resolve(
        "custom", now=NOW, tz_name="America/New_York", start_day="2026-10-31", end_day="2026-11-01"
    )
    assert p.days == (date(2026, 10, 31), date(2026, 11, 1))
    assert [b.isoformat() for b in p.bounds] == [
        "2026-10-31T04:00:00+00:00",  # EDT midnight
        "2026-11-01T04:00:00+00:00",
        "2026-11-02T05:00:00+00:00",  # EST midnight: Nov 1 lasted 25 hours
    ]
    assert p.bounds[2] - p.bounds[1] == timedelta(hours=25)


def test_today_and_seven_days_end_now_and_start_at_local_midnight() -> None:
    today = resolve("today", now=NOW, tz_name="Asia/Tokyo")
    assert today.days == (date(2026, 11, 5),)  # 15:30 UTC is already tomorrow in Tokyo
    assert today.start == datetime(2026, 11, 4, 15, tzinfo=UTC) and today.end == NOW
    week = resolve("7d", now=NOW)
    assert len(week.days) == 7 and week.days[-1] == date(2026, 11, 4)
    assert week.start == datetime(2026, 10, 29, tzinfo=UTC) and week.end == NOW
    assert len(resolve("30d", now=NOW).bounds) == 31


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"name": "fortnight"}, "period must be one of"),
        ({"name": "custom", "start_day": "2026-11-01"}, "needs both"),
        ({"name": "custom", "start_day": "2026-11-02", "end_day": "2026-11-01"}, "before"),
        ({"name": "custom", "start_day": "2026-02-30", "end_day": "2026-03-01"}, "YYYY-MM-DD"),
        ({"name": "today", "tz_name": "Not/AZone"}, "unknown time zone"),
        ({"name": "today", "tz_name": "UTC\x00"}, "IANA"),
        ({"name": "today", "tz_name": "x" * 100}, "IANA"),
    ],
)
def test_bad_periods_say_why(kw: dict[str, str], says: str) -> None:
    with pytest.raises(PeriodError, match=says):
        resolve(now=NOW, **kw)


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    assert [cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "Ann")] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "Ann",
    ]
    assert cell(-33.3) == -33.3 and cell(None) == "" and cell(True) == "true"
    assert render(["label", "nps"], [["=bob()", -20.0]]) == "label,nps\r\n'=bob(),-20.0\r\n"
