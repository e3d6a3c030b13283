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
MODEL_ENTITIES: dict[type[m.Base], Entity] = {v: k for k, v in ENTITY_MODELS.items()}
#: Entities every realm sees (they carry no customer data): staff, teams, agents' statuses.
GLOBAL_ENTITIES = frozenset({Entity.USER, Entity.TEAM, Entity.AGENT_STATUS})
#: Training scenarios reach every realm: supervisors (production) assign them, trainees play
#: them; their customers are fictional.
GLOBAL_ENTITIES |= {Entity.TRAINING_SCENARIO}
#: Entities whose feed rows only some readers of a realm pull: the feed realm they are written
#: under instead of their own (quality reviews: supervisors and administrators, docs/qa.md).
FEED_AUDIENCES: dict[Entity, str] = {Entity.QA_REVIEW: "qa-leads"}


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
