"""The SLA policy editor's use cases: read the policy and the teams' calendars from the cache,
queue a supervisor's changes as ``sla.*`` mutations (docs/sla.md). The server validates again
and the feed brings the saved rows back to every desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from csdesk.app.workstation import Workstation
from csdesk.domain.sla_policy import SlaPolicy, default_policy
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet

EDITOR_ROLES = frozenset({"supervisor", "admin"})
#: The calendar of conversations with no team (``server.sla.store.SHOP_HOURS_ID``).
SHOP_HOURS_ID = "shop"
POLICY_ID = "default"


@dataclass(frozen=True, slots=True)
class TeamCalendar:
    team_id: str
    name: str
    hours: str
    timezone: str
    holidays: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class SlaSettings:
    policy: SlaPolicy
    teams: tuple[TeamCalendar, ...]


def load(ws: Workstation, shop_name: str) -> SlaSettings:
    """What the desk knows of the policy and calendars (defaults where nothing is stored)."""
    with ws.cache.session() as s:
        row = s.get(m.SlaPolicyRow, POLICY_ID)
        try:
            policy = SlaPolicy.from_json(row.policy) if row is not None else default_policy()
        except ValueError:
            policy = default_policy()
        stored = {h.id: h for h in s.scalars(select(m.TeamHours))}
        teams = [(SHOP_HOURS_ID, shop_name)]
        teams += [(t.id, t.name) for t in s.scalars(select(m.Team).order_by(m.Team.name))]
        out = []
        for tid, tname in teams:
            h = stored.get(tid)
            days: list[date] = []
            for d in (h.holidays or []) if h is not None else []:
                try:
                    days.append(date.fromisoformat(str(d)))
                except ValueError:
                    continue
            out.append(
                TeamCalendar(
                    tid,
                    tname,
                    h.hours if h is not None else "",
                    h.timezone if h is not None else "UTC",
                    tuple(sorted(days)),
                )
            )
    return SlaSettings(policy, tuple(out))


def save(ws: Workstation, policy: SlaPolicy | None, calendars: list[TeamCalendar]) -> ChangeSet:
    """Queue the changed policy (None: unchanged) and each changed calendar."""
    pairs: list[tuple[Entity, str]] = []
    if policy is not None:
        ws.engine.enqueue(MutationType.SLA_POLICY_SAVE, {"policy": policy.to_json()})
        pairs.append((Entity.SLA_POLICY, POLICY_ID))
    for cal in calendars:
        args: dict[str, Any] = {
            "team_id": cal.team_id,
            "hours": cal.hours,
            "timezone": cal.timezone,
            "holidays": [d.isoformat() for d in cal.holidays],
        }
        ws.engine.enqueue(MutationType.SLA_HOURS_SAVE, args)
        pairs.append((Entity.TEAM_HOURS, cal.team_id))
    return ChangeSet.of(pairs)
