"""The escalation queue: the team a conversation moves to when it breaches or a rule sends it.

One definition shared by the escalation rules (``server.sla``) and the routing rules, so both
move conversations to the same place. A shop without such a team moves nothing.
"""

from __future__ import annotations

import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.storage.models import Team

DEFAULT_NAME = "Escalations"


def escalation_team_name() -> str:
    """The escalation team's name (``CSDESK_ESCALATION_TEAM``, "Escalations" when unset)."""
    return os.environ.get("CSDESK_ESCALATION_TEAM", "").strip() or DEFAULT_NAME


def escalation_team_id(session: Session) -> str | None:
    """The escalation team's id, or None when the shop has no team of that name."""
    return session.scalar(select(Team.id).where(Team.name == escalation_team_name()))
