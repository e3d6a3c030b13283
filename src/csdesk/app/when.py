"""A moment in words an agent reads at a glance: "14:00", "tomorrow 14:00", "5 Dec 14:00".

A bare time is only right for today: the WhatsApp banner once said "open until 14:00" about
a window that closed at 14:00 the next day. Shown in the desk's local time zone.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from csdesk.app.formats import datetime_text, time_text
from csdesk.i18n import _

__all__ = ["moment"]


def moment(at: datetime, now: datetime, tz: tzinfo | None = None) -> str:
    """``at`` as the agent should read it at ``now``: the time alone when it is today, else
    with "tomorrow"/"yesterday" or the date (and the year when it is not this one).

    ``tz`` is for tests; by default the machine's local time zone."""
    local, today = at.astimezone(tz), now.astimezone(tz)
    time = time_text(local, tz)
    days = (local.date() - today.date()).days
    if days == 0:
        return time
    if days == 1:
        return _("tomorrow {time}").format(time=time)
    if days == -1:
        return _("yesterday {time}").format(time=time)
    return datetime_text(local, year=local.year != today.year, tz=tz)
