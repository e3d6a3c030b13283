"""What the sync layer tells the UI: status, change sets and rejections.

All three are immutable values so they can be handed from a sync thread to the GUI thread
(through ``ui/bridge.py``) without copying or locking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from csdesk.protocol import Entity


def _empty() -> Mapping[Entity, frozenset[str]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Which entities changed, by type and id (DESIGN rule 4: panels refresh only these).

    ``everything`` means the cache was wiped or rebuilt and every view must reload.
    """

    entities: Mapping[Entity, frozenset[str]] = field(default_factory=_empty)
    everything: bool = False

    @classmethod
    def of(cls, pairs: Iterable[tuple[Entity, str]], *, everything: bool = False) -> ChangeSet:
        grouped: dict[Entity, set[str]] = {}
        for entity, ident in pairs:
            grouped.setdefault(entity, set()).add(ident)
        return cls(MappingProxyType({e: frozenset(ids) for e, ids in grouped.items()}), everything)

    def ids(self, entity: Entity) -> frozenset[str]:
        return self.entities.get(entity, frozenset())

    def touches(self, entity: Entity) -> bool:
        return self.everything or bool(self.entities.get(entity))

    def pairs(self) -> set[tuple[Entity, str]]:
        return {(e, i) for e, ids in self.entities.items() for i in ids}

    def __or__(self, other: ChangeSet) -> ChangeSet:
        return ChangeSet.of(
            self.pairs() | other.pairs(), everything=self.everything or other.everything
        )

    def __bool__(self) -> bool:
        return self.everything or any(self.entities.values())


class SyncState(StrEnum):
    ONLINE = "online"  # caught up, waiting for news
    SYNCING = "syncing"  # catching up on the feed or sending queued actions
    OFFLINE = "offline"  # the server cannot be reached; retrying with backoff
    SIGNED_OUT = "signed_out"  # no token, or the server said the session ended


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Everything the status bar shows; a new value is published whenever any field changes."""

    state: SyncState = SyncState.SIGNED_OUT
    pending: int = 0  # actions written locally and not yet accepted by the server
    rejected: int = 0  # actions the server refused; kept until the agent dismisses them
    last_sync_at: datetime | None = None  # aware UTC; last successful exchange with the server
    last_error: str | None = None  # a sentence for the agent, or None when all is well


@dataclass(frozen=True, slots=True)
class Rejection:
    """The server refused an action the agent took; ``message`` is shown to them verbatim."""

    mutation_id: str
    type: str
    args: Mapping[str, Any]
    code: str
    message: str


#: What listeners registered with ``SyncEngine.add_listener`` receive.
SyncEvent = SyncStatus | ChangeSet | Rejection
