"""Shapes shared by the demo generators: rows, blocks of rows, the staff they reference."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from csdesk.protocol import Entity
from csdesk.server.demo.catalog import Texts

Row = dict[str, Any]

#: Insert order: parents before children, so foreign keys hold at every statement.
ENTITY_ORDER: tuple[Entity, ...] = (
    Entity.TEAM,
    Entity.USER,
    Entity.CANNED_RESPONSE,
    Entity.CUSTOMER,
    Entity.IDENTITY,
    Entity.ORDER,
    Entity.ORDER_LINE,
    Entity.SHIPMENT,
    Entity.RETURN,
    Entity.CONVERSATION,
    Entity.MESSAGE,
    Entity.SURVEY_ANSWER,  # after its conversation (server.demo.surveys)
)


@dataclass
class Block:
    """Rows of every entity for a slice of customers; written and fed as one unit."""

    rows: dict[Entity, list[Row]] = field(default_factory=lambda: {e: [] for e in ENTITY_ORDER})

    def add(self, entity: Entity, row: Row) -> None:
        self.rows[entity].append(row)

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values())


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Staff:
    """Who the generated conversations can be assigned to, and the teams they go to."""

    agents: tuple[Agent, ...]
    agent_weights: tuple[float, ...]  # cumulative, for DemoRandom.weighted
    teams: dict[str, str]  # name -> id
    trainee: Agent | None = None


def synced(rid: str, realm: str, created: datetime, updated: datetime | None = None) -> Row:
    """The columns every synced row has, set explicitly: model defaults read the clock."""
    return {"id": rid, "realm": realm, "created_at": created, "updated_at": updated or created}


def money(texts: Texts, cents: int, symbol: str) -> str:
    whole, frac = divmod(abs(cents), 100)
    amount = f"{'-' if cents < 0 else ''}{whole}{texts.decimal}{frac:02d}"
    return " ".join(texts.money.format(amount=amount, symbol=symbol).split())


def day(texts: Texts, when: datetime) -> str:
    return texts.date.format(day=when.day, month=texts.months[when.month - 1])
