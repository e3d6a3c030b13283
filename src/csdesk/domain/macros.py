"""Canned responses and macros: who may share them, and what a macro's actions are.

Standard library only; the server validates a macro's actions with these rules
(``server.macros``) and the desk turns them into one outbox batch (``app.macros``).

A macro's ``actions`` is a list of small dicts, at most one of each kind::

    {"kind": "reply", "text": "…"}            or {"kind": "reply", "canned": "shortcut"}
    {"kind": "note", "text": "…"}             an internal note
    {"kind": "tags", "add": [...], "remove": [...]}
    {"kind": "status", "status": "open" | "pending" | "resolved"}
    {"kind": "priority", "priority": "low" | "normal" | "high" | "urgent"}
    {"kind": "assign", "to": "me" | "nobody" | "<user id>", "team_id": "<team id>"?}
    {"kind": "snooze", "hours": 1..720}

A reply from a canned response names its shortcut, not one row: the desk picks the variant in
the customer's language (``pick_variant``).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final, Protocol, TypeVar


class Scope(StrEnum):
    PERSONAL = "personal"  # the owner's desk only
    TEAM = "team"  # the members of one team
    EVERYONE = "everyone"  # every desk of the realm


#: Who may share (team and everyone scopes); anyone may keep personal ones.
SHARERS: Final = frozenset({"supervisor", "admin"})
ACTION_KINDS: Final = ("reply", "note", "tags", "status", "priority", "assign", "snooze")
MAX_ACTIONS: Final = len(ACTION_KINDS)
MAX_SNOOZE_HOURS: Final = 720
MAX_TEXT: Final = 20_000
#: Favourite macros get Ctrl+Alt+1 … Ctrl+Alt+9 on the desk, in their order of use.
FAVOURITES: Final = 9


def can_share(role: str) -> bool:
    return role in SHARERS


def can_edit(role: str, user_id: str, scope: str, owner_id: str | None) -> bool:
    """May this user change or delete an item of ``scope`` owned by ``owner_id``?"""
    if scope == Scope.PERSONAL:
        return owner_id == user_id
    return can_share(role)


def visible_to(
    user_id: str, team_id: str | None, scope: str, owner_id: str | None, item_team: str | None
) -> bool:
    """Does this item belong in this user's chooser? (The feed already keeps personal items of
    others and other teams' items away; a supervisor's or administrator's desk gets every
    team's, to manage them, but is offered only its own team's.)"""
    if scope == Scope.PERSONAL:
        return owner_id == user_id
    if scope == Scope.TEAM:
        return item_team is not None and item_team == team_id
    return True


class _Variant(Protocol):
    @property
    def language(self) -> str: ...


V = TypeVar("V", bound=_Variant)


def pick_variant(variants: Sequence[V], language: str | None) -> V | None:
    """The variant in ``language`` (or its base language: ``de`` for ``de-AT``), else English,
    else the first one."""
    if not variants:
        return None
    wanted = (language or "").lower()
    base = wanted.split("-")[0]
    for test in (wanted, base, "en"):
        for v in variants:
            if test and v.language.lower() == test:
                return v
    for v in variants:
        if v.language.lower().split("-")[0] == base and base:
            return v
    return variants[0]


def language_first(variants: Sequence[V], language: str | None) -> list[V]:
    """``variants`` with the customer's language (exact, then base) first, order kept."""
    wanted = (language or "").lower()
    base = wanted.split("-")[0]

    def rank(v: V) -> int:
        lang = v.language.lower()
        if wanted and lang == wanted:
            return 0
        if base and lang.split("-")[0] == base:
            return 1
        return 2

    return sorted(variants, key=rank)
