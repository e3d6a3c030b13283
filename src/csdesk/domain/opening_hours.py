"""Opening hours (the chat widget's, and each team's business hours for SLA clocks).

The spec is one short line an operator can write in an environment variable, e.g.
``"Mon-Fri 09:00-17:30; Sat 10:00-14:00"``, read in one IANA time zone.  No spec means the
chat is always open.  Windows never cross midnight; write two windows for a night shift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(
    r"^\s*(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


@dataclass(frozen=True, slots=True)
class Window:
    weekdays: frozenset[int]  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class OpeningHours:
    windows: tuple[Window, ...]
    zone: ZoneInfo
    spec: str

    def is_open(self, now: datetime) -> bool:
        """Whether ``now`` (aware) falls in a window; an empty spec is always open."""
        if not self.windows:
            return True
        local = now.astimezone(self.zone)
        t = local.time().replace(tzinfo=None)
        return any(local.weekday() in w.weekdays and w.start <= t < w.end for w in self.windows)


def _clock(text: str) -> time:
    hours, minutes = (int(p) for p in text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"not a time of day: {text!r}")
    return time(hours, minutes)


def _days(text: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        first, _, last = (p.strip() for p in part.partition("-"))
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day in {part.strip()!r}; use Mon, Tue, … Sun")
        a, b = DAYS.index(first), DAYS.index(last or first)
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        out.update(span)
    return frozenset(out)


def parse(spec: str | None, zone: str = "UTC") -> OpeningHours:
    """Read a spec such as ``"Mon-Fri 09:00-17:00; Sat 10:00-13:00"``; ValueError says why."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    windows = []
    for chunk in (spec or "").split(";"):
        if not chunk.strip():
            continue
        found = _WINDOW.match(chunk.lower())
        if found is None:
            raise ValueError(
                f"cannot read opening hours {chunk.strip()!r} (e.g. Mon-Fri 09:00-17:00)"
            )
        start, end = _clock(found["start"]), _clock(found["end"])
        if end <= start:
            raise ValueError(f"{chunk.strip()!r} ends before it starts")
        windows.append(Window(_days(found["days"]), start, end))
    return OpeningHours(tuple(windows), tz, (spec or "").strip())
