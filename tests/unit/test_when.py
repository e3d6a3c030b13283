"""Times with their day when it is not today (issue 9, item 31)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from csdesk.app.when import moment

NOW = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)


def test_today_is_the_time_alone() -> None:
    assert moment(datetime(2026, 12, 4, 23, 59, tzinfo=UTC), NOW, UTC) == "23:59"


def test_tomorrow_and_yesterday_say_so() -> None:
    assert moment(datetime(2026, 12, 5, 14, 0, tzinfo=UTC), NOW, UTC) == "tomorrow 14:00"
    assert moment(datetime(2026, 12, 3, 9, 5, tzinfo=UTC), NOW, UTC) == "yesterday 09:05"


def test_other_days_give_the_date_and_another_year_the_year() -> None:
    # CLDR's British English joins date and time with a comma (csdesk.app.formats).
    assert moment(datetime(2026, 12, 8, 14, 0, tzinfo=UTC), NOW, UTC) == "8 Dec, 14:00"
    assert moment(datetime(2027, 1, 2, 8, 0, tzinfo=UTC), NOW, UTC) == "2 Jan 2027, 08:00"


def test_the_day_is_the_agents_local_day() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 16:30 UTC is 01:30 on the 5th in Tokyo; 14:00 UTC on the 5th is 23:00 there: today.
    assert moment(datetime(2026, 12, 5, 14, 0, tzinfo=UTC), NOW, tokyo) == "23:00"
    # In UTC the same instant is tomorrow.
    assert moment(datetime(2026, 12, 5, 14, 0, tzinfo=UTC), NOW, UTC) == "tomorrow 14:00"
