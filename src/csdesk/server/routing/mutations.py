"""Supervisors' edits of the routing rules and agents' skills, as push mutations (registered in
``server.sync.mutations.HANDLERS``). Agents and trainees are refused; every change is an
audit entry and goes to every desk through the change feed.

``routing.rule.save`` creates or replaces one rule (a new rule goes last);
``routing.rule.move`` swaps it with its neighbour above or below; ``routing.rule.delete``
retires it (kept, marked deleted, so its audit entries still name it);
``agent.skills.set`` sets one agent's languages and channels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain import routing as rules
from csdesk.domain.enums import Channel, LoyaltyTier, Priority, Role
from csdesk.domain.storable import check_storable
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.refusals import Param
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

#: Who edits rules and skills and runs the dry run.
EDITORS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})
_LANG = r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})?$"
_TIME = r"^\d{1,2}:\d{2}$"
MAX_RULES = 200


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _editor(user: m.User) -> None:
    if user.role not in EDITORS:
        raise _reject(RejectCode.FORBIDDEN, "Only supervisors and administrators edit routing.")


def _plain(value: str) -> str:
    return check_storable(value).strip()


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class HoursArgs(_Args):
    start: str = Field(pattern=_TIME)
    end: str = Field(pattern=_TIME)
    days: list[int] = Field(default_factory=lambda: list(range(7)), max_length=7)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)

    @model_validator(mode="after")
    def _check(self) -> HoursArgs:
        if rules.parse_time(self.start) is None or rules.parse_time(self.end) is None:
            raise ValueError("times are HH:MM from 00:00 to 23:59")
        if self.start == self.end:
            raise ValueError("the window needs a start and a different end")
        if any(not 0 <= d <= 6 for d in self.days) or not self.days:
            raise ValueError("days are 0 (Monday) to 6 (Sunday), at least one")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        return self


class ConditionArgs(_Args):
    channels: list[Channel] = Field(default_factory=list, max_length=len(Channel))
    languages: list[str] = Field(default_factory=list, max_length=rules.MAX_LIST)
    keywords: list[str] = Field(default_factory=list, max_length=rules.MAX_KEYWORDS)
    tiers: list[LoyaltyTier] = Field(default_factory=list, max_length=len(LoyaltyTier))
    tags: list[str] = Field(default_factory=list, max_length=rules.MAX_LIST)
    min_order_cents: int | None = Field(default=None, ge=0, le=2**53)
    min_lifetime_cents: int | None = Field(default=None, ge=0, le=2**53)
    hours: HoursArgs | None = None

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        import re

        out = [x.strip().lower() for x in v]
        if any(not re.fullmatch(_LANG, x) for x in out):
            raise ValueError("languages are codes like de or pt-br")
        return out

    @field_validator("keywords")
    @classmethod
    def _words(cls, v: list[str]) -> list[str]:
        out = [_plain(x) for x in v]
        if any(not x or len(x) > rules.MAX_KEYWORD for x in out):
            raise ValueError(f"keywords are 1 to {rules.MAX_KEYWORD} characters")
        return out

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        out = [_plain(x) for x in v]
        if any(not x or len(x) > rules.MAX_TAG for x in out):
            raise ValueError(f"tags are 1 to {rules.MAX_TAG} characters")
        return out


class ActionArgs(_Args):
    team_id: str | None = Field(default=None, min_length=1, max_length=36)
    assign: rules.Strategy | None = None
    priority: Priority | None = None
    add_tags: list[str] = Field(default_factory=list, max_length=rules.MAX_LIST)
    auto_reply: str = Field(default="", max_length=rules.MAX_REPLY)
    escalate: bool = False

    @field_validator("add_tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        out = [_plain(x) for x in v]
        if any(not x or len(x) > rules.MAX_TAG for x in out):
            raise ValueError(f"tags are 1 to {rules.MAX_TAG} characters")
        return out

    @field_validator("auto_reply")
    @classmethod
    def _reply(cls, v: str) -> str:
        return _plain(v)


class RuleArgs(_Args):
    rule_id: str = Field(min_length=1, max_length=36)
    name: str = Field(min_length=1, max_length=rules.MAX_NAME)
    enabled: bool = True
    stop: bool = False
    conditions: ConditionArgs = Field(default_factory=ConditionArgs)
    actions: ActionArgs

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        out = _plain(v)
        if not out:
            raise ValueError("a rule needs a name")
        return out


class MoveArgs(_Args):
    rule_id: str = Field(min_length=1, max_length=36)
    direction: Literal["up", "down"]


class DeleteArgs(_Args):
    rule_id: str = Field(min_length=1, max_length=36)


class SkillsArgs(_Args):
    user_id: str = Field(min_length=1, max_length=36)
    languages: list[str] = Field(default_factory=list, max_length=rules.MAX_LIST)
    channels: list[Channel] = Field(default_factory=list, max_length=len(Channel))

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        return ConditionArgs._langs(v)


def stored(a: BaseModel) -> dict[str, Any]:
    """The JSON kept for conditions/actions: empty fields left out."""
    data = a.model_dump(mode="json")
    return {k: v for k, v in data.items() if v not in (None, [], "", False)}


def _live(session: Session) -> list[m.RoutingRule]:
    R = m.RoutingRule
    return list(
        session.scalars(
            select(R).where(R.deleted_at.is_(None)).order_by(R.position, R.id).with_for_update()
        )
    )


def save_rule(session: Session, user: m.User, a: RuleArgs) -> None:
    _editor(user)
    actions = rules.Actions.of(stored(a.actions))
    if actions.is_empty():
        raise _reject(RejectCode.INVALID, "A rule needs at least one action.")
    if a.actions.team_id is not None and session.get(m.Team, a.actions.team_id) is None:
        raise _reject(RejectCode.NOT_FOUND, "That team does not exist.")
    rule = session.get(m.RoutingRule, a.rule_id, with_for_update=True)
    if rule is not None and rule.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This rule was deleted.")
    before = _snap(rule) if rule is not None else None
    if rule is None:
        live = _live(session)
        if len(live) >= MAX_RULES:
            raise _reject(RejectCode.INVALID, "At most {limit} rules.", limit=MAX_RULES)
        top = session.scalar(select(func.max(m.RoutingRule.position))) or 0
        rule = m.RoutingRule(id=a.rule_id, realm="production", position=top + 1)
        session.add(rule)
    rule.name = a.name
    rule.enabled = a.enabled
    rule.stop = a.stop
    rule.conditions = stored(a.conditions)
    rule.actions = stored(a.actions)
    rule.updated_by_id = user.id
    session.flush()
    audit.record(
        session,
        user.id,
        MutationType.ROUTING_RULE_SAVE,
        "routing_rule",
        rule.id,
        before,
        _snap(rule),
    )


def _snap(r: m.RoutingRule) -> dict[str, Any]:
    return {
        "name": r.name,
        "position": r.position,
        "enabled": r.enabled,
        "stop": r.stop,
        "conditions": dict(r.conditions or {}),
        "actions": dict(r.actions or {}),
    }


def move_rule(session: Session, user: m.User, a: MoveArgs) -> None:
    _editor(user)
    live = _live(session)
    index = next((n for n, r in enumerate(live) if r.id == a.rule_id), None)
    if index is None:
        raise _reject(RejectCode.NOT_FOUND, "That rule does not exist or was deleted.")
    other = index - 1 if a.direction == "up" else index + 1
    if not 0 <= other < len(live):
        return  # already first (or last): nothing to move
    live[index], live[other] = live[other], live[index]
    for n, r in enumerate(live, start=1):
        if r.position != n:
            r.position = n
    audit.record(
        session,
        user.id,
        MutationType.ROUTING_RULE_MOVE,
        "routing_rule",
        a.rule_id,
        {"position": index + 1},
        {"position": other + 1},
    )


def delete_rule(session: Session, user: m.User, a: DeleteArgs) -> None:
    _editor(user)
    rule = session.get(m.RoutingRule, a.rule_id, with_for_update=True)
    if rule is None:
        raise _reject(RejectCode.NOT_FOUND, "That rule does not exist.")
    if rule.deleted_at is not None:
        return
    rule.deleted_at = utcnow()
    rule.enabled = False
    audit.record(
        session, user.id, MutationType.ROUTING_RULE_DELETE, "routing_rule", rule.id, _snap(rule)
    )


def set_skills(session: Session, user: m.User, a: SkillsArgs) -> None:
    _editor(user)
    target = session.get(m.User, a.user_id)
    if target is None:
        raise _reject(RejectCode.NOT_FOUND, "That teammate does not exist.")
    row = session.get(m.AgentSkills, a.user_id, with_for_update=True)
    before = {"languages": list(row.languages), "channels": list(row.channels)} if row else None
    if row is None:
        row = m.AgentSkills(id=a.user_id, realm="production")
        session.add(row)
    row.languages = list(dict.fromkeys(a.languages))
    row.channels = list(dict.fromkeys(c.value for c in a.channels))
    row.set_by_id = user.id
    audit.record(
        session,
        user.id,
        MutationType.AGENT_SKILLS_SET,
        "agent_skills",
        a.user_id,
        before,
        {"languages": row.languages, "channels": row.channels},
    )


def handlers() -> dict[str, tuple[type[BaseModel], Any]]:
    """The routing mutation types and their handlers (for the registry)."""
    return {
        MutationType.ROUTING_RULE_SAVE: (RuleArgs, save_rule),
        MutationType.ROUTING_RULE_MOVE: (MoveArgs, move_rule),
        MutationType.ROUTING_RULE_DELETE: (DeleteArgs, delete_rule),
        MutationType.AGENT_SKILLS_SET: (SkillsArgs, set_skills),
    }
