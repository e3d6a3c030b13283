"""Routing rules on the desk (Qt-free, run on workers): the rules and agents' skills from the
local cache (they sync to every desk), edits through the outbox, the dry run from the server
(it needs a connection). See docs/routing.md."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from csdesk.app import formats, present
from csdesk.app.workstation import Workstation
from csdesk.domain import routing as rules
from csdesk.domain.bidi import isolate
from csdesk.domain.enums import Role
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet

EDITORS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: str
    name: str
    position: int
    enabled: bool
    stop: bool
    conditions: dict[str, Any]
    actions: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AgentRow:
    id: str
    name: str
    languages: tuple[str, ...]
    channels: tuple[str, ...]


def _words(items: Sequence[str]) -> str:
    return ", ".join(isolate(i) for i in items)


def summary(rule: RuleRow, teams: dict[str, str]) -> str:
    """One sentence for the list and the screen reader: place, name, state, when, then."""
    c = rules.Conditions.of(rule.conditions)
    a = rules.Actions.of(rule.actions)
    when: list[str] = []
    if c.channels:
        when.append(_("channel {x}").format(x=_words(sorted(c.channels))))
    if c.languages:
        when.append(_("language {x}").format(x=_words(sorted(c.languages))))
    if c.keywords:
        when.append(_("words {x}").format(x=_words(c.keywords)))
    if c.tiers:
        when.append(_("tier {x}").format(x=_words(sorted(c.tiers))))
    if c.tags:
        when.append(_("customer tag {x}").format(x=_words(sorted(c.tags))))
    if c.min_order_cents is not None:
        when.append(
            _("an order of at least {x}").format(x=formats.decimal(c.min_order_cents / 100, 2))
        )
    if c.min_lifetime_cents is not None:
        when.append(
            _("spent at least {x}").format(x=formats.decimal(c.min_lifetime_cents / 100, 2))
        )
    if c.hours is not None:
        when.append(
            _("between {a} and {b} ({tz})").format(
                a=c.hours.start.strftime("%H:%M"),  # a wall-clock time in {tz}, not a moment
                b=c.hours.end.strftime("%H:%M"),
                tz=c.hours.timezone,
            )
        )
    then: list[str] = []
    if a.team_id:
        then.append(_("team {x}").format(x=isolate(teams.get(a.team_id, _("(unknown team)")))))
    if a.escalate:
        then.append(_("escalate"))
    if a.assign == rules.Strategy.ROUND_ROBIN:
        then.append(_("assign by turns"))
    elif a.assign == rules.Strategy.LEAST_LOAD:
        then.append(_("assign to the least busy"))
    if a.priority:
        then.append(_("priority {x}").format(x=present.priority_label(a.priority)))
    if a.add_tags:
        then.append(_("tag {x}").format(x=_words(a.add_tags)))
    if a.auto_reply.strip():
        then.append(_("automatic reply"))
    state = _("on") if rule.enabled else _("off")
    text = _("{n}. {name} ({state}): when {when}, then {then}.").format(
        n=rule.position,
        name=isolate(rule.name),
        state=state,
        when="; ".join(when) or _("any conversation"),
        then="; ".join(then) or _("nothing"),
    )
    if rule.stop:
        text += " " + _("Stops here.")
    return text


def dry_run_sentence(matched: int, considered: int) -> str:
    return ngettext(
        "Would have matched {matched} of the last {n} conversation.",
        "Would have matched {matched} of the last {n} conversations.",
        considered,
    ).format(matched=matched, n=considered)


class RoutingDesk:
    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    @property
    def may_edit(self) -> bool:
        return self.ws.me.role in EDITORS

    def rules(self) -> list[RuleRow]:
        with self.ws.cache.session() as s:
            R = m.RoutingRule
            return [
                RuleRow(
                    r.id,
                    r.name,
                    r.position,
                    bool(r.enabled),
                    bool(r.stop),
                    dict(r.conditions or {}),
                    dict(r.actions or {}),
                )
                for r in s.scalars(
                    select(R).where(R.deleted_at.is_(None)).order_by(R.position, R.id)
                )
            ]

    def teams(self) -> dict[str, str]:
        with self.ws.cache.session() as s:
            return {t.id: t.name for t in s.scalars(select(m.Team).order_by(m.Team.name))}

    def agents(self) -> list[AgentRow]:
        with self.ws.cache.session() as s:
            skills = {k.id: k for k in s.scalars(select(m.AgentSkills))}
            out = []
            for u in s.scalars(
                select(m.User)
                .where(m.User.active.is_(True), m.User.role.in_(["agent", "supervisor"]))
                .order_by(m.User.display_name)
            ):
                k = skills.get(u.id)
                out.append(
                    AgentRow(
                        u.id,
                        u.display_name,
                        tuple(k.languages) if k else (),
                        tuple(k.channels) if k else (),
                    )
                )
            return out

    # --- actions (outbox) ------------------------------------------------------------------

    def save(
        self,
        rule_id: str | None,
        name: str,
        enabled: bool,
        stop: bool,
        conditions: dict[str, Any],
        actions: dict[str, Any],
    ) -> tuple[str, ChangeSet]:
        rid = rule_id or str(uuid.uuid4())
        self.ws.engine.enqueue(
            MutationType.ROUTING_RULE_SAVE,
            {
                "rule_id": rid,
                "name": name,
                "enabled": enabled,
                "stop": stop,
                "conditions": conditions,
                "actions": actions,
            },
        )
        return rid, ChangeSet.of([(Entity.ROUTING_RULE, rid)])

    def move(self, rule_id: str, direction: str) -> ChangeSet:
        self.ws.engine.enqueue(
            MutationType.ROUTING_RULE_MOVE, {"rule_id": rule_id, "direction": direction}
        )
        return ChangeSet.of([(Entity.ROUTING_RULE, rule_id)])

    def delete(self, rule_id: str) -> ChangeSet:
        self.ws.engine.enqueue(MutationType.ROUTING_RULE_DELETE, {"rule_id": rule_id})
        return ChangeSet.of([(Entity.ROUTING_RULE, rule_id)])

    def set_skills(
        self, user_id: str, languages: Sequence[str], channels: Sequence[str]
    ) -> ChangeSet:
        self.ws.engine.enqueue(
            MutationType.AGENT_SKILLS_SET,
            {"user_id": user_id, "languages": list(languages), "channels": list(channels)},
        )
        return ChangeSet.of([(Entity.AGENT_SKILLS, user_id)])

    def dry_run(self, conditions: dict[str, Any], limit: int = 500) -> tuple[int, int]:
        """(matched, considered) from the server: needs a connection."""
        body = self.ws.engine.api.routing_dry_run(conditions, limit)
        return int(body.get("matched") or 0), int(body.get("considered") or 0)
