"""The stored SLA policy and team calendars, and the due times they give (docs/sla.md).

One policy row (``POLICY_ID``); no row means the defaults of ``domain.sla_targets``. A team
without a ``team_hours`` row works 24/7. Ingest, the demo data and the escalation scan all take
their clocks from here, so a supervisor's edit changes every new conversation's targets.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from csdesk.domain.business_calendar import MAX_HOLIDAYS, BusinessCalendar, calendar_from
from csdesk.domain.enums import Channel, Priority, Realm
from csdesk.domain.sla_policy import SlaPolicy, default_policy
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)

POLICY_ID: Final = "default"
#: The ``team_hours`` row of the shop itself: the calendar of conversations with no team.
SHOP_HOURS_ID: Final = "shop"
MAX_HOURS_SPEC: Final = 500


def load_policy(session: Session) -> SlaPolicy:
    """The stored policy, or the defaults (also when the stored JSON no longer validates)."""
    row = session.get(m.SlaPolicyRow, POLICY_ID)
    if row is None:
        return default_policy()
    try:
        return SlaPolicy.from_json(row.policy)
    except ValueError:
        log.exception("the stored SLA policy is invalid; using the defaults")
        return default_policy()


def save_policy(
    session: Session, policy: SlaPolicy, by: str | None, at: datetime | None = None
) -> m.SlaPolicyRow:
    when = at or utcnow()
    row = session.get(m.SlaPolicyRow, POLICY_ID)
    if row is None:
        row = m.SlaPolicyRow(id=POLICY_ID, realm=Realm.PRODUCTION.value, policy={}, created_at=when)
        session.add(row)
    row.policy = policy.to_json()
    row.updated_by_id = by
    row.updated_at = when
    return row


def check_hours(hours: str, timezone: str, holidays: list[Any]) -> BusinessCalendar:
    """The calendar these settings make; ValueError with the reason when they are bad."""
    if len(hours) > MAX_HOURS_SPEC:
        raise ValueError(f"the hours are longer than {MAX_HOURS_SPEC} characters")
    if len(holidays) > MAX_HOLIDAYS:
        raise ValueError(f"at most {MAX_HOLIDAYS} holidays")
    return calendar_from(hours, timezone, holidays)


def save_hours(
    session: Session,
    team_id: str,
    hours: str,
    timezone: str,
    holidays: list[date],
    at: datetime | None = None,
) -> m.TeamHours:
    when = at or utcnow()
    row = session.get(m.TeamHours, team_id)
    if row is None:
        row = m.TeamHours(id=team_id, realm=Realm.PRODUCTION.value, created_at=when)
        session.add(row)
    row.hours = hours.strip()
    row.timezone = timezone
    row.holidays = sorted(d.isoformat() for d in set(holidays))
    row.updated_at = when
    return row


def team_calendar(session: Session, team_id: str | None) -> BusinessCalendar | None:
    """The team's calendar (no team: the shop's); None (24/7) when there is no row or it no
    longer reads."""
    row = session.get(m.TeamHours, team_id or SHOP_HOURS_ID)
    if row is None:
        return None
    try:
        return calendar_from(row.hours, row.timezone, row.holidays or [])
    except ValueError:
        log.exception("team %s has unreadable business hours; its clocks run 24/7", team_id)
        return None


def due_times(
    session: Session,
    channel: Channel | str,
    priority: Priority | str,
    start: datetime,
    team_id: str | None = None,
    policy: SlaPolicy | None = None,
) -> tuple[datetime, datetime]:
    """(first response due, resolution due) from the stored policy on the team's calendar."""
    pol = policy if policy is not None else load_policy(session)
    return pol.due_times(channel, priority, start, team_calendar(session, team_id))


def follow_changes(session: Session, conv: m.Conversation) -> None:
    """Re-derive a conversation's running SLA clocks after its priority or team changed.

    A clock that has stopped (first response given, conversation resolved) keeps its due time;
    a running one is recomputed from the conversation's start under the new priority's targets
    on the new team's calendar, so the inbox chip, the floor and the escalation scan agree.
    One that was on time and is overdue under the new targets becomes due now.
    """
    first, resolution = due_times(
        session, conv.channel, conv.priority, conv.created_at, conv.team_id
    )
    now = utcnow()

    def moved(before: datetime | None, after: datetime) -> datetime:
        # A clock on time before the change and overdue after it is due now: the escalation
        # scan looks back only an hour, so a due time days ago would never be escalated.
        return now if before is not None and before >= now and after < now else after

    if conv.first_response_at is None:
        conv.first_response_due_at = moved(conv.first_response_due_at, first)
    if conv.resolved_at is None:
        conv.resolution_due_at = moved(conv.resolution_due_at, resolution)


def policy_out(session: Session) -> dict[str, Any]:
    row = session.get(m.SlaPolicyRow, POLICY_ID)
    return {
        "policy": load_policy(session).to_json(),
        "stored": row is not None,
        "updated_at": row.updated_at.isoformat() if row is not None else None,
        "updated_by_id": row.updated_by_id if row is not None else None,
    }


def hours_out(row: m.TeamHours) -> dict[str, Any]:
    return {
        "team_id": row.id,
        "hours": row.hours,
        "timezone": row.timezone,
        "holidays": list(row.holidays or []),
    }
