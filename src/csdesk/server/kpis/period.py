"""The time range a KPI table covers, and its days, in the caller's time zone.

``today`` runs from local midnight to now; ``7d`` and ``30d`` are today and the 6 or 29 whole
days before it; ``custom`` runs from local midnight of ``from`` to local midnight after ``to``
(both dates inclusive). Every bound is turned into UTC here, day by day, so a daylight-saving
change makes that day 23 or 25 hours long instead of shifting every later day by an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from csdesk.domain.phrase import Phrase, PhraseError

PERIODS: Final = ("today", "7d", "30d", "custom")
_DAYS: Final = {"today": 1, "7d": 7, "30d": 30}
#: The longest custom range: a year of daily buckets (and a leap day).
MAX_DAYS: Final = 366
#: The earliest day a custom period may start (nothing a desk keeps is older).
FIRST_DAY: Final = date(1970, 1, 2)
_MAX_TZ: Final = 64


class PeriodError(PhraseError):
    """A period the caller asked for that cannot be served; ``phrase`` says why."""


@dataclass(frozen=True, slots=True)
class Period:
    name: str
    timezone: str
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive
    days: tuple[date, ...]  # the local dates covered, in order
    #: ``len(days) + 1`` UTC instants: day ``i`` is ``[bounds[i], bounds[i + 1])``.
    bounds: tuple[datetime, ...]

    def day_range(self, day: date) -> tuple[datetime, datetime]:
        try:
            i = self.days.index(day)
        except ValueError:
            raise PeriodError(
                Phrase("day {day} is not in the period", day=day.isoformat())
            ) from None
        return self.bounds[i], self.bounds[i + 1]


def zone(name: str) -> ZoneInfo:
    if not name or len(name) > _MAX_TZ or not name.isprintable() or ".." in name:
        raise PeriodError(Phrase("tz must be an IANA time zone name such as Europe/Paris"))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PeriodError(
            Phrase("unknown time zone {name}; use an IANA name such as UTC", name=repr(name))
        ) from None


def parse_day(name: str, value: str) -> date:
    if len(value) != 10:
        raise PeriodError(Phrase("{name} must be a date written YYYY-MM-DD", name=name))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError(Phrase("{name} must be a date written YYYY-MM-DD", name=name)) from None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def resolve(
    name: str,
    *,
    now: datetime,
    tz_name: str = "UTC",
    start_day: str | None = None,
    end_day: str | None = None,
) -> Period:
    """The period called ``name`` as seen at ``now`` (aware) in time zone ``tz_name``."""
    if name not in PERIODS:
        raise PeriodError(
            Phrase(
                "period must be one of {choices}, not {name}",
                choices=", ".join(PERIODS),
                name=repr(name[:40]),
            )
        )
    tz = zone(tz_name)
    if name == "custom":
        if start_day is None or end_day is None:
            raise PeriodError(Phrase("period=custom needs both from and to (YYYY-MM-DD)"))
        first, last = parse_day("from", start_day), parse_day("to", end_day)
        if last < first:
            raise PeriodError(Phrase("to must not be before from"))
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(Phrase("a custom period covers at most {n} days", n=MAX_DAYS))
        if first < FIRST_DAY:  # the figures reach back a day before the period: year 1 broke
            raise PeriodError(Phrase("from and to are out of range of the calendar"))
        days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
        try:  # 9999-12-31 has no next day; 0001-01-01 east of UTC starts in year 0
            bounds = tuple(_midnight(d, tz) for d in (*days, last + timedelta(days=1)))
        except OverflowError:
            raise PeriodError(Phrase("from and to are out of range of the calendar")) from None
        return Period(name, tz_name, bounds[0], bounds[-1], days, bounds)
    if start_day is not None or end_day is not None:
        raise PeriodError(Phrase("from and to go with period=custom only"))
    today = now.astimezone(tz).date()
    count = _DAYS[name]
    days = tuple(today - timedelta(days=count - 1 - i) for i in range(count))
    bounds = (*(_midnight(d, tz) for d in days), now.astimezone(UTC))
    return Period(name, tz_name, bounds[0], bounds[-1], days, bounds)
