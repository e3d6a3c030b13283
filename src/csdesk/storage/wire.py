"""Rows to wire dicts and back, derived from the models so no entity is hand-mapped twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table

from csdesk.protocol import Entity
from csdesk.storage import models as m
from csdesk.storage.types import UTCDateTime

ENTITY_MODELS: dict[Entity, type[m.Base]] = {
    Entity.USER: m.User,
    Entity.TEAM: m.Team,
    Entity.CUSTOMER: m.Customer,
    Entity.IDENTITY: m.CustomerIdentity,
    Entity.CONVERSATION: m.Conversation,
    Entity.MESSAGE: m.Message,
    Entity.ORDER: m.Order,
    Entity.ORDER_LINE: m.OrderLine,
    Entity.SHIPMENT: m.Shipment,
    Entity.RETURN: m.Return,
    Entity.ORDER_ACTION: m.OrderAction,
    Entity.CANNED_RESPONSE: m.CannedResponse,
    Entity.CALL: m.Call,
    Entity.CALL_SCRIPT: m.CallScript,
    Entity.IDENTITY_CLAIM: m.IdentityClaim,
    Entity.CUSTOMER_STATS: m.CustomerStats,
    Entity.CUSTOMER_EVENT: m.CustomerEvent,
    Entity.CALLBACK: m.Callback,
    Entity.OUTREACH: m.Outreach,
    Entity.SURVEY_ANSWER: m.SurveyAnswer,
    Entity.TRAINING_SCENARIO: m.TrainingScenario,
    Entity.QA_RUBRIC: m.QaRubric,
    Entity.QA_REVIEW: m.QaReview,
    Entity.AGENT_STATUS: m.AgentStatusRow,
    Entity.FLOOR_MESSAGE: m.FloorMessage,
}
# SLA policy and team business hours (docs/sla.md).
ENTITY_MODELS |= {Entity.SLA_POLICY: m.SlaPolicyRow, Entity.TEAM_HOURS: m.TeamHours}
MODEL_ENTITIES: dict[type[m.Base], Entity] = {v: k for k, v in ENTITY_MODELS.items()}
#: Entities every realm sees (they carry no customer data): staff, teams, agents' statuses.
GLOBAL_ENTITIES = frozenset({Entity.USER, Entity.TEAM, Entity.AGENT_STATUS})
#: Training scenarios reach every realm: supervisors (production) assign them, trainees play
#: them; their customers are fictional.
GLOBAL_ENTITIES |= {Entity.TRAINING_SCENARIO}
#: Entities whose feed rows only some readers of a realm pull: the feed realm they are written
#: under instead of their own (quality reviews: supervisors and administrators, docs/qa.md).
#: Routing rules and agents' skills (docs/routing.md) carry no customer data: every desk.
ENTITY_MODELS |= {Entity.ROUTING_RULE: m.RoutingRule, Entity.AGENT_SKILLS: m.AgentSkills}
MODEL_ENTITIES |= {m.RoutingRule: Entity.ROUTING_RULE, m.AgentSkills: Entity.AGENT_SKILLS}
GLOBAL_ENTITIES |= {Entity.ROUTING_RULE, Entity.AGENT_SKILLS}
FEED_AUDIENCES: dict[Entity, str] = {Entity.QA_REVIEW: "qa-leads"}
# Knowledge base (issue 14, docs/knowledge-base.md): staff articles, every desk, every realm.
ENTITY_MODELS |= {Entity.KB_ARTICLE: m.KbArticle, Entity.KB_VARIANT: m.KbVariant}
MODEL_ENTITIES |= {m.KbArticle: Entity.KB_ARTICLE, m.KbVariant: Entity.KB_VARIANT}
GLOBAL_ENTITIES |= {Entity.KB_ARTICLE, Entity.KB_VARIANT}

#: Fields the feed carries blank, because the feed is the whole realm's and they are one
#: user's: a message to one agent's desk (a supervisor's words, a quality score). The
#: recipient's desk reads them from the server (``GET /api/v1/floor/messages``).
FEED_PRIVATE: dict[Entity, tuple[str, ...]] = {Entity.FLOOR_MESSAGE: ("body", "from_name")}

# Canned responses and macros (issue 14, docs/macros.md).
ENTITY_MODELS |= {Entity.MACRO: m.Macro}
MODEL_ENTITIES |= {m.Macro: Entity.MACRO}
#: Entities whose personal rows (``scope == "personal"``) are one user's: the feed writes them
#: under ``PERSONAL_FEED`` (a realm no reader pulls) with the owner (this attribute) as their
#: audience, and only the owner's pull brings them (``server.sync.pull.read_personal``).
FEED_PERSONAL: dict[Entity, str] = {Entity.CANNED_RESPONSE: "owner_id", Entity.MACRO: "owner_id"}
PERSONAL_FEED = "personal"
# Mentions (issue 14, docs/mentions.md): each row is its mentioned user's alone.
ENTITY_MODELS |= {Entity.MENTION: m.Mention}
MODEL_ENTITIES |= {m.Mention: Entity.MENTION}
FEED_PERSONAL |= {Entity.MENTION: "user_id"}

# Scheduled send and follow-up reminders (issue 14, docs/scheduled-send.md): a reminder is
# always personal (its ``scope`` column), so only its owner's pull brings it.
ENTITY_MODELS |= {Entity.SCHEDULED_MESSAGE: m.ScheduledMessage, Entity.REMINDER: m.Reminder}
MODEL_ENTITIES |= {m.ScheduledMessage: Entity.SCHEDULED_MESSAGE, m.Reminder: Entity.REMINDER}
FEED_PERSONAL |= {Entity.REMINDER: "owner_id"}

# --- side conversations (issue 14, docs/side-conversations.md): every desk of the realm ---
ENTITY_MODELS |= {Entity.SIDE_CONVERSATION: m.SideConversation, Entity.SIDE_MESSAGE: m.SideMessage}
MODEL_ENTITIES |= {m.SideConversation: Entity.SIDE_CONVERSATION, m.SideMessage: Entity.SIDE_MESSAGE}

# --- team audiences and favourite macro keys (issue 14, docs/macros.md) ---
#: Entities whose team rows (``scope == "team"``) are that team's: the feed writes them under
#: ``PERSONAL_FEED`` with ``team_audience(realm, <this attribute>)`` as their audience; the
#: team's members and the realm's supervisors and administrators pull them.
FEED_TEAM: dict[Entity, str] = {Entity.CANNED_RESPONSE: "team_id", Entity.MACRO: "team_id"}
#: ``sync_revocations.lost`` for every reader of a realm (a row that left the realm's feed).
REALM_LOSS = "realm:"
ENTITY_MODELS |= {Entity.MACRO_KEYS: m.MacroKeys}
MODEL_ENTITIES |= {m.MacroKeys: Entity.MACRO_KEYS}
FEED_PERSONAL |= {Entity.MACRO_KEYS: "owner_id"}


def team_audience(realm: str, team_id: str) -> str:
    """The feed audience of ``team_id``'s rows in ``realm``."""
    return f"team:{realm}:{team_id}"


