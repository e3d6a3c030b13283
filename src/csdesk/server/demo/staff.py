"""The demo team: users to sign in as, teams to route to, canned responses to insert.

Every demo user has the same password (``DEMO_PASSWORD``); it is hashed once and the hash is
shared, because argon2 is deliberately slow and a demo seed should not spend a second on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from csdesk.domain.enums import Realm, Role
from csdesk.protocol import Entity
from csdesk.server.demo.catalog import Catalog
from csdesk.server.demo.common import Agent, Block, Staff, synced
from csdesk.server.demo.policy import FRONT_TEAM, RETURNS_TEAM, TEAM_NAMES, VIP_TEAM
from csdesk.server.demo.rand import DemoRandom

DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    team: str | None
    share: float  # of the production conversations assigned to agents


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo", "Demo Agent", Role.AGENT, FRONT_TEAM, 0.35),
    DemoUser("alex", "Alex Morgan", Role.AGENT, RETURNS_TEAM, 0.25),
    DemoUser("priya", "Priya Shah", Role.AGENT, VIP_TEAM, 0.2),
    DemoUser("mateo", "Mateo Ruiz", Role.AGENT, FRONT_TEAM, 0.2),
    DemoUser("sam", "Sam Okafor", Role.SUPERVISOR, None, 0.0),
    DemoUser("admin", "Store Admin", Role.ADMIN, None, 0.0),
    DemoUser("trainee", "Robin Trainee", Role.TRAINEE, FRONT_TEAM, 0.0),
)
#: The marker for "this database already has the demo store".
MARKER_USER = DEMO_USERS[0].username


def make_staff(
    rng: DemoRandom, block: Block, now: datetime, password_hash: str
) -> tuple[Staff, Staff]:
    """Teams and users into ``block``; the production and the training staff views."""
    created = now - timedelta(days=400)
    teams: dict[str, str] = {}
    for name in TEAM_NAMES:
        teams[name] = rng.uuid()
        row = {**synced(teams[name], Realm.PRODUCTION.value, created), "name": name}
        block.add(Entity.TEAM, row)
    agents: dict[str, Agent] = {}
    for i, u in enumerate(DEMO_USERS):
        uid = rng.uuid()
        agents[u.username] = Agent(uid, u.username, u.display_name)
        block.add(
            Entity.USER,
            {
                **synced(uid, Realm.PRODUCTION.value, created + timedelta(days=i)),
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role.value,
                "team_id": teams[u.team] if u.team else None,
                "active": True,
                "password_hash": password_hash,
                "call_phone": None,  # set with csdesk-server call-phone (click-to-call)
            },
        )
    workers = [u for u in DEMO_USERS if u.share > 0]
    production = Staff(
        agents=tuple(agents[u.username] for u in workers),
        agent_weights=tuple(accumulate(u.share for u in workers)),
        teams=teams,
    )
    # Trainees practise on their own sandbox; the demo agent answered the worked examples.
    trainee, coach = agents["trainee"], agents[MARKER_USER]
    training = Staff(
        agents=(trainee, coach), agent_weights=(0.6, 1.0), teams=teams, trainee=trainee
    )
    return production, training


def make_canned(rng: DemoRandom, catalog: Catalog, block: Block, realm: str, now: datetime) -> None:
    """Every language's canned responses, in ``realm`` (they are realm-scoped entities)."""
    created = now - timedelta(days=300)
    for lang in catalog.languages.values():
        for i, item in enumerate(lang.canned):
            block.add(
                Entity.CANNED_RESPONSE,
                {
                    **synced(rng.uuid(), realm, created + timedelta(hours=i)),
                    "title": item.title,
                    "shortcut": item.shortcut,
                    "body": item.body,
                    "channel": item.channel,
                    "language": lang.code,
                },
            )
