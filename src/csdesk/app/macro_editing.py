"""Creating, changing, copying and deleting macros from the desk, and the favourite keys
(docs/macros.md, "The macro editor").

A macro is saved with the ordinary ``macro.save`` push (the wire format the server already
validates: ``server/macros/mutations.py``); offline it waits in the outbox and shows at once
(``sync/macro_effects.py``). ``check`` says before saving what the server would refuse, field by
field, in words an agent understands. Favourite keys (Ctrl+Alt+1 … 9) are this agent's own
choice, kept on the server as their ``macro_keys`` row (``macro.key`` through the outbox, so
offline too; every desk they sign in to gets it): a pinned macro keeps its key, the free keys
go to the most used of the rest. Keys a desk pinned before they followed the user (in its
cache, ``PINNED_KEYS``) are sent once (``migrate_pinned``). Reads run on workers, writes on
the serial writer.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.app.macro_desk import macros as usable_macros
from csdesk.app.macro_desk import my_team
from csdesk.domain import macros as rules
from csdesk.domain.access import can_be_assigned, realm_of_role
from csdesk.domain.placeholders import PLACEHOLDERS, placeholders_in
from csdesk.domain.storable import unstorable
from csdesk.i18n import _
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet
from csdesk.sync.tables import del_state, get_row, get_state

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation

#: Where a desk kept this agent's pinned favourite keys before they followed the user:
#: ``{macro id: 1 … 9}`` (read once by ``migrate_pinned``).
PINNED_KEYS: Final = "macro_favourite_keys"
MAX_TAG: Final = 64
MAX_TAGS: Final = 20
STATUSES: Final = ("open", "pending", "resolved")
PRIORITIES: Final = ("low", "normal", "high", "urgent")


@dataclass(frozen=True, slots=True)
class MacroDraft:
    """What the editor holds; ``actions`` in the wire form (``domain.macros``)."""

    title: str
    actions: tuple[Mapping[str, Any], ...]
    scope: str = rules.Scope.PERSONAL
    macro_id: str | None = None  # None: a new one
    favourite: int | None = None  # Ctrl+Alt+n, or none
    team_id: str | None = None  # the team it is shared with (team scope)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to fix before saving: ``where`` names the field ("name", "actions",
    "favourite", or "action" with ``index`` the action's row)."""

    where: str
    message: str
    index: int | None = None


@dataclass(frozen=True, slots=True)
class CannedRef:
    id: str
    shortcut: str
    language: str
    body: str
    title: str


@dataclass(frozen=True, slots=True)
class MacroRow:
    """One macro of the manager's list (read on a worker)."""

    id: str
    title: str
    scope: str
    actions: tuple[Mapping[str, Any], ...]
    use_count: int
    editable: bool
    key: int | None  # its favourite key now (pinned or by use)
    pinned: bool
    team_id: str | None = None
    team_name: str = ""  # the team it is shared with, by name ("" for other scopes)


@dataclass(frozen=True, slots=True)
class EditorData:
    """What the editor offers, read from the cache once when it opens."""

    may_share: bool
    my_team: str | None
    canned: tuple[CannedRef, ...]
    users: tuple[tuple[str, str], ...]  # (id, display name), by name
    teams: tuple[tuple[str, str], ...]  # (id, name), by name
    pinned: Mapping[str, int] = field(default_factory=dict)  # macro id -> key
    titles: Mapping[str, str] = field(default_factory=dict)  # macro id -> title

    def key_owner(self, key: int, macro_id: str | None) -> str | None:
        """The title of another macro pinned to ``key``, if any."""
        for mid, n in self.pinned.items():
            if n == key and mid != macro_id and mid in self.titles:
                return self.titles[mid]
        return None


def kind_label(kind: str) -> str:
    labels = {
        "reply": _("Send a reply"),
        "note": _("Add an internal note"),
        "tags": _("Add or remove tags"),
        "status": _("Set the status"),
        "priority": _("Set the priority"),
        "assign": _("Assign"),
        "snooze": _("Snooze"),
    }
    return labels.get(kind, kind)


def split_tags(text: str) -> list[str]:
    """``"refund, vip ,refund"`` -> ``["refund", "vip"]`` (order kept, blanks dropped)."""
    out: list[str] = []
    for part in text.split(","):
        tag = part.strip()
        if tag and tag not in out:
            out.append(tag)
    return out


