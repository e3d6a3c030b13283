"""Callback tasks: their states and the rules both the desk and the server check.

Standard library only. A callback is ``scheduled`` until its time, then ``due`` (the server
gives it to its agent, or to the queue when nobody has it or the agent did not acknowledge it
in time), and ends ``done`` (its call was placed) or ``cancelled``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Final

from csdesk.domain.phrase import Phrase


class CallbackStatus(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    DONE = "done"
    CANCELLED = "cancelled"


class CallbackKind(StrEnum):
    """What a callback task is for: a promised call, or a supervisor's follow-up of a low
    satisfaction score (``server.surveys.answer``), which the desk words as such."""

    CALLBACK = "callback"
    SURVEY_FOLLOW_UP = "survey_follow_up"


#: Callbacks still to be made (the list shows these).
OPEN_STATUSES: Final = frozenset({CallbackStatus.SCHEDULED.value, CallbackStatus.DUE.value})
MAX_NOTE: Final = 1000
#: How long the assigned agent's desk has to acknowledge a due callback before it goes to the
#: queue (the agent is offline or signed out). The server's default; see ServerConfig.
DEFAULT_GRACE: Final = timedelta(minutes=2)

#: What a click-to-call may ring first: an E.164 number or a Twilio client name.
_E164: Final = re.compile(r"^\+[1-9]\d{6,14}$")
_CLIENT: Final = re.compile(r"^client:[A-Za-z0-9_.\-]{1,60}$")


def call_phone_problem(value: str) -> Phrase | None:
    """Why ``value`` cannot be an agent's call phone (None: it can)."""
    if _E164.match(value) or _CLIENT.match(value):
        return None
    return Phrase(
        "The call phone must be a number in international form (+4420…) "
        "or client:NAME for a desk client."
    )


def is_dialable(number: str) -> bool:
    """Whether ``number`` is a customer's phone a call can be placed to (E.164)."""
    return bool(_E164.match(number))
