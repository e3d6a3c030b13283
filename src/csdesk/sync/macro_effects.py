"""The local effects of the canned-response and macro mutations (``optimistic.EFFECTS``
registers them): a saved item shows in the desk's chooser at once, offline too; a deleted one
goes; a use counts; a favourite key moves (the user's ``macro_keys`` row). They mirror
``server/macros/mutations.py``; where the server would refuse (a shared item by an agent) they
change nothing and let the rejection explain why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from csdesk.domain import macros as rules
from csdesk.domain.access import realm_of_role
from csdesk.protocol import Entity, MutationType
from csdesk.sync.tables import get_row, get_state, upsert_rows

if TYPE_CHECKING:
    from csdesk.sync.optimistic import LocalMutation, Me, Pair

REQUIRED_ARGS: Mapping[MutationType, tuple[str, ...]] = {
    MutationType.CANNED_SAVE: ("canned_id", "title", "body"),
    MutationType.CANNED_DELETE: ("canned_id",),
    MutationType.CANNED_USED: ("canned_id",),
    MutationType.MACRO_SAVE: ("macro_id", "title", "actions"),
    MutationType.MACRO_DELETE: ("macro_id",),
    MutationType.MACRO_USED: ("macro_id",),
    MutationType.MACRO_KEY: ("macro_id",),
}
_KEYS = {"canned": (Entity.CANNED_RESPONSE, "canned_id"), "macro": (Entity.MACRO, "macro_id")}


def affected(mtype: str, args: Mapping[str, Any]) -> list[Pair]:
    if mtype == MutationType.MACRO_KEY:
        return []  # the user's own keys row: the effect names it (the args do not)
    entity, key = _KEYS[str(mtype).split(".")[0]]
    return [(entity, str(args[key]))]


def _me(session: Session) -> tuple[str, str | None, str | None]:
    """(role, team id, realm) of the signed-in user, from the cache."""
    user = get_state(session, "user") or {}
    role = str(user.get("role") or "agent")
    team = user.get("team_id")
    return role, team if isinstance(team, str) else None, realm_of_role(role).value


def _save(entity: Entity, key: str, fields: tuple[str, ...]) -> Any:
    def effect(session: Session, mut: LocalMutation, me: Me) -> None:
        a = mut.args
        role, team, realm = _me(session)
        scope = str(a.get("scope") or rules.Scope.PERSONAL)
        if scope != rules.Scope.PERSONAL and not rules.can_share(role):
            return  # the server refuses; nothing to show meanwhile
        ident = str(a[key])
        old = get_row(session, entity, ident)
        row: dict[str, Any] = old or {
            "id": ident, "realm": realm, "created_at": mut.at, "owner_id": me.id,
            "use_count": 0, "deleted_at": None,
        }  # fmt: skip
        row = {**row, **{f: a[f] for f in fields if f in a}}
        row |= {
            "title": str(a.get("title") or "").strip(),
            "scope": scope,
            "team_id": (a.get("team_id") or team) if scope == rules.Scope.TEAM else None,
            "updated_at": mut.at,
        }
        upsert_rows(session, entity, [row])

    return effect


def _delete(entity: Entity, key: str) -> Any:
    def effect(session: Session, mut: LocalMutation, me: Me) -> None:
        row = get_row(session, entity, str(mut.args[key]))
        if row is not None:
            upsert_rows(session, entity, [{**row, "deleted_at": mut.at, "updated_at": mut.at}])

    return effect


def _used(entity: Entity, key: str) -> Any:
    def effect(session: Session, mut: LocalMutation, me: Me) -> None:
        row = get_row(session, entity, str(mut.args[key]))
        if row is not None:
            upsert_rows(session, entity, [{**row, "use_count": int(row.get("use_count") or 0) + 1}])

    return effect


def _key(session: Session, mut: LocalMutation, me: Me) -> list[Pair]:
    """``macro.key``: this user's favourite keys row, as the server will have it
    (``server/macros/mutations.py: macro_key``)."""
    from csdesk.sync.optimistic import _touch

    if me.id is None:
        return []
    touched = _touch(session, Entity.MACRO_KEYS, me.id)
    old = get_row(session, Entity.MACRO_KEYS, me.id)
    _, _, realm = _me(session)
    row: dict[str, Any] = old or {
        "id": me.id, "realm": realm, "created_at": mut.at, "owner_id": me.id, "keys": {},
    }  # fmt: skip
    mid, key = str(mut.args["macro_id"]), mut.args.get("key")
    keys = {k: v for k, v in dict(row.get("keys") or {}).items() if v != key and k != mid}
    if isinstance(key, int) and not isinstance(key, bool):
        keys[mid] = key
    upsert_rows(session, Entity.MACRO_KEYS, [{**row, "keys": keys, "updated_at": mut.at}])
    return [touched]


EFFECTS: dict[str, Any] = {
    MutationType.CANNED_SAVE: _save(
        Entity.CANNED_RESPONSE, "canned_id", ("shortcut", "body", "language", "channel")
    ),
    MutationType.CANNED_DELETE: _delete(Entity.CANNED_RESPONSE, "canned_id"),
    MutationType.CANNED_USED: _used(Entity.CANNED_RESPONSE, "canned_id"),
    MutationType.MACRO_SAVE: _save(Entity.MACRO, "macro_id", ("actions",)),
    MutationType.MACRO_DELETE: _delete(Entity.MACRO, "macro_id"),
    MutationType.MACRO_USED: _used(Entity.MACRO, "macro_id"),
    MutationType.MACRO_KEY: _key,
}
