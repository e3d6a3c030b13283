"""The SLA clock of a conversation: which target matters now, and how close it is.

A conversation can have two targets, a first response and a resolution. The inbox shows one
badge, so :func:`sla_state` picks the *most urgent running* target: the first response while no
one has answered (unless the resolution is due even sooner), then the resolution. Snoozed and
resolved conversations are paused: nobody should be nagged about them.

Time is compared with aware datetimes only. A naive datetime is refused because guessing its zone
is how a badge ends up an hour wrong after a daylight-saving change.

The wording functions are kept apart from the state and take ``gettext``/``ngettext`` so that
this module stays free of our i18n layer: callers in ``csdesk.app`` pass the translating ones,
tests and logs use the English defaults.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from csdesk.domain.enums import ConversationStatus

__all__ = [
    "PAUSED_STATUSES",
    "AtRiskPolicy",
    "Gettext",
    "Ngettext",
    "SlaClock",
    "SlaState",
    "SlaStatus",
    "countdown_text",
    "duration_text",
    "require_aware",
    "sla_state",
    "sla_text",
    "waiting_text",
]

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def _source(message: str) -> str:
    return message


def _source_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


class SlaStatus(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"  # every target is settled, on time
    PAUSED = "paused"  # snoozed or resolved: the clock does not run
    NONE = "none"  # no target applies to this conversation


class SlaClock(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


PAUSED_STATUSES: frozenset[ConversationStatus] = frozenset(
    {ConversationStatus.SNOOZED, ConversationStatus.RESOLVED}
)


@dataclass(frozen=True, slots=True)
class AtRiskPolicy:
    """When a running target counts as at risk.

    A target is at risk once the time left is at most ``within`` or at most ``fraction`` of its
    whole span (when the span is known), whichever comes first: 15 minutes is plenty of warning
    for a one-hour first response but far too little for a three-day resolution.
    """

    within: timedelta = timedelta(minutes=15)
    fraction: float = 0.2

    def __post_init__(self) -> None:
        if self.within < timedelta(0):
            raise ValueError(f"at-risk time must not be negative, got {self.within}")
        if not 0.0 <= self.fraction <= 1.0 or math.isnan(self.fraction):
            raise ValueError(f"at-risk fraction must be between 0 and 1, got {self.fraction}")

    def threshold(self, due_at: datetime, started_at: datetime | None) -> timedelta:
        if started_at is None or started_at >= due_at:
            return self.within
        return max(self.within, (due_at - started_at) * self.fraction)


@dataclass(frozen=True, slots=True)
class SlaState:
    """Where the relevant target stands at one instant.

    ``remaining`` is the time left on a running clock (negative once overdue) and ``None`` when
    no clock runs (met, paused, none, or a first response that was already given late).
    """

    status: SlaStatus
    clock: SlaClock | None = None
    due_at: datetime | None = None
    remaining: timedelta | None = None


def require_aware(name: str, value: datetime | None) -> None:
    """Raise ``ValueError`` if ``value`` is a naive datetime; ``None`` is allowed."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def sla_state(
    now: datetime,
    *,
    status: ConversationStatus | str,
    first_response_due_at: datetime | None,
    resolution_due_at: datetime | None,
    first_response_at: datetime | None,
    started_at: datetime | None = None,
    policy: AtRiskPolicy = AtRiskPolicy(),  # frozen, so one shared default is safe
) -> SlaState:
    """The state of the most urgent running target at ``now``.

    ``started_at`` (when the clock started, usually the conversation's creation) lets the
    policy's fraction apply; without it only the fixed at-risk time is used. A target due at
    exactly ``now``, or answered exactly at its due time, is still on time.
    """
    require_aware("now", now)
    require_aware("first_response_due_at", first_response_due_at)
    require_aware("resolution_due_at", resolution_due_at)
    require_aware("first_response_at", first_response_at)
    require_aware("started_at", started_at)
    status = ConversationStatus(status)

    running: list[tuple[datetime, SlaClock]] = []
    if first_response_due_at is not None and first_response_at is None:
        running.append((first_response_due_at, SlaClock.FIRST_RESPONSE))
    if resolution_due_at is not None:
        running.append((resolution_due_at, SlaClock.RESOLUTION))

    if status in PAUSED_STATUSES:
        if not running:
            return SlaState(SlaStatus.PAUSED)
        due_at, clock = min(running, key=lambda item: item[0])
        return SlaState(SlaStatus.PAUSED, clock, due_at)

    if not running:
        if first_response_due_at is None or first_response_at is None:
            return SlaState(SlaStatus.NONE)
        settled = (
            SlaStatus.MET if first_response_at <= first_response_due_at else SlaStatus.BREACHED
        )
        return SlaState(settled, SlaClock.FIRST_RESPONSE, first_response_due_at)

    due_at, clock = min(running, key=lambda item: item[0])
    remaining = due_at - now
    if remaining < timedelta(0):
        return SlaState(SlaStatus.BREACHED, clock, due_at, remaining)
    if remaining <= policy.threshold(due_at, started_at):
        return SlaState(SlaStatus.AT_RISK, clock, due_at, remaining)
    return SlaState(SlaStatus.OK, clock, due_at, remaining)


