"""Scheduled send and follow-up reminders: their states, the quick choices of time and the
rules both the desk and the server check (docs/scheduled-send.md). Standard library only.

A scheduled reply is held by the *server* (the desk may be closed when its time comes): it is
``scheduled`` until ``send_at``, then ``sent`` (handed to the channel like any reply) or
``failed`` (a channel rule refused it then, such as WhatsApp's 24-hour window); ``cancelled``
by hand before that. A reminder is ``pending`` until ``due_at``, then ``due`` (its owner's
desk announces it) or ``answered`` (it was conditional and the customer wrote meanwhile);
``dismissed`` by its owner.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Final


class ScheduledStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    DUE = "due"
    ANSWERED = "answered"
    DISMISSED = "dismissed"


#: Scheduling at most this far ahead.
MAX_AHEAD: Final = timedelta(days=366)
#: A time this little in the past is still taken (sent or due at once): a reply scheduled
#: offline reaches the server later than its author meant; anything older is refused.
PAST_GRACE: Final = timedelta(hours=24)
MAX_TEXT: Final = 20_000
MAX_NOTE: Final = 300
#: At 9 in the morning, the quick choices' "tomorrow" and "Monday".
MORNING: Final = time(9, 0)


def time_problem(at: datetime | None, now: datetime) -> str | None:
    """Why ``at`` cannot be a scheduled reply's or reminder's time (None: it can). English,
    one sentence; the server's refusal and the desk's dialog say the same."""
    if at is None:
        return "Choose a date and time."
    if at.tzinfo is None:
        return "The time needs a time zone."
    if at < now - PAST_GRACE:
        return "That time is in the past."
    if at - now > MAX_AHEAD:
        return "That is more than a year ahead."
    return None


def in_hours(now: datetime, hours: float) -> datetime:
    return now + timedelta(hours=hours)


def _morning(day: date, zone: tzinfo | None) -> datetime:
    if zone is None:  # the machine's zone, with its summer time on that day
        return datetime.combine(day, MORNING).astimezone()
    return datetime.combine(day, MORNING, tzinfo=zone)


def tomorrow_morning(now: datetime, zone: tzinfo | None = None) -> datetime:
    """9:00 tomorrow in ``zone`` (the agent's time zone; the machine's when None)."""
    return _morning(now.astimezone(zone).date() + timedelta(days=1), zone)


def monday_morning(now: datetime, zone: tzinfo | None = None) -> datetime:
    """9:00 next Monday in ``zone`` (a week ahead when today is Monday)."""
    local = now.astimezone(zone)
    return _morning(local.date() + timedelta(days=(7 - local.weekday()) % 7 or 7), zone)
