"""The step machine shared by call scripts and training scenarios. Standard library only.

A *flow* is a directed graph of steps. Each step has text (what the agent says, or what the
simulated customer says) and either choices (each leading to another step, or ending the flow)
or a plain ``next``. A :class:`Walk` is one pass through a flow: where we are, how we got
here, and the way back. Views (the call-script panel, the training panel) are thin layers over
a walk, as Electrum's wizard views are over its Qt-free wizard.

Flows come from JSON-like dicts (server data, resource files); :func:`flow_from_dict` checks
them and says exactly what is wrong, because an operator writes them by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class FlowError(ValueError):
    """A flow definition that cannot be walked; the message names the step and the problem."""


@dataclass(frozen=True, slots=True)
class Choice:
    """One way out of a step. ``next`` is None when the choice ends the flow; ``key`` is a
    stable name for what was chosen (logged, scored), defaulting to the label."""

    label: str
    next: str | None
    key: str = ""

    @property
    def name(self) -> str:
        return self.key or self.label


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    text: str
    choices: tuple[Choice, ...] = ()
    next: str | None = None  # used when there are no choices; None ends the flow
    hint: str = ""  # guidance for the agent, not read to the customer
    data: Mapping[str, Any] = field(default_factory=dict)  # extra fields a user of flows needs

    @property
    def is_end(self) -> bool:
        return not self.choices and self.next is None


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    title: str
    start: str
    steps: Mapping[str, Step]

    def step(self, step_id: str) -> Step:
        try:
            return self.steps[step_id]
        except KeyError:
            raise FlowError(f"flow {self.id!r} has no step {step_id!r}") from None

    def problems(self) -> list[str]:
        """Everything wrong with the graph: unknown targets, steps nothing reaches, steps from
        which no end can be reached (an agent would be stuck in a loop)."""
        found: list[str] = []
        if self.start not in self.steps:
            return [f"start step {self.start!r} does not exist"]
        for step in self.steps.values():
            for target in _targets(step):
                if target not in self.steps:
                    found.append(f"step {step.id!r} leads to unknown step {target!r}")
        if found:
            return found
        reachable = _reach(self.start, lambda s: _targets(self.steps[s]))
        for sid in self.steps:
            if sid not in reachable:
                found.append(f"step {sid!r} cannot be reached from {self.start!r}")
        reverse: dict[str, set[str]] = {sid: set() for sid in self.steps}
        for step in self.steps.values():
            for target in _targets(step):
                reverse[target].add(step.id)
        ends = [s.id for s in self.steps.values() if _ends(s)]
        can_finish: set[str] = set()
        for end in ends:
            can_finish |= _reach(end, lambda s: reverse[s])
        for sid in sorted(reachable - can_finish):
            found.append(f"step {sid!r} never reaches an end")
        return found


#: How many paths ``most_steps_left`` explores before it settles for the longest found.
_LONGEST_BUDGET = 20_000


def most_steps_left(flow: Flow, step_id: str) -> int:
    """The most steps from ``step_id`` (itself included) to an end, never repeating a step.

    What "step 3, at most 2 more" says: a bound that the call cannot exceed without going
    back, so it only shrinks as the agent goes on (a total counted along the shortest way,
    "step 2 of 4", grew as the call took a longer branch). Flows are small; a pathological
    one stops exploring after a budget and reports the longest path found.
    """
    budget = [_LONGEST_BUDGET]

    def longest(sid: str, path: frozenset[str]) -> int:
        budget[0] -= 1
        step = flow.step(sid)
        best = 1
        for target in _targets(step):
            if target in path or budget[0] <= 0:
                continue
            best = max(best, 1 + longest(target, path | {target}))
        return best

    return longest(step_id, frozenset({step_id}))


def _targets(step: Step) -> list[str]:
    out = [c.next for c in step.choices if c.next is not None]
    if not step.choices and step.next is not None:
        out.append(step.next)
    return out


def _ends(step: Step) -> bool:
    return step.is_end or any(c.next is None for c in step.choices)


def _reach(start: str, edges: Any) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in edges(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise FlowError(f"{where}: {key!r} must be a non-empty string")
    return value


def _target(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise FlowError(f"{where}: 'next' must be a step id or null")


def flow_from_dict(data: Any) -> Flow:
    """Build and check a flow from ``{"id", "title", "start"?, "steps": [{"id", "text",
    "choices"?: [{"label", "next", "key"?}], "next"?, "hint"?, ...}]}``. The first step is the
    start unless ``start`` says otherwise. Extra step fields are kept in ``Step.data``."""
    if not isinstance(data, Mapping):
        raise FlowError("a flow must be an object")
    fid = _text(data, "id", "flow")
    where = f"flow {fid!r}"
    title = _text(data, "title", where)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise FlowError(f"{where}: 'steps' must be a non-empty list")
    steps: dict[str, Step] = {}
    for n, raw in enumerate(raw_steps, 1):
        if not isinstance(raw, Mapping):
            raise FlowError(f"{where}: step {n} must be an object")
        sid = _text(raw, "id", f"{where} step {n}")
        at = f"{where} step {sid!r}"
        if sid in steps:
            raise FlowError(f"{at}: the id is used twice")
        raw_choices = raw.get("choices", [])
        if not isinstance(raw_choices, list):
            raise FlowError(f"{at}: 'choices' must be a list")
        choices: list[Choice] = []
        for k, rc in enumerate(raw_choices, 1):
            if not isinstance(rc, Mapping):
                raise FlowError(f"{at}: choice {k} must be an object")
            label = _text(rc, "label", f"{at} choice {k}")
            key = _text(rc, "key", f"{at} choice {k}", required=False)
            choices.append(Choice(label, _target(rc.get("next"), f"{at} choice {k}"), key))
        known = {"id", "text", "choices", "next", "hint"}
        steps[sid] = Step(
            id=sid,
            text=_text(raw, "text", at),
            choices=tuple(choices),
            next=_target(raw.get("next"), at),
            hint=_text(raw, "hint", at, required=False),
            data={k: v for k, v in raw.items() if k not in known},
        )
    start = data.get("start") or next(iter(steps))
    if not isinstance(start, str):
        raise FlowError(f"{where}: 'start' must be a step id")
    flow = Flow(id=fid, title=title, start=start, steps=steps)
    problems = flow.problems()
    if problems:
        raise FlowError(f"{where}: " + "; ".join(problems))
    return flow


@dataclass(frozen=True, slots=True)
class Taken:
    """One step passed: where, and which choice (None for a plain "next")."""

    step_id: str
    choice: str | None


class Walk:
    """One pass through a flow. Not thread-safe; owned by whoever shows it."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._current: str | None = flow.start
        self._trail: list[Taken] = []

    @property
    def finished(self) -> bool:
        return self._current is None

    @property
    def current(self) -> Step | None:
        return None if self._current is None else self.flow.step(self._current)

    @property
    def trail(self) -> tuple[Taken, ...]:
        return tuple(self._trail)

    @property
    def position(self) -> int:
        """How many steps have been passed (1-based number of the current step)."""
        return len(self._trail) + 1

    def choose(self, index: int) -> Step | None:
        """Take choice ``index`` of the current step; returns the new step, None at the end."""
        step = self._require()
        if not 0 <= index < len(step.choices):
            raise IndexError(f"step {step.id!r} has {len(step.choices)} choices, not {index + 1}")
        choice = step.choices[index]
        self._trail.append(Taken(step.id, choice.name))
        self._current = choice.next
        return self.current

    def advance(self) -> Step | None:
        """Go on from a step without choices."""
        step = self._require()
        if step.choices:
            raise FlowError(f"step {step.id!r} needs a choice")
        self._trail.append(Taken(step.id, None))
        self._current = step.next
        return self.current

    def back(self) -> bool:
        """Return to the previous step (also from the end); False when at the start."""
        if not self._trail:
            return False
        self._current = self._trail.pop().step_id
        return True

    def restart(self) -> None:
        self._current = self.flow.start
        self._trail.clear()

    def _require(self) -> Step:
        step = self.current
        if step is None:
            raise FlowError(f"flow {self.flow.id!r} is finished")
        return step
