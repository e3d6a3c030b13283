"""``/api/v1/routing``: the dry run of a rule being edited (supervisors and administrators).

``POST /api/v1/routing/dry-run`` takes a rule's conditions and answers how many of the most
recent conversations (default 500, at most 2000) they would have matched, as they arrived
(first inbound message, channel, language, the customer's tier, tags and orders as they are
now). It reads only; the rules themselves are written by push mutations.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from csdesk.domain import routing as rules
from csdesk.protocol import API_PREFIX
from csdesk.server.deps import CurrentUser, State, realm_of
from csdesk.server.errors import ApiError
from csdesk.server.routing import facts
from csdesk.server.routing.mutations import EDITORS, ConditionArgs, stored

router = APIRouter(prefix=f"{API_PREFIX}/routing", tags=["routing"])

DEFAULT_SAMPLE: Final = 500
MAX_SAMPLE: Final = 2000


class DryRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conditions: ConditionArgs = Field(default_factory=ConditionArgs)
    limit: int = Field(default=DEFAULT_SAMPLE, ge=1, le=MAX_SAMPLE)


@router.post("/dry-run", responses={401: {}, 403: {}, 422: {}})
def dry_run(body: DryRunIn, state: State, user: CurrentUser) -> dict[str, Any]:
    """How many of the last ``limit`` conversations the conditions would have matched."""
    if user.role not in EDITORS:
        raise ApiError(403, "forbidden", "only supervisors and administrators test rules")
    conditions = rules.Conditions.of(stored(body.conditions))
    with state.reads() as s:
        sample = facts.recent(s, realm_of(user), body.limit)
    matched = sum(1 for f in sample if rules.matches(conditions, f))
    return {"matched": matched, "considered": len(sample), "limit": body.limit}
