"""The demo's macros and shared canned responses (docs/macros.md): "Refund approved", "Where is
my order", "Close as spam" for everyone in both realms, a returns-team canned response in three
languages, and the demo agent's own (personal) macro and canned response, which only their desk
receives. Everyone's replies name the catalogue's canned responses by shortcut (``/refund``,
``/track``), so the customer gets them in their own language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Realm
from csdesk.server.demo.policy import RETURNS_TEAM
from csdesk.server.feed import log as feed
from csdesk.storage import models as m

MacroSpec = tuple[str, list[dict[str, Any]], int]

#: Everyone's macros: title, actions, uses so far (so the chooser's order means something).
SHARED_MACROS: tuple[MacroSpec, ...] = (
    (
        "Refund approved",
        [
            {"kind": "reply", "canned": "/refund"},
            {"kind": "tags", "add": ["refund-approved"]},
            {"kind": "status", "status": "resolved"},
        ],
        42,
    ),
    (
        "Where is my order",
        [
            {"kind": "reply", "canned": "/track"},
            {"kind": "tags", "add": ["wismo"]},
            {"kind": "status", "status": "pending"},
        ],
        87,
    ),
    (
        "Close as spam",
        [
            {"kind": "tags", "add": ["spam"]},
            {"kind": "priority", "priority": "low"},
            {"kind": "note", "text": "Closed as spam: no reply sent."},
            {"kind": "status", "status": "resolved"},
        ],
        13,
    ),
    (
        "Escalate to a supervisor",
        [
            {"kind": "priority", "priority": "urgent"},
            {"kind": "assign", "to": "nobody"},
            {"kind": "note", "text": "Escalated: please take over, see the thread above."},
        ],
        5,
    ),
)

#: The returns team's canned response, in three languages (one row per language).
RETURNS_LABEL: dict[str, tuple[str, str]] = {
    "en": (
        "Return label sent",
        "Hi {first_name}, your return label for order {order_number} is attached. "
        "Drop the parcel at any {carrier} point within 14 days.\n\n{agent_first_name}",
    ),
    "de": (
        "Rücksendeetikett gesendet",
        "Hallo {first_name}, anbei das Rücksendeetikett für Bestellung {order_number}. "
        "Bitte geben Sie das Paket innerhalb von 14 Tagen bei {carrier} ab.\n\n{agent_first_name}",
    ),
    "fr": (
        "Étiquette de retour envoyée",
        "Bonjour {first_name}, voici l'étiquette de retour de la commande {order_number}. "
        "Déposez le colis dans un point {carrier} sous 14 jours.\n\n{agent_first_name}",
    ),
}

PERSONAL_MACRO: MacroSpec = (
    "Chase the carrier tomorrow",
    [
        {"kind": "note", "text": "Asked the carrier for news; look again tomorrow."},
        {"kind": "tags", "add": ["carrier-chase"]},
        {"kind": "snooze", "hours": 24},
    ],
    3,
)
PERSONAL_CANNED = (
    "My sign-off",
    "/me",
    "Have a lovely day, {first_name}!\n{agent_name}, Fernhill Outfitters customer care",
)


def _id(n: int) -> str:
    return f"00000000-0000-4000-9000-{n:012d}"


def seed_macros(s: Session, at: datetime) -> int:
    """The macros and canned responses above; the number of feed items written."""
    users = {u.username: u for u in s.scalars(select(m.User))}
    returns = s.scalar(select(m.Team.id).where(m.Team.name == RETURNS_TEAM))
    sam, demo = users.get("sam"), users.get("demo")
    created = at - timedelta(days=30)
    rows: list[m.Base] = []
    n = 0
    for realm in (Realm.PRODUCTION.value, Realm.TRAINING.value):
        for title, actions, uses in SHARED_MACROS:
            n += 1
            rows.append(
                m.Macro(
                    id=_id(n),
                    realm=realm,
                    title=title,
                    actions=actions,
                    scope="everyone",
                    owner_id=sam.id if sam else None,
                    team_id=None,
                    use_count=uses,
                    created_at=created,
                    updated_at=created,
                )
            )
    if returns is not None:
        for lang, (title, body) in RETURNS_LABEL.items():
            n += 1
            rows.append(
                m.CannedResponse(
                    id=_id(n),
                    realm=Realm.PRODUCTION.value,
                    title=title,
                    shortcut="/label",
                    body=body,
                    channel=None,
                    language=lang,
                    scope="team",
                    owner_id=sam.id if sam else None,
                    team_id=returns,
                    use_count=7,
                    created_at=created,
                    updated_at=created,
                )
            )
    if demo is not None:
        title, actions, uses = PERSONAL_MACRO
        rows.append(
            m.Macro(
                id=_id(n + 1),
                realm=Realm.PRODUCTION.value,
                title=title,
                actions=actions,
                scope="personal",
                owner_id=demo.id,
                team_id=None,
                use_count=uses,
                created_at=created,
                updated_at=created,
            )
        )
        title, shortcut, body = PERSONAL_CANNED
        rows.append(
            m.CannedResponse(
                id=_id(n + 2),
                realm=Realm.PRODUCTION.value,
                title=title,
                shortcut=shortcut,
                body=body,
                channel=None,
                language="en",
                scope="personal",
                owner_id=demo.id,
                team_id=None,
                use_count=uses,
                created_at=created,
                updated_at=created,
            )
        )
    s.add_all(rows)
    s.flush()
    feed.append(s, [feed.item_for(r) for r in rows])
    return len(rows)