# --- wording --------------------------------------------------------------------------------


def duration_text(minutes: int, *, ngettext: Ngettext = _source_plural) -> str:
    """A short duration for badges: "12 min", "1 h 5 min", "2 d 3 h" (minutes dropped past a day).

    The units go through ``ngettext`` although English abbreviations do not change: some
    languages inflect even their abbreviations.
    """
    if minutes < 60:
        return ngettext("{n} min", "{n} min", minutes).format(n=minutes)
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        hours_text = ngettext("{n} h", "{n} h", hours).format(n=hours)
        if not mins:
            return hours_text
        mins_text = ngettext("{n} min", "{n} min", mins).format(n=mins)
        return f"{hours_text} {mins_text}"
    days, hours = divmod(hours, 24)
    days_text = ngettext("{n} d", "{n} d", days).format(n=days)
    if not hours:
        return days_text
    rest_text = ngettext("{n} h", "{n} h", hours).format(n=hours)
    return f"{days_text} {rest_text}"


def countdown_text(
    remaining: timedelta, *, gettext: Gettext = _source, ngettext: Ngettext = _source_plural
) -> str:
    """ "due in 12 min" / "due now" / "overdue by 1 h 5 min".

    Time left is rounded up and time overdue rounded down, so the text never claims a deadline
    has passed before it has, nor that it is further away than it is.
    """
    seconds = remaining.total_seconds()
    if seconds > 0:
        text = duration_text(math.ceil(seconds / 60), ngettext=ngettext)
        return gettext("due in {duration}").format(duration=text)
    if seconds == 0:
        return gettext("due now")
    minutes = math.floor(-seconds / 60)
    if minutes == 0:
        return gettext("overdue by less than 1 min")
    text = duration_text(minutes, ngettext=ngettext)
    return gettext("overdue by {duration}").format(duration=text)


def sla_text(
    state: SlaState, *, gettext: Gettext = _source, ngettext: Ngettext = _source_plural
) -> str | None:
    """The badge text for ``state``, e.g. "first response due in 10 min"; ``None`` if no target.

    Paused and met targets get a short word rather than nothing, so a screen-reader user can
    tell "no SLA" from "SLA on hold".
    """
    if state.status is SlaStatus.NONE:
        return None
    if state.status is SlaStatus.PAUSED:
        return gettext("SLA paused")
    if state.status is SlaStatus.MET:
        return gettext("first response on time")
    if state.remaining is None:  # a first response given after its due time
        return gettext("first response was late")
    countdown = countdown_text(state.remaining, gettext=gettext, ngettext=ngettext)
    if state.clock is SlaClock.FIRST_RESPONSE:
        return gettext("first response {countdown}").format(countdown=countdown)
    return gettext("resolution {countdown}").format(countdown=countdown)


def waiting_text(
    since: datetime,
    now: datetime,
    *,
    gettext: Gettext = _source,
    ngettext: Ngettext = _source_plural,
) -> str:
    """How long a customer has waited, spelled out for speech: "waiting 5 minutes".

    Rounded down (the customer has waited *at least* this long); a ``since`` in the future, from
    a skewed clock, reads as just now rather than as a negative wait.
    """
    require_aware("since", since)
    require_aware("now", now)
    minutes = max(0, math.floor((now - since).total_seconds() / 60))
    if minutes == 0:
        return gettext("waiting less than a minute")
    if minutes < 60:
        return ngettext("waiting {n} minute", "waiting {n} minutes", minutes).format(n=minutes)
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        if not mins:
            return ngettext("waiting {n} hour", "waiting {n} hours", hours).format(n=hours)
        return gettext("waiting {hours} {minutes}").format(
            hours=ngettext("{n} hour", "{n} hours", hours).format(n=hours),
            minutes=ngettext("{n} minute", "{n} minutes", mins).format(n=mins),
        )
    days = hours // 24
    return ngettext("waiting {n} day", "waiting {n} days", days).format(n=days)
