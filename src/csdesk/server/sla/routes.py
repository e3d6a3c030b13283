"""``/api/v1/sla``: the SLA policy and the teams' business calendars (docs/sla.md).

Everyone signed in reads them (an agent's desk shows its clocks from them); supervisors and
administrators write them (PUT here, or the ``sla.*`` push mutations, which share the checks).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select

from csdesk.domain.enums import Role
from csdesk.protocol import API_PREFIX, RejectCode
from csdesk.server.deps import CurrentUser, State, require
from csdesk.server.errors import ApiError
from csdesk.server.sla import mutations as ops
from csdesk.server.sla import store
from csdesk.storage import models as m

router = APIRouter(prefix=f"{API_PREFIX}/sla", tags=["sla"])

Editor = Annotated[m.User, Depends(require(Role.SUPERVISOR, Role.ADMIN))]
_STATUS = {RejectCode.NOT_FOUND: 404, RejectCode.FORBIDDEN: 403}


def _apply(state: Any, user: m.User, fn: Any, args: Any) -> None:
    from csdesk.server.sync.mutations import Reject

    with state.writes() as s:
        me = s.get(m.User, user.id)
        assert me is not None  # signed in a moment ago
        try:
            fn(s, me, args)
        except Reject as exc:
            raise ApiError.of(_STATUS.get(exc.code, 422), exc) from None
        s.commit()


@router.get("/policy", responses={401: {}})
def get_policy(state: State, _user: CurrentUser) -> dict[str, Any]:
    """The policy in force (the defaults until a supervisor saves one)."""
    with state.reads() as s:
        return store.policy_out(s)


@router.put("/policy", responses={401: {}, 403: {}, 422: {}})
def put_policy(state: State, user: Editor, body: ops.PolicyArgs) -> dict[str, Any]:
    """Replace the policy; durations in seconds, each > 0 and at most 60 days."""
    _apply(state, user, ops.save_policy, body)
    with state.reads() as s:
        return store.policy_out(s)


@router.get("/hours", responses={401: {}})
def list_hours(state: State, _user: CurrentUser) -> dict[str, Any]:
    """Every team's business calendar (teams without one work 24/7)."""
    with state.reads() as s:
        rows = s.scalars(select(m.TeamHours).order_by(m.TeamHours.id))
        return {"teams": [store.hours_out(r) for r in rows]}


class HoursBody(ops.HoursArgs):
    team_id: str = ""  # from the path


@router.put("/hours/{team_id}", responses={401: {}, 403: {}, 404: {}, 422: {}})
def put_hours(
    team_id: Annotated[str, Path(min_length=1, max_length=36)],
    state: State,
    user: Editor,
    body: HoursBody,
) -> dict[str, Any]:
    """Set one team's weekly hours (``Mon-Fri 09:00-17:00; Sat 10:00-13:00``), holidays (ISO
    dates) and IANA time zone."""
    args = ops.HoursArgs(
        team_id=team_id, hours=body.hours, timezone=body.timezone, holidays=body.holidays
    )
    _apply(state, user, ops.save_hours, args)
    with state.reads() as s:
        row = s.get(m.TeamHours, team_id)
        assert row is not None
        return store.hours_out(row)
