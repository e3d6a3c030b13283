"""The local effect of ``mention.read`` (``optimistic.EFFECTS`` registers it): a mention opened
from the Mentions view counts as read at once, offline too (docs/mentions.md). The server sets
the same; its row comes back through the feed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from csdesk.protocol import Entity, MutationType
from csdesk.sync.tables import get_row, upsert_rows

if TYPE_CHECKING:
    from csdesk.sync.optimistic import LocalMutation, Me, Pair

REQUIRED_ARGS: Mapping[MutationType, tuple[str, ...]] = {MutationType.MENTION_READ: ("mention_id",)}


def affected(mtype: str, args: Mapping[str, Any]) -> list[Pair]:
    return [(Entity.MENTION, str(args["mention_id"]))]


def _read(session: Session, mut: LocalMutation, me: Me) -> None:
    row = get_row(session, Entity.MENTION, str(mut.args["mention_id"]))
    if row is not None and row.get("user_id") == me.id and row.get("read_at") is None:
        upsert_rows(session, Entity.MENTION, [{**row, "read_at": mut.at, "updated_at": mut.at}])


EFFECTS: dict[str, Any] = {MutationType.MENTION_READ: _read}
