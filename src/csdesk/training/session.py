"""The simulated customer: one training session walking a scenario's flow.

The customer says the current step's line; the trainee's reply is judged against that step's
expectation, as the customer hears the whole conversation so far (a point made in an earlier
reply counts), and the judgement picks the branch: ``met``, ``missed``, or ``escalate`` once the
trainee has missed ``escalate_after`` times in a row (a customer repeats themselves once, then
asks for a manager). A customer never asks again for what they were already told: when the
"missed" branch leads to a step whose questions the conversation has already answered, the
customer asks once, in their own words, for just the points still missing.

A step without branches goes on to its ``next`` whatever the reply; a last
step with an expectation still takes one reply (the goodbye), one without ends the session as
soon as the customer has said it.

Nothing here touches the network, the sync engine or the local cache: a session lives in memory
and its result is written only to the training history (:mod:`csdesk.training.history`). The
clock is injected, so a test can play a whole session in no time and get the same score twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from csdesk.domain.steps import Step, Walk
from csdesk.i18n import _
from csdesk.training.rubric import point_list, rubric_of
from csdesk.training.scenario import ACTIONS, Scenario
from csdesk.training.scoring import Judgement, ScoreCard, judge, score_card

__all__ = ["CUSTOMER", "TRAINEE", "Line", "ReplyError", "TrainingSession", "Turn"]

CUSTOMER = "customer"
TRAINEE = "trainee"


class ReplyError(ValueError):
    """A reply that cannot be taken (empty, unknown action, session over); the message is
    translated and meant for the trainee."""


@dataclass(frozen=True, slots=True)
class Line:
    speaker: str  # CUSTOMER or TRAINEE
    text: str
    at: datetime
    step_id: str
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Turn:
    """What one reply did: how it was judged (None on a step that asks nothing), which
    branch the customer took, and what the customer said next (None when the session ended)."""

    judgement: Judgement | None
    branch: str | None
    customer: Line | None


def _now() -> datetime:
    return datetime.now(UTC)


class TrainingSession:
    """Not thread-safe: owned by the panel (or test) that shows it."""

    def __init__(self, scenario: Scenario, clock: Callable[[], datetime] = _now) -> None:
        self.scenario = scenario
        self.clock = clock
        self.walk = Walk(scenario.flow)
        self.lines: list[Line] = []
        self.judgements: list[tuple[str, Judgement]] = []
        self.reply_seconds: list[float] = []  # per judged reply: time since the customer's line
        self.hints_used = 0
        self._hinted: set[str] = set()
        self._misses = 0
        self._asked_again: set[str] = set()  # steps where the customer asked for what was missing
        self.started_at: datetime | None = None
        self.first_reply_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.outcome: str | None = None
        self._card: ScoreCard | None = None
        self.result_id = str(uuid.uuid4())

    # --- state ------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self.started_at is not None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def step(self) -> Step | None:
        return None if self.finished else self.walk.current

    # --- playing ----------------------------------------------------------------------------

    def start(self) -> Line:
        """The customer's opening line; the clock for the first response starts now."""
        if self.started:
            raise ReplyError(_("This session has already started."))
        self.started_at = self.clock()
        line = self._say()
        assert line is not None  # the first step always has text
        return line

    def _say(self) -> Line | None:
        step = self.walk.current
        if step is None:
            return None
        line = Line(CUSTOMER, step.text, self.clock(), step.id)
        self.lines.append(line)
        if step.is_end and self.scenario.expectation(step.id).empty:
            self._finish(self.scenario.outcome(step.id))
        return line

    def hint(self) -> str:
        """The current step's hint; the first look at each step's hint counts as one used."""
        step = self.step
        if step is None or not step.hint:
            return ""
        if step.id not in self._hinted:
            self._hinted.add(step.id)
            self.hints_used += 1
        return step.hint

    def reply(self, text: str, actions: Iterable[str] = ()) -> Turn:
        """Judge the trainee's reply, move the customer on, and say what the customer says."""
        step = self.step
        if not self.started or step is None:
            raise ReplyError(_("The session is over; start a new one to reply again."))
        chosen = frozenset(actions)
        unknown = sorted(chosen - set(ACTIONS))
        if unknown:
            raise ReplyError(_("Unknown action: {action}.").format(action=unknown[0]))
        if not text.strip():
            raise ReplyError(_("Write a reply before sending it."))
        now = self.clock()
        if self.first_reply_at is None:
            self.first_reply_at = now
        self.lines.append(Line(TRAINEE, text.strip(), now, step.id, tuple(sorted(chosen))))
        expectation = self.scenario.expectation(step.id)
        judgement: Judgement | None = None
        if not expectation.empty:
            judgement = judge(
                self.scenario,
                expectation,
                text,
                chosen,
                earlier=self._trainee_texts()[:-1],
                earlier_actions=self._trainee_actions(),
            )
            self.judgements.append((step.id, judgement))
            asked = next(x for x in reversed(self.lines) if x.speaker == CUSTOMER)
            self.reply_seconds.append((now - asked.at).total_seconds())
        branch = self._branch(step, judgement)
        if step.choices:
            index = [c.name for c in step.choices].index(branch or "met")
            choice = step.choices[index]
            if branch == "missed" and judgement is not None:
                again = self._ask_for_missing(step, judgement, choice.next)
                if again is not None:
                    return Turn(judgement, branch, again)
            self.walk.choose(index)
            if choice.next is None:
                self._finish("resolved" if branch == "met" else "escalated")
                return Turn(judgement, branch, None)
        elif step.is_end:
            self.walk.advance()
            self._finish(self.scenario.outcome(step.id))
            return Turn(judgement, branch, None)
        else:
            self.walk.advance()
        return Turn(judgement, branch, self._say())

    def _trainee_texts(self) -> list[str]:
        return [line.text for line in self.lines if line.speaker == TRAINEE]

    def _trainee_actions(self) -> frozenset[str]:
        return frozenset(a for line in self.lines if line.speaker == TRAINEE for a in line.actions)

    def _answered(self, step_id: str) -> bool:
        """Whether the conversation so far already does everything ``step_id`` asks for."""
        expectation = self.scenario.expectation(step_id)
        if expectation.empty or not expectation.cover:
            return False
        texts = self._trainee_texts()
        if not all(any(p.phrases.find(t) is not None for t in texts) for p in expectation.cover):
            return False
        if expectation.empathy and not any(
            self.scenario.empathy.find(t) is not None for t in texts
        ):
            return False
        return expectation.action is None or expectation.action in self._trainee_actions()

    def _ask_for_missing(self, step: Step, judgement: Judgement, target: str | None) -> Line | None:
        """The customer's own question for the points still missing, instead of the scripted
        "missed" line when that line would ask for what the trainee has already said. Once per
        step: a second miss goes down the scripted branch."""
        if target is None or step.id in self._asked_again or not judgement.missed:
            return None
        if not self._answered(target):
            return None
        self._asked_again.add(step.id)
        points = {p.name: p for p in self.scenario.expectation(step.id).cover}
        asks = [
            points[name].ask or _("Could you also {point}?").format(point=name)
            for name in judgement.missed
        ]
        line = Line(CUSTOMER, " ".join(asks), self.clock(), step.id)
        self.lines.append(line)
        return line

    def _branch(self, step: Step, judgement: Judgement | None) -> str | None:
        if judgement is None:
            return None
        if judgement.met:
            self._misses = 0
            return "met"
        self._misses += 1
        keys = {c.name for c in step.choices}
        if "escalate" in keys and self._misses >= self.scenario.escalate_after:
            return "escalate"
        return "missed"

    def end(self) -> None:
        """The trainee stops before the customer is done."""
        if not self.finished:
            if not self.started:
                self.started_at = self.clock()
            self._finish("ended_early")

    def _finish(self, outcome: str) -> None:
        self.finished_at = self.clock()
        self.outcome = outcome

    # --- results ----------------------------------------------------------------------------

    def score_card(self) -> ScoreCard:
        if self.started_at is None or self.finished_at is None or self.outcome is None:
            raise ReplyError(_("The session is not finished yet."))
        if self._card is None:
            self._card = score_card(
                self.scenario,
                [j for _sid, j in self.judgements],
                started=self.started_at,
                first_reply=self.first_reply_at,
                finished=self.finished_at,
                outcome=self.outcome,
                hints_used=self.hints_used,
            )
        return self._card

    def record(self) -> dict[str, Any]:
        """The finished session as a JSON-ready dict for the history file (and the server's
        ``training.record``: ``id`` names it there, so a second send is a duplicate)."""
        card = self.score_card()
        assert self.started_at is not None and self.finished_at is not None
        return {
            "id": self.result_id,
            "scenario": self.scenario.id,
            "title": self.scenario.title,
            "channel": self.scenario.channel,
            "difficulty": self.scenario.difficulty,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "score": card.score,
            "grade": card.grade,
            "outcome": card.outcome,
            "handling": card.handling,
            "first_response_seconds": card.first_response_seconds,
            "total_seconds": card.total_seconds,
            "hints_used": card.hints_used,
            "feedback": list(card.feedback),
            "rubric": rubric_of(
                self.judgements,
                card,
                first_target=self.scenario.first_response_seconds,
                total_target=self.scenario.total_seconds,
            ),
            "points": point_list(self.judgements),
            "replies": [
                {"step": sid, "score": j.score, "missed": list(j.missed), "seconds": seconds}
                for (sid, j), seconds in zip(self.judgements, self.reply_seconds, strict=True)
            ],
            "transcript": [
                {
                    "speaker": line.speaker,
                    "text": line.text,
                    "at": line.at.isoformat(),
                    "step": line.step_id,
                    "actions": list(line.actions),
                }
                for line in self.lines
            ],
        }
