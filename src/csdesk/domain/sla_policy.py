"""The SLA policy a supervisor edits: targets per channel class and priority, and escalation.

Stored on the server as JSON (``server.sla.store``), synced to every desk. The defaults are the
constants of ``domain.sla_targets``, so a shop that never opens the editor keeps today's clocks.
``from_json`` validates everything a hostile or stale client could send: every duration is
positive and at most ``MAX_TARGET``; thresholds are bounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, get_args

from csdesk.domain.business_calendar import BusinessCalendar, add_business_time
from csdesk.domain.enums import Channel, Priority
from csdesk.domain.sla_targets import FIRST_RESPONSE, RESOLUTION, SlaClass, sla_class

__all__ = [
    "CLASSES",
    "MAX_TARGET",
    "Escalation",
    "SlaPolicy",
    "default_policy",
]

CLASSES: Final[tuple[SlaClass, ...]] = get_args(SlaClass)
MAX_TARGET: Final = timedelta(days=60)
MAX_WARN_MINUTES: Final = 7 * 24 * 60


def _seconds(value: Any, where: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: a number of seconds is needed")
    if (isinstance(value, float) and math.isnan(value)) or value <= 0:
        raise ValueError(f"{where}: must be more than zero")
    if value > MAX_TARGET.total_seconds():  # before timedelta(), which overflows on 1e308
        raise ValueError(f"{where}: at most {MAX_TARGET.days} days")
    return timedelta(seconds=float(value))


@dataclass(frozen=True, slots=True)
class Escalation:
    """When and how a conversation escalates.

    A running target is *about to breach* once ``warn_fraction`` of its span has passed or
    ``warn_minutes`` are left (whichever comes first; 0 turns that rule off). On a breach the
    server may raise the priority one step and/or move the conversation to the escalation team.
    """

    warn_fraction: float = 0.8
    warn_minutes: int = 0
    raise_priority: bool = False
    move_to_queue: bool = False

    def __post_init__(self) -> None:
        if math.isnan(self.warn_fraction) or not 0.05 <= self.warn_fraction <= 1.0:
            raise ValueError("warn_fraction must be between 0.05 and 1")
        if not 0 <= self.warn_minutes <= MAX_WARN_MINUTES:
            raise ValueError(f"warn_minutes must be between 0 and {MAX_WARN_MINUTES}")

    def warn_at(self, started: datetime, due: datetime) -> datetime:
        """When the warning level is reached for a clock from ``started`` to ``due``."""
        by_fraction = started + (due - started) * self.warn_fraction
        if self.warn_minutes:
            return min(by_fraction, due - timedelta(minutes=self.warn_minutes))
        return by_fraction


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    first_response: dict[SlaClass, dict[Priority, timedelta]]
    resolution: dict[Priority, timedelta]
    escalation: Escalation = field(default_factory=Escalation)

    def targets(
        self, channel: Channel | str, priority: Priority | str
    ) -> tuple[timedelta, timedelta]:
        level = Priority(priority)
        return self.first_response[sla_class(channel)][level], self.resolution[level]

    def due_times(
        self,
        channel: Channel | str,
        priority: Priority | str,
        start: datetime,
        calendar: BusinessCalendar | None = None,
    ) -> tuple[datetime, datetime]:
        """(first response due, resolution due) on the team's calendar (None: 24/7)."""
        first, resolution = self.targets(channel, priority)
        return (
            add_business_time(calendar, start, first),
            add_business_time(calendar, start, resolution),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "first_response": {
                c: {p.value: int(self.first_response[c][p].total_seconds()) for p in Priority}
                for c in CLASSES
            },
            "resolution": {p.value: int(self.resolution[p].total_seconds()) for p in Priority},
            "escalation": {
                "warn_fraction": self.escalation.warn_fraction,
                "warn_minutes": self.escalation.warn_minutes,
                "raise_priority": self.escalation.raise_priority,
                "move_to_queue": self.escalation.move_to_queue,
            },
        }

    @classmethod
    def from_json(cls, data: Any) -> SlaPolicy:
        """A validated policy; ValueError names the first bad field. Missing parts default."""
        if not isinstance(data, dict):
            raise ValueError("the policy must be an object")
        base = default_policy()
        fr_in = data.get("first_response", {})
        res_in = data.get("resolution", {})
        esc_in = data.get("escalation", {})
        if not all(isinstance(x, dict) for x in (fr_in, res_in, esc_in)):
            raise ValueError("first_response, resolution and escalation must be objects")
        unknown = set(fr_in) - set(CLASSES)
        if unknown:
            raise ValueError(f"unknown channel class {sorted(unknown)[0]!r}")
        first: dict[SlaClass, dict[Priority, timedelta]] = {}
        for c in CLASSES:
            row = fr_in.get(c, {})
            if not isinstance(row, dict):
                raise ValueError(f"first_response.{c} must be an object")
            first[c] = _priorities(row, base.first_response[c], f"first_response.{c}")
        resolution = _priorities(res_in, base.resolution, "resolution")
        allowed = {"warn_fraction", "warn_minutes", "raise_priority", "move_to_queue"}
        if set(esc_in) - allowed:
            raise ValueError(f"unknown escalation option {sorted(set(esc_in) - allowed)[0]!r}")
        fraction = esc_in.get("warn_fraction", 0.8)
        minutes = esc_in.get("warn_minutes", 0)
        flags = [esc_in.get("raise_priority", False), esc_in.get("move_to_queue", False)]
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ValueError("escalation.warn_fraction must be a number")
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise ValueError("escalation.warn_minutes must be a whole number")
        if not all(isinstance(f, bool) for f in flags):
            raise ValueError("escalation.raise_priority and move_to_queue must be true or false")
        esc = Escalation(float(fraction), minutes, flags[0], flags[1])
        return cls(first, resolution, esc)


def _priorities(
    row: dict[str, Any], defaults: dict[Priority, timedelta], where: str
) -> dict[Priority, timedelta]:
    names = {p.value for p in Priority}
    bad = set(row) - names
    if bad:
        raise ValueError(f"{where}: unknown priority {sorted(bad)[0]!r}")
    return {
        p: _seconds(row[p.value], f"{where}.{p.value}") if p.value in row else defaults[p]
        for p in Priority
    }


def default_policy() -> SlaPolicy:
    """Today's constants (``domain.sla_targets``) with the default escalation."""
    return SlaPolicy(
        {c: dict(FIRST_RESPONSE[c]) for c in CLASSES},
        dict(RESOLUTION),
        Escalation(),
    )
