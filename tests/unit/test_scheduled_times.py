"""The quick choices of "Send later…" and "Remind me…" and the time rule the desk and the
server share (docs/scheduled-send.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from csdesk.domain.scheduled import monday_morning, time_problem, tomorrow_morning

BERLIN = ZoneInfo("Europe/Berlin")


def test_tomorrow_and_monday_at_nine_in_the_agents_zone() -> None:
    wednesday_late = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert tomorrow_morning(wednesday_late, BERLIN) == datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN)
    assert monday_morning(wednesday_late, BERLIN) == datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
    # Just after midnight in Berlin it is already Thursday there: tomorrow is Friday.
    thursday_early = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    assert tomorrow_morning(thursday_early, BERLIN).day == 4
    # On a Monday, "Monday" is next week's.
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN)
    assert monday_morning(monday, BERLIN) == datetime(2026, 12, 14, 9, 0, tzinfo=BERLIN)
    # Across the change to summer time it is still 9:00 on the clock.
    before_dst = datetime(2027, 3, 27, 12, 0, tzinfo=BERLIN)
    assert tomorrow_morning(before_dst, BERLIN).utcoffset() == timedelta(hours=2)


def test_the_time_rule() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert time_problem(now + timedelta(hours=1), now) is None
    assert time_problem(now - timedelta(hours=2), now) is None  # pushed late by an offline desk
    assert time_problem(now - timedelta(days=2), now) == "That time is in the past."
    assert time_problem(now + timedelta(days=400), now) == "That is more than a year ahead."
    assert time_problem(datetime(2027, 1, 1, 9, 0), now) == "The time needs a time zone."
    assert time_problem(None, now) == "Choose a date and time."