def _unknown_placeholders(text: str) -> list[str]:
    known = set(PLACEHOLDERS)
    return [name for name in placeholders_in(text) if name not in known]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def check(draft: MacroDraft, canned_shortcuts: Collection[str], data: EditorData) -> list[Problem]:
    """What would stop this macro being saved (or used), each saying which field."""
    problems: list[Problem] = []
    if unstorable(draft.title):
        problems.append(
            Problem(
                "name",
                _("Name: it holds a control character that cannot be stored; remove it."),
            )
        )
    if not draft.title.strip():
        problems.append(Problem("name", _("Name: give the macro a name.")))
    elif len(draft.title.strip()) > 200:
        problems.append(Problem("name", _("Name: at most 200 characters.")))
    if not draft.actions:
        problems.append(
            Problem("actions", _("Actions: add at least one action (Add action…, Alt+D)."))
        )
    kinds = [str(a.get("kind")) for a in draft.actions]
    if "snooze" in kinds and "status" in kinds:
        problems.append(
            Problem(
                "actions",
                _("Actions: a macro either snoozes or sets a status, not both; remove one."),
            )
        )
    for n, act in enumerate(draft.actions):
        problem = _check_action(act, canned_shortcuts)
        if problem is None and any(unstorable(s) for s in _strings(act)):
            problem = _("it holds a control character that cannot be stored; remove it.")
        if problem is not None:
            where = _("Action {n} ({kind})").format(n=n + 1, kind=kind_label(str(act.get("kind"))))
            problems.append(Problem("action", f"{where}: {problem}", n))
        if kinds.index(kinds[n]) != n:
            problems.append(
                Problem(
                    "action",
                    _("Action {n}: a macro does each kind of action once.").format(n=n + 1),
                    n,
                )
            )
    if draft.favourite is not None:
        owner = data.key_owner(draft.favourite, draft.macro_id)
        if owner is not None:
            problems.append(
                Problem(
                    "favourite",
                    _(
                        "Favourite key: Ctrl+Alt+{n} is already the key of “{title}”; "
                        "choose another or take it off that macro first."
                    ).format(n=draft.favourite, title=owner),
                )
            )
    return problems


def _check_action(act: Mapping[str, Any], canned_shortcuts: Collection[str]) -> str | None:
    kind = act.get("kind")
    if kind in ("reply", "note"):
        shortcut = act.get("canned")
        if kind == "reply" and shortcut is not None:
            if not str(shortcut).strip():
                return _("choose a canned response.")
            if shortcut not in canned_shortcuts:
                return _("the canned response {shortcut} does not exist.").format(shortcut=shortcut)
            return None
        text = str(act.get("text") or "")
        if not text.strip():
            return _("write the text.")
        if len(text) > rules.MAX_TEXT:
            return _("the text is too long (at most {n} characters).").format(n=rules.MAX_TEXT)
        unknown = _unknown_placeholders(text)
        if unknown:
            return _("unknown placeholder {names}; use one from the placeholder list.").format(
                names=", ".join("{" + u + "}" for u in unknown)
            )
        return None
    if kind == "tags":
        tags = [*act.get("add", []), *act.get("remove", [])]
        if not tags:
            return _("name a tag to add or to remove.")
        if any(len(t) > MAX_TAG for t in tags):
            return _("a tag has at most {n} characters.").format(n=MAX_TAG)
        if len(act.get("add", [])) > MAX_TAGS or len(act.get("remove", [])) > MAX_TAGS:
            return _("at most {n} tags to add and {n} to remove.").format(n=MAX_TAGS)
        if set(act.get("add", [])) & set(act.get("remove", [])):
            return _("a tag cannot be both added and removed.")
        return None
    if kind == "snooze":
        hours = act.get("hours")
        if not isinstance(hours, int) or not 1 <= hours <= rules.MAX_SNOOZE_HOURS:
            return _("snooze for 1 to {n} hours.").format(n=rules.MAX_SNOOZE_HOURS)
    return None


def editor_data(ws: Workstation) -> EditorData:
    """The canned responses, teammates, teams and favourite keys the editor offers (worker)."""
    canned = tuple(
        CannedRef(c.id, c.shortcut, c.language, c.body, c.title)
        for c in ws.canned_responses()
        if c.shortcut
    )
    with ws.cache.session() as s:
        realm = realm_of_role(ws.me.role).value  # the realm the macro is used in
        users = tuple(
            (u.id, u.display_name)
            for u in s.scalars(select(m.User).where(m.User.active.is_(True)))
            if can_be_assigned(u.role, realm)  # not a trainee or an admin: the server refuses
        )
        teams = tuple((t.id, t.name) for t in s.scalars(select(m.Team)))
        team = my_team(s, ws.me.id)
        pinned = _stored_keys(s, ws.me.id)
    titles = {mac.id: mac.title for mac in usable_macros(ws)}
    return EditorData(
        rules.can_share(ws.me.role),
        team,
        canned,
        tuple(sorted(users, key=lambda u: u[1].casefold())),
        tuple(sorted(teams, key=lambda t: t[1].casefold())),
        pinned,
        titles,
    )


def _pinned(raw: object) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(k): v
        for k, v in raw.items()
        if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= rules.FAVOURITES
    }


def _stored_keys(s: Session, me: str) -> dict[str, int]:
    """This user's pinned keys: their ``macro_keys`` row (the server's, or as the outbox will
    make it); before it exists, the keys this desk kept itself."""
    row = get_row(s, Entity.MACRO_KEYS, me)
    if row is not None:
        return _pinned(row.get("keys"))
    return _pinned(get_state(s, PINNED_KEYS))


