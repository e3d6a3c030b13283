"""SLA clocks on a team's business calendar: they run only inside business hours.

A team's calendar is its weekly opening hours (the same spec as the chat's, read by
``domain.opening_hours``), its holidays (whole local dates) and its IANA time zone. A due time
is found by walking the calendar's open intervals from the start and spending the target's
duration inside them. Intervals are built from local wall-clock times and converted to UTC per
day, so a spring-forward day is an hour shorter and a fall-back day an hour longer, as the
people working it experience. Adjacent windows (a night shift written as ``22:00-24:00`` and
``00:00-06:00`` the next day) simply join. No calendar means 24/7: the due time is start plus
the duration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from csdesk.domain.opening_hours import OpeningHours, parse

__all__ = ["MAX_HOLIDAYS", "BusinessCalendar", "add_business_time", "calendar_from"]

MAX_HOLIDAYS = 400
#: How far the walk looks ahead before it gives up (a calendar with no open time at all).
_HORIZON_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    hours: OpeningHours
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def always_open(self) -> bool:
        return not self.hours.windows and not self.holidays

    def open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC, in order, merged when they touch) that end after ``start``."""
        zone = self.hours.zone
        day = start.astimezone(zone).date() - timedelta(days=1)  # a night shift from yesterday
        pending: tuple[datetime, datetime] | None = None
        for _ in range(_HORIZON_DAYS):
            for a, b in self._day(day):
                if b <= start:
                    continue
                if pending is not None and a <= pending[1]:
                    pending = (pending[0], max(pending[1], b))
                    continue
                if pending is not None:
                    yield pending
                pending = (a, b)
            day += timedelta(days=1)
        if pending is not None:
            yield pending

    def _day(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        zone = self.hours.zone
        windows = self.hours.windows or ()
        spans: list[tuple[time, time | None]]
        if not windows:  # holidays only: every other day is open all day
            spans = [(time.min, None)]
        else:
            spans = [(w.start, w.end) for w in windows if day.weekday() in w.weekdays]
        out = []
        for begin, end in sorted(spans, key=lambda span: span[0]):
            a = datetime.combine(day, begin, zone).astimezone(UTC)
            if end is None or end == time.max:
                b = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
            else:
                b = datetime.combine(day, end, zone).astimezone(UTC)
            if b > a:
                out.append((a, b))
        return out


def calendar_from(
    spec: str | None, timezone: str, holidays: Iterable[date | str] = ()
) -> BusinessCalendar:
    """A calendar from a team's stored settings; ValueError says what is wrong."""
    days: set[date] = set()
    for h in holidays:
        days.add(h if isinstance(h, date) else date.fromisoformat(str(h)))
    if len(days) > MAX_HOLIDAYS:
        raise ValueError(f"at most {MAX_HOLIDAYS} holidays")
    return BusinessCalendar(parse(spec, timezone or "UTC"), frozenset(days))


def add_business_time(
    calendar: BusinessCalendar | None, start: datetime, duration: timedelta
) -> datetime:
    """When ``duration`` of business time has passed after ``start`` (aware, returned in UTC).

    A start outside business hours waits for the next opening. A calendar with no open time in
    the next three years gives start + duration rather than no due time at all.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got {start!r}")
    start = start.astimezone(UTC)
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if calendar is None or calendar.always_open:
        return start + duration
    left = duration
    for a, b in calendar.open_intervals(start):
        a = max(a, start)
        if b - a >= left:
            return a + left
        left -= b - a
    return start + duration
