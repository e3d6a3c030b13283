"""The demo's SLA policy (docs/sla.md): the default targets stored, so the editor shows them and
the demo threads' clocks (generated from the same defaults) agree with it; business hours for
the demo teams, in the shop's time zone; and an "Escalations" team for breached conversations.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Realm
from csdesk.domain.sla_policy import Escalation, SlaPolicy, default_policy
from csdesk.server.demo.policy import FRONT_TEAM, RETURNS_TEAM
from csdesk.server.feed import log as feed
from csdesk.server.sla import store
from csdesk.server.sla.escalation_queue import escalation_team_name
from csdesk.storage import models as m

TIMEZONE = "Europe/London"
#: Tier 1 works long days and Saturdays, Returns office hours, VIP around the clock (no row).
HOURS = {
    FRONT_TEAM: "Mon-Fri 08:00-20:00; Sat 09:00-17:00",
    RETURNS_TEAM: "Mon-Fri 09:00-17:30",
}
HOLIDAYS = ("12-25", "12-26", "01-01")


def seed(s: Session, at: datetime) -> int:
    """The policy, the teams' hours and the escalation team; returns the feed rows written."""
    policy = default_policy()
    policy = SlaPolicy(
        policy.first_response,
        policy.resolution,
        Escalation(warn_fraction=0.8, warn_minutes=15, raise_priority=True, move_to_queue=False),
    )
    rows: list[m.Base] = [store.save_policy(s, policy, None, at)]
    years = (at.year, at.year + 1)
    holidays = [datetime.fromisoformat(f"{y}-{d}").date() for y in years for d in HOLIDAYS]
    for name, hours in HOURS.items():
        team_id = s.scalar(select(m.Team.id).where(m.Team.name == name))
        if team_id is not None:
            rows.append(store.save_hours(s, team_id, hours, TIMEZONE, holidays, at))
    rows.append(store.save_hours(s, store.SHOP_HOURS_ID, "", TIMEZONE, holidays, at))
    name = escalation_team_name()
    if s.scalar(select(m.Team.id).where(m.Team.name == name)) is None:
        team = m.Team(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, "csdesk-demo:team:" + name)),
            realm=Realm.PRODUCTION.value,
            name=name,
            created_at=at,
            updated_at=at,
        )
        s.add(team)
        rows.append(team)
    s.flush()
    feed.append(s, [feed.item_for(row) for row in rows])
    return len(rows)