def table_of(entity: Entity) -> Table:
    table = ENTITY_MODELS[entity].__table__
    assert isinstance(table, Table)
    return table


def _wire_columns(table: Table) -> list[tuple[str, bool]]:
    return [
        (c.name, isinstance(c.type, UTCDateTime)) for c in table.columns if c.info.get("wire", True)
    ]


_COLUMNS: dict[Entity, list[tuple[str, bool]]] = {e: _wire_columns(table_of(e)) for e in Entity}


def entity_of(obj: m.Base) -> Entity:
    return MODEL_ENTITIES[type(obj)]


def to_wire(obj: m.Base) -> dict[str, Any]:
    """The wire form of an ORM object: JSON-ready, server-only columns left out."""
    return row_to_wire(
        entity_of(obj), {name: getattr(obj, name) for name, _ in _COLUMNS[entity_of(obj)]}
    )


def row_to_wire(entity: Entity, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, is_time in _COLUMNS[entity]:
        value = row.get(name)
        out[name] = value.isoformat() if is_time and isinstance(value, datetime) else value
    return out


def from_wire(entity: Entity, data: dict[str, Any]) -> dict[str, Any]:
    """Column values for a row from its wire form; unknown keys (a newer server) are ignored."""
    out: dict[str, Any] = {}
    for name, is_time in _COLUMNS[entity]:
        if name not in data:
            continue
        value = data[name]
        out[name] = datetime.fromisoformat(value) if is_time and isinstance(value, str) else value
    return out
