"""Canned responses and macros as push mutations (registered in
``server.sync.mutations.HANDLERS``).

Anyone may keep personal ones; team and everyone's are created, changed and deleted by
supervisors and administrators only. A personal item of another user, and another team's item
to an agent, answers "not found", as if it did not exist (it never reached that user's desk).
A shared item made personal becomes the saver's, and the desks that held it get a tombstone
(``feed.audience``). ``*.used`` counts one use (the chooser sorts by it). Every change is an
audit entry and goes through the change feed (personal ones to their owner only,
``wire.FEED_PERSONAL``; team ones to that team and the leads, ``wire.FEED_TEAM``).
``macro.key`` puts a macro on one of its user's favourite keys (their ``MacroKeys`` row, their
desks only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain import macros as rules
from csdesk.domain.enums import Channel, Priority
from csdesk.domain.storable import check_storable
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.deps import realm_of
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

_LANG = r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})?$"
_ID = Field(min_length=1, max_length=36)


def _reject(code: RejectCode, message: str) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message)


_clean = check_storable


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class _Shared(_Args):
    scope: rules.Scope = rules.Scope.PERSONAL
    #: For the team scope; by default the editor's own team.
    team_id: str | None = Field(default=None, max_length=36)


class CannedArgs(_Shared):
    canned_id: str = _ID
    title: str = Field(min_length=1, max_length=200)
    shortcut: str = Field(default="", max_length=40)
    body: str = Field(min_length=1, max_length=rules.MAX_TEXT)
    language: str = Field(default="en", pattern=_LANG, max_length=16)
    channel: Channel | None = None

    _text = field_validator("title", "shortcut", "body")(_clean)

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("cannot be blank")
        return value


class ItemArgs(_Args):
    canned_id: str = _ID


class _Action(_Args):
    pass


class ReplyAction(_Action):
    kind: Literal["reply"]
    text: str | None = Field(default=None, min_length=1, max_length=rules.MAX_TEXT)
    canned: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _one(self) -> ReplyAction:
        if (self.text is None) == (self.canned is None):
            raise ValueError("a reply is either a text or a canned response's shortcut")
        for value in (self.text, self.canned):
            if value is not None:
                _clean(value)
        return self


class NoteAction(_Action):
    kind: Literal["note"]
    text: str = Field(min_length=1, max_length=rules.MAX_TEXT)
    _text = field_validator("text")(_clean)


Tag = Annotated[str, Field(min_length=1, max_length=64)]


class TagsAction(_Action):
    kind: Literal["tags"]
    add: list[Tag] = Field(default_factory=list, max_length=20)
    remove: list[Tag] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _some(self) -> TagsAction:
        if not self.add and not self.remove:
            raise ValueError("tags to add or remove")
        for tag in (*self.add, *self.remove):
            _clean(tag)
        return self


class StatusAction(_Action):
    kind: Literal["status"]
    status: Literal["open", "pending", "resolved"]


class PriorityAction(_Action):
    kind: Literal["priority"]
    priority: Priority


class AssignAction(_Action):
    kind: Literal["assign"]
    to: str = Field(default="me", min_length=1, max_length=36)  # me, nobody or a user id
    team_id: str | None = Field(default=None, max_length=36)


class SnoozeAction(_Action):
    kind: Literal["snooze"]
    hours: int = Field(ge=1, le=rules.MAX_SNOOZE_HOURS)


Action = Annotated[
    ReplyAction
    | NoteAction
    | TagsAction
    | StatusAction
    | PriorityAction
    | AssignAction
    | SnoozeAction,
    Field(discriminator="kind"),
]


class MacroArgs(_Shared):
    macro_id: str = _ID
    title: str = Field(min_length=1, max_length=200)
    actions: list[Action] = Field(min_length=1, max_length=rules.MAX_ACTIONS)

    _text = field_validator("title")(_clean)

    @model_validator(mode="after")
    def _check(self) -> MacroArgs:
        if not self.title.strip():
            raise ValueError("a macro needs a title")
        kinds = [a.kind for a in self.actions]
        if len(set(kinds)) != len(kinds):
            raise ValueError("each kind of action at most once")
        if "snooze" in kinds and "status" in kinds:
            raise ValueError("a macro either snoozes or sets a status, not both")
        return self


class MacroItemArgs(_Args):
    macro_id: str = _ID


T = TypeVar("T", m.CannedResponse, m.Macro)
Item = m.CannedResponse | m.Macro


def _scope_fields(session: Session, user: m.User, a: _Shared) -> tuple[str | None, str | None]:
    """(owner_id, team_id) for a new or changed item; refuses what the role may not share."""
    if a.scope == rules.Scope.PERSONAL:
        return user.id, None
    if not rules.can_share(user.role):
        raise _reject(
            RejectCode.FORBIDDEN,
            "Only supervisors and administrators share with a team or everyone; keep it personal.",
        )
    if a.scope == rules.Scope.TEAM:
        team_id = a.team_id or user.team_id
        if team_id is None:
            raise _reject(RejectCode.INVALID, "Choose the team to share with.")
        if session.get(m.Team, team_id) is None:
            raise _reject(RejectCode.NOT_FOUND, "That team does not exist.")
        return user.id, team_id
    return user.id, None


def _hidden(user: m.User, row: Item) -> bool:
    """Is ``row`` kept from ``user``'s desks by the feed (``feed.log.item_for``): the other
    realm's, someone else's personal item, or, for anyone but a supervisor or administrator
    (who manage every team's), another team's? Such an item answers every request of theirs
    as a missing one would."""
    if row.realm != realm_of(user):
        return True
    if row.scope == rules.Scope.PERSONAL:
        return row.owner_id != user.id
    if row.scope == rules.Scope.TEAM and row.team_id is not None:
        return not rules.can_share(user.role) and row.team_id != user.team_id
    return False


def _existing(session: Session, user: m.User, model: type[T], ident: str) -> T | None:
    """The item ``ident`` to save over (None: there is none yet)."""
    row = session.get(model, ident, with_for_update=True)
    if row is None:
        return None
    if _hidden(user, row):
        # Someone else's personal item, another team's, or the other realm's: as if it did
        # not exist (and the id cannot be taken over either).
        raise _reject(RejectCode.NOT_FOUND, "This item does not exist.")
    return _changeable(user, row)


def _changeable(user: m.User, row: T) -> T:
    """``row`` (one the user may see), if they may change it now."""
    if row.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This item was deleted.")
    if not rules.can_edit(user.role, user.id, row.scope, row.owner_id):
        raise _reject(
            RejectCode.FORBIDDEN, "Only supervisors and administrators change shared items."
        )
    return row


def _narrowing(session: Session, user: m.User, row: Item, a: _Shared) -> None:
    """A shared item made personal becomes the saver's: the desks that held it get a
    tombstone with their next pull (``feed.audience``), as when a team item moves teams. One
    the saver did not own yet counts against their limit like a new one."""
    if row.scope != rules.Scope.PERSONAL and a.scope == rules.Scope.PERSONAL:
        if row.owner_id != user.id:
            _room_for_one_more(session, user, type(row))
        row.owner_id = user.id


#: Live items one person may own per kind: the owner's rows ride on every pull of theirs
#: unpaged (``sync.pull.with_personal``), so their number is bounded here.
MAX_PER_OWNER = 1000


def _room_for_one_more(
    session: Session, user: m.User, model: type[m.CannedResponse] | type[m.Macro]
) -> None:
    owned = session.scalar(
        select(func.count())
        .select_from(model)
        .where(model.owner_id == user.id, model.deleted_at.is_(None))
    )
    if (owned or 0) >= MAX_PER_OWNER:
        raise _reject(
            RejectCode.INVALID,
            "You already have 1000 of these; delete some you no longer use first.",
        )


_CANNED_FIELDS = ["title", "shortcut", "body", "language", "channel", "scope", "team_id"]


def save_canned(session: Session, user: m.User, a: CannedArgs) -> None:
    row = _existing(session, user, m.CannedResponse, a.canned_id)
    owner, team = _scope_fields(session, user, a)
    values: dict[str, Any] = {
        "title": a.title.strip(),
        "shortcut": a.shortcut.strip(),
        "body": a.body,
        "language": a.language,
        "channel": None if a.channel is None else a.channel.value,
        "scope": a.scope.value,
        "team_id": team,
    }
    before: dict[str, Any] | None = None
    if row is None:
        _room_for_one_more(session, user, m.CannedResponse)
        row = m.CannedResponse(id=a.canned_id, realm=realm_of(user), owner_id=owner, use_count=0)
        session.add(row)
    else:
        _narrowing(session, user, row, a)
        before = {f: getattr(row, f) for f in _CANNED_FIELDS}
    for key, value in values.items():
        setattr(row, key, value)
    audit.record(
        session,
        user.id,
        MutationType.CANNED_SAVE,
        "canned_response",
        a.canned_id,
        before,
        {f: values[f] for f in _CANNED_FIELDS},
    )


def delete_canned(session: Session, user: m.User, a: ItemArgs) -> None:
    found = session.get(m.CannedResponse, a.canned_id, with_for_update=True)
    if found is None or _hidden(user, found):  # one kept from them: as if it did not exist
        raise _reject(RejectCode.NOT_FOUND, "This canned response does not exist.")
    row = _changeable(user, found)
    row.deleted_at = utcnow()
    audit.record(session, user.id, MutationType.CANNED_DELETE, "canned_response", row.id)


def save_macro(session: Session, user: m.User, a: MacroArgs) -> None:
    row = _existing(session, user, m.Macro, a.macro_id)
    owner, team = _scope_fields(session, user, a)
    actions = [act.model_dump(exclude_none=True) for act in a.actions]
    before: dict[str, Any] | None = None
    if row is None:
        _room_for_one_more(session, user, m.Macro)
        row = m.Macro(id=a.macro_id, realm=realm_of(user), owner_id=owner, use_count=0)
        session.add(row)
    else:
        _narrowing(session, user, row, a)
        before = {"title": row.title, "scope": row.scope, "actions": row.actions}
    row.title = a.title.strip()
    row.scope = a.scope.value
    row.team_id = team
    row.actions = actions
    audit.record(
        session,
        user.id,
        MutationType.MACRO_SAVE,
        "macro",
        a.macro_id,
        before,
        {"title": row.title, "scope": row.scope, "actions": actions},
    )


def delete_macro(session: Session, user: m.User, a: MacroItemArgs) -> None:
    found = session.get(m.Macro, a.macro_id, with_for_update=True)
    if found is None or _hidden(user, found):  # one kept from them: as if it did not exist
        raise _reject(RejectCode.NOT_FOUND, "This macro does not exist.")
    row = _changeable(user, found)
    row.deleted_at = utcnow()
    audit.record(session, user.id, MutationType.MACRO_DELETE, "macro", row.id)


def _used(session: Session, user: m.User, model: type[T], ident: str) -> None:
    row = session.get(model, ident, with_for_update=True)
    if row is None or _hidden(user, row):
        raise _reject(RejectCode.NOT_FOUND, "This item does not exist.")
    if row.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This item was deleted.")
    row.use_count = (row.use_count or 0) + 1


def canned_used(session: Session, user: m.User, a: ItemArgs) -> None:
    _used(session, user, m.CannedResponse, a.canned_id)


def macro_used(session: Session, user: m.User, a: MacroItemArgs) -> None:
    _used(session, user, m.Macro, a.macro_id)


class MacroKeyArgs(_Args):
    macro_id: str = _ID
    key: int | None = Field(default=None, ge=1, le=rules.FAVOURITES)  # None: off its key


def macro_key(session: Session, user: m.User, a: MacroKeyArgs) -> None:
    """Put ``macro_id`` on Ctrl+Alt+``key`` for this user (None: take it off); a macro that
    held the key loses it. The macro need not exist (yet): a desk's batch may be replayed
    after a delete, and a key of a macro nobody has is never shown."""
    row = session.get(m.MacroKeys, user.id, with_for_update=True)
    if row is None:
        row = m.MacroKeys(id=user.id, realm=realm_of(user), owner_id=user.id, keys={})
        session.add(row)
    keys = {k: v for k, v in dict(row.keys or {}).items() if v != a.key and k != a.macro_id}
    if a.key is not None:
        keys[a.macro_id] = a.key
    row.keys = keys


def handlers() -> dict[str, tuple[type[BaseModel], Any]]:
    """The canned-response and macro mutation types and their handlers (for the registry)."""
    return {
        MutationType.CANNED_SAVE: (CannedArgs, save_canned),
        MutationType.CANNED_DELETE: (ItemArgs, delete_canned),
        MutationType.CANNED_USED: (ItemArgs, canned_used),
        MutationType.MACRO_SAVE: (MacroArgs, save_macro),
        MutationType.MACRO_DELETE: (MacroItemArgs, delete_macro),
        MutationType.MACRO_USED: (MacroItemArgs, macro_used),
        MutationType.MACRO_KEY: (MacroKeyArgs, macro_key),
    }
