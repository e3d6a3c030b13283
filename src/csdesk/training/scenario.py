"""Training scenarios: a flow of the simulated customer's lines, with what a good reply needs.

A scenario is a JSON file a team lead writes (the format is in ``docs/training.md``). Each step
of its flow is one thing the customer says; its ``expect`` says what the trainee's reply must
cover, must not say and must do, and its ``on`` says where the conversation goes when the
reply met the expectation, missed it, or missed it once too often (the customer escalates).
The flow itself is the step machine of :mod:`csdesk.domain.steps`, shared with call scripts:
``on`` becomes that machine's choices keyed ``met``, ``missed`` and ``escalate``.

Loading checks everything a hand-written file can get wrong and raises :class:`FlowError`
naming the file and the step, because a scenario that fails halfway through a training session
wastes the trainee's time and teaches nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csdesk.domain.enums import Channel
from csdesk.domain.steps import Flow, FlowError, Step, flow_from_dict
from csdesk.i18n import N_
from csdesk.resources import resource_path
from csdesk.training.matching import PhraseError, PhraseSet

__all__ = [
    "ACTIONS",
    "DIFFICULTIES",
    "EMPATHY_PHRASES",
    "OUTCOMES",
    "Avoid",
    "CustomerCard",
    "Expectation",
    "FlowError",
    "Point",
    "Scenario",
    "default_dir",
    "load_scenario",
    "load_scenarios",
    "scenario_from_dict",
]

#: What a trainee can do besides writing: (button label, sentence when missed, when done,
#: sentence when done although the situation forbids it). Whole sentences per action,
#: because grammar differs between languages.
ACTIONS: Mapping[str, tuple[str, str, str, str]] = {
    "resolve": (
        N_("Resolve the conversation"),
        N_("You did not resolve the conversation."),
        N_("Good: you resolved the conversation."),
        N_("You resolved the conversation before the customer's problem was settled."),
    ),
    "offer_refund": (
        N_("Offer a refund"),
        N_("You did not offer a refund."),
        N_("Good: you offered a refund."),
        N_("You offered a refund, which this situation does not allow."),
    ),
    "send_replacement": (
        N_("Send a replacement"),
        N_("You did not send a replacement."),
        N_("Good: you sent a replacement."),
        N_("You sent a replacement, which this situation does not allow."),
    ),
    "send_return_label": (
        N_("Send a return label"),
        N_("You did not send a return label."),
        N_("Good: you sent a return label."),
        N_("You sent a return label, which this situation does not allow."),
    ),
    "update_address": (
        N_("Update the delivery address"),
        N_("You did not update the delivery address."),
        N_("Good: you updated the delivery address."),
        N_("You changed the delivery address, which this situation does not allow."),
    ),
    "escalate": (
        N_("Escalate to a supervisor"),
        N_("You did not escalate to a supervisor."),
        N_("Good: you escalated to a supervisor."),
        N_("You escalated to a supervisor although you could have solved this yourself."),
    ),
}

DIFFICULTIES: Mapping[str, str] = {
    "easy": N_("easy"),
    "medium": N_("medium"),
    "hard": N_("hard"),
}

#: How a scenario can end: the customer is satisfied, or escalates (asks for a manager, leaves).
OUTCOMES = ("resolved", "escalated")
BRANCHES = ("met", "missed", "escalate")

#: Words that apologise or acknowledge the customer's feelings (English; a scenario in another
#: language lists its own under ``empathy_phrases``).
EMPATHY_PHRASES = (
    "sorry",
    "apolog*",
    "my apologies",
    "I understand",
    "I completely understand",
    "understand how",
    "understandably",
    "frustrat*",
    "I can imagine",
    "I can see why",
    "must be annoying",
    "thank you for your patience",
    "thanks for your patience",
    "regret",
)

_SCENARIO_KEYS = {
    "id",
    "title",
    "channel",
    "difficulty",
    "summary",
    "customer",
    "targets",
    "escalate_after",
    "empathy_phrases",
    "start",
    "steps",
}
_STEP_KEYS = {"id", "text", "hint", "expect", "on", "next", "outcome"}
_EXPECT_KEYS = {"cover", "avoid", "empathy", "action", "forbid_actions"}


@dataclass(frozen=True, slots=True)
class Point:
    """Something a good reply covers, in any of several wordings.

    ``name`` is a verb phrase ("ask for the order number") used in the default feedback;
    ``met`` and ``missed`` replace that feedback when the author wants other words. ``ask`` is
    what the customer says when a reply left this point out but answered the rest ("And what's
    the tracking number?"); without it the customer asks "Could you also <name>?"."""

    name: str
    phrases: PhraseSet
    met: str = ""
    missed: str = ""
    ask: str = ""


@dataclass(frozen=True, slots=True)
class Avoid:
    """Words a reply must not contain, and why (shown to the trainee)."""

    phrases: PhraseSet
    why: str = ""


@dataclass(frozen=True, slots=True)
class Expectation:
    cover: tuple[Point, ...] = ()
    avoid: tuple[Avoid, ...] = ()
    empathy: bool = False
    action: str | None = None
    forbid_actions: tuple[str, ...] = ()

    @property
    def items(self) -> int:
        """How many things the reply is scored on (forbidden words only take away)."""
        return len(self.cover) + int(self.empathy) + int(self.action is not None)

    @property
    def empty(self) -> bool:
        return not (self.items or self.avoid or self.forbid_actions)


@dataclass(frozen=True, slots=True)
class CustomerCard:
    """The fictional customer and order, shown beside the transcript."""

    name: str
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    flow: Flow
    channel: str
    difficulty: str
    summary: str
    customer: CustomerCard
    first_response_seconds: float
    total_seconds: float | None
    escalate_after: int
    empathy: PhraseSet
    expectations: Mapping[str, Expectation] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def id(self) -> str:
        return self.flow.id

    @property
    def title(self) -> str:
        return self.flow.title

    def expectation(self, step_id: str) -> Expectation:
        return self.expectations.get(step_id, Expectation())

    def outcome(self, step_id: str) -> str:
        """How the conversation ended if it ends at ``step_id``."""
        return self.outcomes.get(step_id, "resolved")

    def step(self, step_id: str) -> Step:
        return self.flow.step(step_id)


def default_dir() -> Path:
    """``resources/scenarios``, wherever csdesk.resources finds it."""
    return resource_path("scenarios")


# --- checking -------------------------------------------------------------------------------


def _str(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise FlowError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def _unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    extra = sorted(set(data) - known)
    if extra:
        raise FlowError(f"{where}: unknown field {extra[0]!r} (known: {', '.join(sorted(known))})")


def _phrases(value: Any, where: str) -> PhraseSet:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
        raise FlowError(f"{where}: 'any' must be a phrase or a non-empty list of phrases")
    try:
        return PhraseSet.of(value)
    except PhraseError as exc:
        raise FlowError(f"{where}: {exc}") from None


def _seconds(value: Any, where: str, *, required: bool) -> float | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise FlowError(f"{where} must be a positive number of seconds")
    return float(value)


def _action(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in ACTIONS:
        raise FlowError(f"{where}: unknown action {value!r} (known: {', '.join(ACTIONS)})")
    return value


def _expectation(raw: Any, at: str) -> Expectation:
    if not isinstance(raw, Mapping):
        raise FlowError(f"{at}: 'expect' must be an object")
    _unknown(raw, _EXPECT_KEYS, f"{at} expect")
    cover_raw = raw.get("cover", [])
    if not isinstance(cover_raw, list):
        raise FlowError(f"{at}: 'cover' must be a list")
    cover: list[Point] = []
    for n, item in enumerate(cover_raw, 1):
        where = f"{at} cover {n}"
        if not isinstance(item, Mapping):
            raise FlowError(f"{where}: must be an object with 'point' and 'any'")
        _unknown(item, {"point", "any", "met", "missed", "ask"}, where)
        cover.append(
            Point(
                name=_str(item, "point", where),
                phrases=_phrases(item.get("any"), where),
                met=_str(item, "met", where, required=False),
                missed=_str(item, "missed", where, required=False),
                ask=_str(item, "ask", where, required=False),
            )
        )
    avoid_raw = raw.get("avoid", [])
    if not isinstance(avoid_raw, list):
        raise FlowError(f"{at}: 'avoid' must be a list")
    avoid: list[Avoid] = []
    for n, item in enumerate(avoid_raw, 1):
        where = f"{at} avoid {n}"
        if not isinstance(item, Mapping):
            raise FlowError(f"{where}: must be an object with 'any'")
        _unknown(item, {"any", "why"}, where)
        avoid.append(
            Avoid(_phrases(item.get("any"), where), _str(item, "why", where, required=False))
        )
    empathy = raw.get("empathy", False)
    if not isinstance(empathy, bool):
        raise FlowError(f"{at}: 'empathy' must be true or false")
    action = raw.get("action")
    forbid = raw.get("forbid_actions", [])
    if not isinstance(forbid, list):
        raise FlowError(f"{at}: 'forbid_actions' must be a list")
    expectation = Expectation(
        cover=tuple(cover),
        avoid=tuple(avoid),
        empathy=empathy,
        action=None if action is None else _action(action, f"{at} expect"),
        forbid_actions=tuple(_action(a, f"{at} forbid_actions") for a in forbid),
    )
    if expectation.action is not None and expectation.action in expectation.forbid_actions:
        raise FlowError(f"{at}: action {expectation.action!r} is both required and forbidden")
    return expectation


def scenario_from_dict(data: Any, source: str = "scenario") -> Scenario:
    """Build and check a scenario; errors start with ``source`` (the file name)."""
    try:
        return _build(data, source)
    except FlowError as exc:
        message = str(exc)
        raise FlowError(message if message.startswith(source) else f"{source}: {message}") from None


def _build(data: Any, source: str) -> Scenario:
    if not isinstance(data, Mapping):
        raise FlowError("a scenario must be a JSON object")
    where = f"scenario {data.get('id')!r}" if isinstance(data.get("id"), str) else "scenario"
    _unknown(data, _SCENARIO_KEYS, where)
    channel = _str(data, "channel", where)
    if channel not in {c.value for c in Channel}:
        known = ", ".join(c.value for c in Channel)
        raise FlowError(f"{where}: unknown channel {channel!r} (known: {known})")
    difficulty = _str(data, "difficulty", where)
    if difficulty not in DIFFICULTIES:
        raise FlowError(f"{where}: 'difficulty' must be one of {', '.join(DIFFICULTIES)}")
    customer = data.get("customer")
    if not isinstance(customer, Mapping):
        raise FlowError(f"{where}: 'customer' must be an object with 'name' and 'facts'")
    _unknown(customer, {"name", "facts"}, f"{where} customer")
    facts = customer.get("facts", {})
    if not isinstance(facts, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str | int | float) for k, v in facts.items()
    ):
        raise FlowError(f"{where} customer: 'facts' must map labels to texts")
    card = CustomerCard(
        _str(customer, "name", f"{where} customer"),
        tuple((k, str(v)) for k, v in facts.items()),
    )
    targets = data.get("targets", {})
    if not isinstance(targets, Mapping):
        raise FlowError(f"{where}: 'targets' must be an object")
    _unknown(targets, {"first_response_seconds", "total_seconds"}, f"{where} targets")
    first = _seconds(
        targets.get("first_response_seconds"),
        f"{where}: targets.first_response_seconds",
        required=True,
    )
    total = _seconds(
        targets.get("total_seconds"), f"{where}: targets.total_seconds", required=False
    )
    escalate_after = data.get("escalate_after", 2)
    if (
        isinstance(escalate_after, bool)
        or not isinstance(escalate_after, int)
        or escalate_after < 1
    ):
        raise FlowError(f"{where}: 'escalate_after' must be a whole number from 1")
    empathy = _phrases(
        data.get("empathy_phrases", list(EMPATHY_PHRASES)), f"{where} empathy_phrases"
    )

    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise FlowError(f"{where}: 'steps' must be a non-empty list")
    flow_steps: list[dict[str, Any]] = []
    expectations: dict[str, Expectation] = {}
    outcomes: dict[str, str] = {}
    for n, raw in enumerate(raw_steps, 1):
        if not isinstance(raw, Mapping):
            raise FlowError(f"{where}: step {n} must be an object")
        sid = _str(raw, "id", f"{where} step {n}")
        at = f"{where} step {sid!r}"
        _unknown(raw, _STEP_KEYS, at)
        step: dict[str, Any] = {k: raw[k] for k in ("id", "text", "hint") if k in raw}
        expectation = _expectation(raw["expect"], at) if "expect" in raw else Expectation()
        if not expectation.empty:
            expectations[sid] = expectation
        on = raw.get("on")
        if on is not None:
            if "next" in raw:
                raise FlowError(f"{at}: use either 'on' or 'next', not both")
            if not isinstance(on, Mapping):
                raise FlowError(f"{at}: 'on' must be an object")
            _unknown(on, set(BRANCHES), f"{at} on")
            for branch in ("met", "missed"):
                if branch not in on:
                    raise FlowError(f"{at}: 'on' needs a {branch!r} step (or null to end)")
            if expectation.empty:
                raise FlowError(f"{at}: 'on' needs an 'expect' to tell met from missed")
            step["choices"] = [
                {"label": branch, "key": branch, "next": on[branch]}
                for branch in BRANCHES
                if branch in on
            ]
        elif "next" in raw:
            step["next"] = raw["next"]
        outcome = raw.get("outcome")
        if outcome is not None:
            if outcome not in OUTCOMES:
                raise FlowError(f"{at}: 'outcome' must be one of {', '.join(OUTCOMES)}")
            if on is not None or raw.get("next"):
                raise FlowError(f"{at}: only a last step can have an 'outcome'")
            outcomes[sid] = outcome
        flow_steps.append(step)
    flow = flow_from_dict(
        {
            "id": data.get("id"),
            "title": data.get("title"),
            "start": data.get("start"),
            "steps": flow_steps,
        }
    )
    return Scenario(
        flow=flow,
        channel=channel,
        difficulty=difficulty,
        summary=_str(data, "summary", where),
        customer=card,
        first_response_seconds=first or 0.0,
        total_seconds=total,
        escalate_after=escalate_after,
        empathy=empathy,
        expectations=expectations,
        outcomes=outcomes,
        source=source,
    )


def load_scenario(path: Path) -> Scenario:
    """Read and check one file; every problem is a :class:`FlowError` naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FlowError(f"{path.name}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FlowError(f"{path.name}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FlowError(f"{path.name}: not valid JSON at line {exc.lineno}: {exc.msg}") from None
    return scenario_from_dict(data, path.name)


def load_scenarios(directory: Path | None = None) -> tuple[list[Scenario], list[str]]:
    """Every ``*.json`` in ``directory``, sorted by difficulty then title, and the problems of
    the files that did not load (one bad file must not hide the good ones)."""
    directory = directory or default_dir()
    found: list[Scenario] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            scenario = load_scenario(path)
        except FlowError as exc:
            problems.append(str(exc))
            continue
        if scenario.id in seen:
            problems.append(
                f"{path.name}: id {scenario.id!r} is already used by {seen[scenario.id]}"
            )
            continue
        seen[scenario.id] = path.name
        found.append(scenario)
    order = list(DIFFICULTIES)
    found.sort(key=lambda s: (order.index(s.difficulty), s.title.casefold()))
    return found, problems
