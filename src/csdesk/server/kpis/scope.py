"""Whose numbers a caller may see: an agent their own, a supervisor their team's, an admin all.

The rule is applied to every sample row's ``agent`` (who did the work or owns the
conversation) and ``team`` (the conversation's team), so the figures, the drill-down and
the CSV agree. A supervisor with no team supervises the whole floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from csdesk.domain.enums import Role
from csdesk.domain.phrase import Phrase, PhraseError
from csdesk.storage import models as m

Kind = Literal["own", "team", "all"]


class ScopeError(PhraseError):
    """The caller may not see KPIs (or not the ones asked for); ``phrase`` says why."""


@dataclass(frozen=True, slots=True)
class Scope:
    kind: Kind
    user_id: str
    team_id: str | None = None

    def clause(self, sub: Any) -> ColumnElement[bool]:
        if self.kind == "own":
            own: ColumnElement[bool] = sub.c.agent == self.user_id
            return own
        if self.kind == "team":
            members = select(m.User.id).where(m.User.team_id == self.team_id)
            return or_(sub.c.team == self.team_id, sub.c.agent.in_(members))
        return true()


def scope_of(user: m.User) -> Scope:
    """The caller's scope; a trainee's work is training, never a KPI."""
    if user.role == Role.AGENT.value:
        return Scope("own", user.id)
    if user.role == Role.SUPERVISOR.value:
        if user.team_id is None:
            return Scope("all", user.id)
        return Scope("team", user.id, user.team_id)
    if user.role == Role.ADMIN.value:
        return Scope("all", user.id)
    raise ScopeError(Phrase("trainees have no KPIs: sandbox work is reviewed as training"))
