"""The service-level targets a new conversation starts with, by channel class and priority.

A chat or a call is expected to be answered within minutes, a message within hours, an email
within a working day. Live ingestion and the demo data both start their clocks from here, so
the numbers a support lead tunes sit in one place and the demo shows the same clocks as
production.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal

from csdesk.domain.enums import Channel, Priority

SlaClass = Literal["email", "messaging", "realtime"]

MINUTE: Final = timedelta(minutes=1)
HOUR: Final = timedelta(hours=1)
DAY: Final = timedelta(days=1)

_REALTIME: Final = frozenset({Channel.CHAT, Channel.PHONE})

FIRST_RESPONSE: Final[dict[SlaClass, dict[Priority, timedelta]]] = {
    "email": {
        Priority.URGENT: HOUR,
        Priority.HIGH: 4 * HOUR,
        Priority.NORMAL: 8 * HOUR,
        Priority.LOW: DAY,
    },
    "messaging": {
        Priority.URGENT: 30 * MINUTE,
        Priority.HIGH: HOUR,
        Priority.NORMAL: 2 * HOUR,
        Priority.LOW: 4 * HOUR,
    },
    "realtime": {
        Priority.URGENT: 10 * MINUTE,
        Priority.HIGH: 15 * MINUTE,
        Priority.NORMAL: 30 * MINUTE,
        Priority.LOW: HOUR,
    },
}
RESOLUTION: Final[dict[Priority, timedelta]] = {
    Priority.URGENT: 8 * HOUR,
    Priority.HIGH: DAY,
    Priority.NORMAL: 2 * DAY,
    Priority.LOW: 4 * DAY,
}


def sla_class(channel: Channel | str) -> SlaClass:
    if channel == Channel.EMAIL:
        return "email"
    return "realtime" if channel in _REALTIME else "messaging"


def due_times(
    channel: Channel | str, priority: Priority | str, start: datetime
) -> tuple[datetime, datetime]:
    """(first response due, resolution due) for a conversation opened at ``start``."""
    level = Priority(priority)
    return start + FIRST_RESPONSE[sla_class(channel)][level], start + RESOLUTION[level]
