"""Planning a macro on one conversation (docs/macros.md): what it will do, said in sentences
for the preview, and the mutations that do it, queued as one outbox batch.

Qt-free: the desk's dialog shows ``Plan.sentences`` as plain text and hands ``Plan.steps`` to
``Workstation.apply_macro``. A step that cannot be planned (a canned response that no longer
exists, an assignee no longer on the team) is left out and said in ``Plan.problems``, so the
agent sees it before applying, never after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from csdesk.domain import macros as rules
from csdesk.domain.placeholders import fill
from csdesk.i18n import _, ngettext
from csdesk.protocol import MutationType

Step = tuple[MutationType, dict[str, Any]]


class CannedLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def shortcut(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def body(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Target:
    """The conversation a macro is applied to, and the names the sentences use."""

    conversation_id: str
    language: str | None
    me_id: str
    users: Mapping[str, str] = field(default_factory=dict)  # id -> display name
    teams: Mapping[str, str] = field(default_factory=dict)  # id -> name


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    sentences: tuple[str, ...]
    problems: tuple[str, ...] = ()
    #: Placeholders the reply still holds (no value for them): said in the preview.
    missing: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The preview as plain text, one sentence a line."""
        lines = [f"• {s}" for s in self.sentences]
        lines += [_("Not done: {problem}").format(problem=p) for p in self.problems]
        if self.missing:
            lines.append(
                _("The reply still has placeholders to fill by hand: {names}").format(
                    names=", ".join(self.missing)
                )
            )
        return "\n".join(lines)


def _quote(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def plan(
    macro_id: str,
    actions: Sequence[Any],
    target: Target,
    canned: Sequence[CannedLike],
    values: Mapping[str, str | None],
    now: datetime,
) -> Plan:
    """The steps and sentences of ``actions`` on ``target`` (see ``domain.macros``); the
    last step counts the macro's use on the server."""
    cid = target.conversation_id
    steps: list[Step] = []
    said: list[str] = []
    problems: list[str] = []
    missing: tuple[str, ...] = ()
    for raw in actions:
        if not isinstance(raw, Mapping):
            continue
        kind = raw.get("kind")
        if kind == "reply":
            body: str | None = raw.get("text") if isinstance(raw.get("text"), str) else None
            used: str | None = None
            shortcut = raw.get("canned")
            if body is None and isinstance(shortcut, str):
                variants = [c for c in canned if c.shortcut == shortcut]
                chosen = rules.pick_variant(variants, target.language)
                if chosen is None:
                    problems.append(
                        _("the canned response {shortcut} no longer exists").format(
                            shortcut=shortcut
                        )
                    )
                    continue
                body, used = chosen.body, chosen.id
            if not body:
                continue
            filled = fill(body, values)
            missing = tuple(filled.missing)
            steps.append(
                (
                    MutationType.MESSAGE_SEND,
                    {"conversation_id": cid, "body_text": filled.text, "is_note": False},
                )
            )
            said.append(_("Send the customer this reply: {text}").format(text=_quote(filled.text)))
            if used is not None:
                steps.append((MutationType.CANNED_USED, {"canned_id": used}))
        elif kind == "note" and isinstance(raw.get("text"), str):
            text = fill(str(raw["text"]), values).text
            steps.append(
                (
                    MutationType.MESSAGE_SEND,
                    {"conversation_id": cid, "body_text": text, "is_note": True},
                )
            )
            said.append(_("Add this internal note: {text}").format(text=_quote(text)))
        elif kind == "tags":
            add = [str(t) for t in raw.get("add") or []]
            remove = [str(t) for t in raw.get("remove") or []]
            steps.append(
                (
                    MutationType.CONVERSATION_TAGS,
                    {"conversation_id": cid, "add": add, "remove": remove},
                )
            )
            if add:
                said.append(
                    ngettext("Add the tag {tags}", "Add the tags {tags}", len(add)).format(
                        tags=", ".join(add)
                    )
                )
            if remove:
                said.append(
                    ngettext("Remove the tag {tags}", "Remove the tags {tags}", len(remove)).format(
                        tags=", ".join(remove)
                    )
                )
        elif kind == "status" and raw.get("status") in ("open", "pending", "resolved"):
            status = str(raw["status"])
            steps.append(
                (MutationType.CONVERSATION_STATUS, {"conversation_id": cid, "status": status})
            )
            said.append(
                {
                    "open": _("Set the conversation open"),
                    "pending": _("Set the conversation pending (waiting for the customer)"),
                    "resolved": _("Resolve the conversation"),
                }[status]
            )
        elif kind == "priority" and isinstance(raw.get("priority"), str):
            priority = str(raw["priority"])
            steps.append(
                (MutationType.CONVERSATION_PRIORITY, {"conversation_id": cid, "priority": priority})
            )
            said.append(_("Set the priority to {priority}").format(priority=_(priority)))
        elif kind == "assign":
            to = str(raw.get("to") or "me")
            assignee = target.me_id if to == "me" else None if to == "nobody" else to
            if assignee is not None and to != "me" and assignee not in target.users:
                problems.append(_("the assignee is no longer a teammate"))
                continue
            team = raw.get("team_id")
            args: dict[str, Any] = {"conversation_id": cid, "assignee_id": assignee}
            if isinstance(team, str):
                args |= {"team_id": team, "set_team": True}
            steps.append((MutationType.CONVERSATION_ASSIGN, args))
            if to == "me":
                said.append(_("Assign the conversation to you"))
            elif assignee is None:
                said.append(_("Leave the conversation unassigned, for the queue"))
            else:
                said.append(
                    _("Assign the conversation to {name}").format(name=target.users[assignee])
                )
            if isinstance(team, str):
                said.append(
                    _("Move it to the team {team}").format(team=target.teams.get(team, team))
                )
        elif kind == "snooze" and isinstance(raw.get("hours"), int):
            hours = max(1, min(int(raw["hours"]), rules.MAX_SNOOZE_HOURS))
            until = now + timedelta(hours=hours)
            steps.append(
                (
                    MutationType.CONVERSATION_STATUS,
                    {
                        "conversation_id": cid,
                        "status": "snoozed",
                        "snoozed_until": until.isoformat(),
                    },
                )
            )
            said.append(
                ngettext(
                    "Snooze the conversation for {n} hour",
                    "Snooze the conversation for {n} hours",
                    hours,
                ).format(n=hours)
            )
    if steps:
        steps.append((MutationType.MACRO_USED, {"macro_id": macro_id}))
    return Plan(tuple(steps), tuple(said), tuple(problems), missing)