def pinned_keys(ws: Workstation) -> dict[str, int]:
    with ws.cache.session() as s:
        return _stored_keys(s, ws.me.id)


def migrate_pinned(ws: Workstation) -> int:
    """Send the keys this desk pinned before they followed the user (once: the local copy is
    dropped in the same transaction as they are queued); how many. The writer thread."""
    with ws.cache.session() as s:
        if get_state(s, PINNED_KEYS) is None:
            return 0  # nothing kept here (or sent already)
    with ws.cache.write() as s:
        old = _pinned(get_state(s, PINNED_KEYS))
        del_state(s, PINNED_KEYS)
    if old:
        ws.engine.enqueue_batch(
            [(MutationType.MACRO_KEY, {"macro_id": mid, "key": n}) for mid, n in old.items()]
        )
    return len(old)


class KeyTaken(ValueError):
    """The key is pinned to another macro; the message names it."""


def pin(ws: Workstation, macro_id: str, key: int | None) -> dict[str, int]:
    """Pin ``macro_id`` to Ctrl+Alt+``key`` (None: unpin); refuses a key another macro that
    this agent can use holds. The writer thread."""
    titles = {mac.id: mac.title for mac in usable_macros(ws)}
    pinned = pinned_keys(ws)
    pinned = {mid: n for mid, n in pinned.items() if mid in titles or mid == macro_id}
    if key is not None:
        for mid, n in pinned.items():
            if n == key and mid != macro_id:
                raise KeyTaken(
                    _("Ctrl+Alt+{n} is already the key of “{title}”.").format(
                        n=key, title=titles[mid]
                    )
                )
        pinned[macro_id] = key
    else:
        pinned.pop(macro_id, None)
    ws.engine.enqueue(MutationType.MACRO_KEY, {"macro_id": macro_id, "key": key})
    return pinned


def key_map(in_use_order: Sequence[str], pinned: Mapping[str, int]) -> dict[str, int]:
    """Each macro's favourite key: pinned ones keep theirs, the free keys go to the most used
    of the rest (``in_use_order``: the ids, the most used first)."""
    present = set(in_use_order)
    keys = {mid: n for mid, n in pinned.items() if mid in present}
    taken = set(keys.values())
    free = (n for n in range(1, rules.FAVOURITES + 1) if n not in taken)
    for mid in in_use_order:
        if mid in keys:
            continue
        n = next(free, None)
        if n is None:
            break
        keys[mid] = n
    return keys


def rows(ws: Workstation) -> list[MacroRow]:
    """The manager's list: the macros this agent may use, the most used first (worker)."""
    found = usable_macros(ws)
    pinned = pinned_keys(ws)
    keys = key_map([mac.id for mac in found], pinned)
    share = rules.can_share(ws.me.role)
    with ws.cache.session() as s:
        teams = {t.id: t.name for t in s.scalars(select(m.Team))}
    return [
        MacroRow(
            mac.id,
            mac.title,
            mac.scope,
            tuple(a for a in (mac.actions or []) if isinstance(a, Mapping)),
            int(mac.use_count or 0),
            rules.can_edit(ws.me.role, ws.me.id, mac.scope, mac.owner_id)
            and (mac.scope == rules.Scope.PERSONAL or share),
            keys.get(mac.id),
            mac.id in pinned,
            mac.team_id,
            teams.get(mac.team_id or "", "") if mac.scope == rules.Scope.TEAM else "",
        )
        for mac in found
    ]


def save(ws: Workstation, draft: MacroDraft) -> tuple[str, ChangeSet]:
    """Queue a new or changed macro (shown at once, sent when online) and pin its key; its id.
    The writer thread."""
    mid = draft.macro_id or str(uuid.uuid4())
    args: dict[str, Any] = {
        "macro_id": mid,
        "title": draft.title.strip(),
        "actions": [dict(a) for a in draft.actions],
        "scope": draft.scope,
    }
    if draft.scope == rules.Scope.TEAM and draft.team_id:
        args["team_id"] = draft.team_id
    current = pinned_keys(ws).get(mid)
    batch: list[tuple[MutationType | str, Mapping[str, Any]]] = [(MutationType.MACRO_SAVE, args)]
    if draft.favourite != current:
        # The user's key, on every desk of theirs (``macro.key``: docs/macros.md).
        batch.append((MutationType.MACRO_KEY, {"macro_id": mid, "key": draft.favourite}))
    ws.engine.enqueue_batch(batch)
    return mid, ChangeSet.of([(Entity.MACRO, mid), (Entity.MACRO_KEYS, ws.me.id)])


def delete(ws: Workstation, macro_id: str) -> ChangeSet:
    ws.engine.enqueue(MutationType.MACRO_DELETE, {"macro_id": macro_id})
    return ChangeSet.of([(Entity.MACRO, macro_id)])


def copy_title(title: str) -> str:
    return _("{title} (copy)").format(title=title)[:200]
