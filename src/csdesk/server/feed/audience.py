"""Who lost a feed row: revocations for team and personal items (issue 14, docs/macros.md).

The feed keeps one row per entity, so when a canned response or macro changes audience (the
realm's → one team's, team A's → team B's, a team's → its owner's) the readers of its old
audience would never hear of it again and keep a stale copy. ``append`` (``feed.log``) asks
``losses`` which old audiences lost a row and writes one ``sync_revocations`` row for each; a
reader named there who cannot see the entity's current row gets a tombstone with its next pull
(``server.sync.pull.read_personal``).

A user whose team or role changes (through a server session: ``note_members``) loses the team
rows they may no longer see the same way (a revocation naming them), and the team rows of the
realm are written to the feed again, so the new team's reach them with the next pull.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, inspect, select, tuple_
from sqlalchemy.orm import Session

from csdesk.protocol import Entity
from csdesk.storage import models as m
from csdesk.storage.upsert import insert_for
from csdesk.storage.wire import ENTITY_MODELS, FEED_TEAM, REALM_LOSS

#: The entities whose audience can change (personal / team / everyone rows).
SCOPED: frozenset[str] = frozenset(e.value for e in FEED_TEAM)
_MEMBERS = "csdesk_members_changed"

_CHANGES = m.SyncChange.__table__
_REVOKED = m.SyncRevocation.__table__
assert isinstance(_CHANGES, Table) and isinstance(_REVOKED, Table)


def loss_key(realm: str | None, audience: str | None) -> str | None:
    """Who reads a feed row with this realm and audience (None: everyone, every realm)."""
    if audience is not None:
        return audience
    return None if realm is None else REALM_LOSS + realm


def losses(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Revocations for ``rows`` (feed rows about to replace the entities' current ones): the
    old audience of each row whose audience changes, unless the old row was a tombstone."""
    scoped = [r for r in rows if r["entity"] in SCOPED]
    if not scoped:
        return []
    new = {(r["entity"], r["entity_id"]): r for r in scoped}
    out: list[dict[str, Any]] = []
    keys = list(new)
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        found = conn.execute(
            select(_CHANGES.c.entity, _CHANGES.c.entity_id, _CHANGES.c.realm, _CHANGES.c.audience)
            .where(tuple_(_CHANGES.c.entity, _CHANGES.c.entity_id).in_(part))
            .where(_CHANGES.c.deleted.is_(False))
        )
        for entity, ident, realm, audience in found:
            row = new[(entity, ident)]
            old = loss_key(realm, audience)
            if old is not None and old != loss_key(row["realm"], row["audience"]):
                out.append({"entity": entity, "entity_id": ident, "lost": old, "seq": row["seq"]})
    return out


def write(conn: Connection, revoked: Iterable[Mapping[str, Any]]) -> None:
    """Record ``revoked`` (the latest revocation per entity and audience wins)."""
    rows = list({(r["entity"], r["entity_id"], r["lost"]): dict(r) for r in revoked}.values())
    if not rows:
        return
    ins: Any = insert_for(conn.dialect.name, _REVOKED)
    stmt = ins.on_conflict_do_update(
        index_elements=["entity", "entity_id", "lost"], set_={"seq": ins.excluded.seq}
    )
    conn.execute(stmt, rows)


def note_members(session: Session, dirty: Iterable[object]) -> None:
    """From an ``after_flush``: the users among ``dirty`` whose team or role changed."""
    for obj in dirty:
        if not isinstance(obj, m.User):
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in ("team_id", "role")):
            session.info.setdefault(_MEMBERS, set()).add(obj.id)


def members_changed(session: Session) -> tuple[list[m.Base], list[tuple[str, str, str]]]:
    """The team items to write to the feed again, and (entity, id, user id) revocations for
    the users whose team or role changed in this session (taken: asked once)."""
    users: set[str] = session.info.pop(_MEMBERS, set())
    if not users:
        return [], []
    items: list[m.Base] = []
    revoked: list[tuple[str, str, str]] = []
    with session.no_autoflush:
        for entity in FEED_TEAM:
            model: Any = ENTITY_MODELS[entity]
            for row in session.scalars(
                select(model).where(model.scope == "team", model.deleted_at.is_(None))
            ):
                items.append(row)
                revoked.extend((Entity(entity).value, row.id, user) for user in sorted(users))
    return items, revoked


def forget(session: Session) -> None:
    session.info.pop(_MEMBERS, None)
