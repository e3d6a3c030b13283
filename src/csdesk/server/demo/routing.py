"""The demo's routing rules and agents' skills (docs/routing.md): German to the colleagues who
speak it, refunds made high priority, VIP customers to the VIP team by least load, and an
automatic reply outside working hours (switched off). They run on every conversation the demo's
simulator brings in, and a supervisor edits them with Ctrl+Alt+E."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.server.demo.policy import VIP_TEAM
from csdesk.server.feed import log as feed
from csdesk.storage import models as m

#: The demo staff's languages (empty: any), by username.
SKILLS: dict[str, list[str]] = {
    "demo": ["en"],
    "alex": ["en", "fr"],
    "priya": ["en", "de"],
    "mateo": ["en", "es", "de"],
}

AFTER_HOURS = (
    "Thank you for writing to us. Our team is offline until 08:00; we will answer you first "
    "thing in the morning."
)


Spec = tuple[str, dict[str, Any], dict[str, Any], bool]


def _rules(vip_team: str | None) -> list[Spec]:
    rules: list[Spec] = [
        ("German to German speakers", {"languages": ["de"]}, {"assign": "round_robin"}, False),
        (
            "Refunds are high priority",
            {"keywords": ["refund", "money back", "chargeback", "Rückerstattung"]},
            {"priority": "high", "add_tags": ["refund"]},
            False,
        ),
    ]
    if vip_team is not None:
        rules.append(
            (
                "VIP customers to the VIP team",
                {"tags": ["vip"]},
                {"team_id": vip_team, "assign": "least_load"},
                True,
            )
        )
    rules.append(
        (
            "Automatic reply after hours",
            {"channels": ["email"], "hours": {"start": "18:00", "end": "08:00"}},
            {"auto_reply": AFTER_HOURS},
            False,
        )
    )
    return rules


def seed_routing(s: Session, at: datetime) -> int:
    """The rules and skills above; the number of feed items written."""
    users = {u.username: u for u in s.scalars(select(m.User))}
    vip = s.scalar(select(m.Team.id).where(m.Team.name == VIP_TEAM))
    sam = users.get("sam")
    rows: list[m.Base] = []
    for n, (name, conditions, actions, stop) in enumerate(_rules(vip), start=1):
        rows.append(
            m.RoutingRule(
                id=f"00000000-0000-4000-8000-{n:012d}",
                realm="production",
                name=name,
                position=n,
                # The after-hours reply is shown switched off: the demo has no mail server.
                enabled=not actions.get("auto_reply"),
                stop=stop,
                conditions=conditions,
                actions=actions,
                updated_by_id=sam.id if sam else None,
                created_at=at,
                updated_at=at,
            )
        )
    for username, languages in SKILLS.items():
        user = users.get(username)
        if user is not None:
            rows.append(
                m.AgentSkills(
                    id=user.id,
                    realm="production",
                    languages=languages,
                    channels=[],
                    set_by_id=sam.id if sam else None,
                    created_at=at,
                    updated_at=at,
                )
            )
    s.add_all(rows)
    s.flush()
    feed.append(s, [feed.item_for(r) for r in rows])
    return len(rows)
