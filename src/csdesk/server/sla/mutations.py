"""``sla.policy.save`` and ``sla.hours.save``: a supervisor's or administrator's edit of the
SLA policy and of a team's business calendar, pushed through the desk's outbox. Registered in
``server.sync.mutations.HANDLERS`` (``handlers()``); the PUT routes call the same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from csdesk.domain.business_calendar import MAX_HOLIDAYS
from csdesk.domain.enums import Role
from csdesk.domain.sla_policy import SlaPolicy
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.refusals import Param
from csdesk.server.sla import store
from csdesk.storage import audit
from csdesk.storage import models as m

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

#: Who may change the policy and the teams' hours.
EDITORS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class PolicyArgs(_Args):
    policy: dict[str, Any]


class HoursArgs(_Args):
    team_id: str = Field(min_length=1, max_length=36)
    hours: str = Field(default="", max_length=store.MAX_HOURS_SPEC)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    holidays: list[date] = Field(default_factory=list, max_length=MAX_HOLIDAYS)


def _editor(user: m.User) -> None:
    if user.role not in EDITORS:
        raise _reject(RejectCode.FORBIDDEN, "Only a supervisor can change the SLA policy.")


def save_policy(session: Session, user: m.User, a: PolicyArgs) -> None:
    _editor(user)
    try:
        policy = SlaPolicy.from_json(a.policy)
    except ValueError as exc:
        raise _reject(
            RejectCode.INVALID, "The SLA policy is not valid: {problem}.", problem=str(exc)
        ) from None
    before = store.load_policy(session).to_json()
    store.save_policy(session, policy, user.id)
    audit.record(
        session,
        user.id,
        MutationType.SLA_POLICY_SAVE,
        "sla_policy",
        store.POLICY_ID,
        before,
        policy.to_json(),
    )


def save_hours(session: Session, user: m.User, a: HoursArgs) -> None:
    _editor(user)
    if a.team_id != store.SHOP_HOURS_ID and session.get(m.Team, a.team_id) is None:
        raise _reject(RejectCode.NOT_FOUND, "That team does not exist.")
    try:
        store.check_hours(a.hours, a.timezone, list(a.holidays))
    except ValueError as exc:
        raise _reject(
            RejectCode.INVALID, "The business hours are not valid: {problem}.", problem=str(exc)
        ) from None
    old = session.get(m.TeamHours, a.team_id)
    before = store.hours_out(old) if old is not None else None
    row = store.save_hours(session, a.team_id, a.hours, a.timezone, list(a.holidays))
    audit.record(
        session,
        user.id,
        MutationType.SLA_HOURS_SAVE,
        "team_hours",
        a.team_id,
        before,
        store.hours_out(row),
    )


Handler = Callable[[Session, m.User, Any], None]


def handlers() -> dict[str, tuple[type[BaseModel], Handler]]:
    return {
        MutationType.SLA_POLICY_SAVE: (PolicyArgs, save_policy),
        MutationType.SLA_HOURS_SAVE: (HoursArgs, save_hours),
    }
