"""An agent's status on the floor (issue 12). Standard library only.

Four statuses are the agent's own choice; two the server sets by itself: "On a call" while a
call the agent took has not ended, and "Offline" once the agent's desk has not been heard from
for a while. The shown status is worked out from those three facts by :func:`effective`, so
the automatic ones never overwrite what the agent chose: when the call ends, or the desk comes
back, the agent is in the status they chose again.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    ON_BREAK = "on_break"
    IN_TRAINING = "in_training"
    ON_CALL = "on_call"  # automatic: a call in progress
    OFFLINE = "offline"  # automatic: the desk is not connected


#: What an agent may choose; the other two are the server's.
CHOOSABLE: Final = (
    AgentStatus.AVAILABLE,
    AgentStatus.AWAY,
    AgentStatus.ON_BREAK,
    AgentStatus.IN_TRAINING,
)


def N_(text: str) -> str:
    """Marks a label for extraction (``pybabel -k N_``); the desk translates it when shown."""
    return text


#: English labels; the desk translates them (``_(LABELS[s])``).
LABELS: Final[dict[AgentStatus, str]] = {
    AgentStatus.AVAILABLE: N_("Available"),
    AgentStatus.AWAY: N_("Away"),
    AgentStatus.ON_BREAK: N_("On break"),
    AgentStatus.IN_TRAINING: N_("In training"),
    AgentStatus.ON_CALL: N_("On a call"),
    AgentStatus.OFFLINE: N_("Offline"),
}

#: The order lists show agents in: who can take work first, the disconnected last.
_RANK: Final[dict[AgentStatus, int]] = {
    AgentStatus.AVAILABLE: 0,
    AgentStatus.ON_CALL: 1,
    AgentStatus.AWAY: 2,
    AgentStatus.ON_BREAK: 3,
    AgentStatus.IN_TRAINING: 4,
    AgentStatus.OFFLINE: 5,
}


def parse(value: str | None) -> AgentStatus:
    """A stored or received status; anything unknown (or none yet) reads as offline."""
    try:
        return AgentStatus(value or "")
    except ValueError:
        return AgentStatus.OFFLINE


def effective(chosen: AgentStatus, *, on_call: bool, online: bool) -> AgentStatus:
    """The status everyone sees. A call wins over a closed desk: an agent can be on the
    phone (click-to-call rings their own phone) with the desk shut."""
    if on_call:
        return AgentStatus.ON_CALL
    if not online:
        return AgentStatus.OFFLINE
    return chosen


def is_available(status: AgentStatus | str | None) -> bool:
    """Whether automatic routing may give this agent new work."""
    return parse(status if isinstance(status, str) else None) == AgentStatus.AVAILABLE


def rank(status: AgentStatus | str | None) -> int:
    """Sort key: available agents before the others (see ``_RANK``)."""
    return _RANK[parse(status if isinstance(status, str) else None)]
