"""Judging replies: what each reply covered, and the score card for a whole session.

Pure functions of the scenario, the reply and the times, so the same session always earns the
same score and feedback (a trainee comparing two attempts must see only their own difference).

One reply is scored on the items its step asks for (each point to cover, an apology where the
step asks for empathy, the required action), each worth the same; every forbidden phrase or
forbidden action takes one item away. The session's score weighs how the replies handled the
customer (80 %) against speed: the first response against the scenario's target, and the whole
conversation against its target when it has one (20 % together). Hints cost a little; a
customer who escalated, or a session ended early, caps the score, because a fast, polite
conversation that loses the customer is not a good one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from csdesk.i18n import _, ngettext
from csdesk.training.scenario import ACTIONS, Expectation, Scenario

__all__ = [
    "HINT_COST",
    "Judgement",
    "ScoreCard",
    "duration_text",
    "grade",
    "judge",
    "score_card",
    "speed_score",
]

#: Keys of :attr:`Judgement.missed_lines` that are not a point's name.
EMPATHY = "empathy"
ACTION_PREFIX = "action:"

HINT_COST = 5
MAX_HINT_COST = 15
CAP_ESCALATED = 40
CAP_ENDED_EARLY = 30


@dataclass(frozen=True, slots=True)
class Judgement:
    """One reply against one step's expectation."""

    items: int
    met_items: int
    penalties: int
    covered: tuple[str, ...]
    missed: tuple[str, ...]
    said_forbidden: tuple[str, ...]
    empathy: bool | None  # None when the step did not ask for it
    action_done: bool | None  # None when the step required no action
    feedback: tuple[str, ...]
    #: (what, its feedback line) for what was missed and what was done, so the score card can
    #: tell an item missed and then done in a later reply. What: a point's name, "empathy" or
    #: "action:<name>".
    missed_lines: tuple[tuple[str, str], ...] = ()
    done_lines: tuple[tuple[str, str], ...] = ()

    @property
    def met(self) -> bool:
        """Everything asked for, nothing forbidden: the customer goes down the "met" branch."""
        return self.met_items == self.items and self.penalties == 0

    @property
    def score(self) -> int:
        if self.items == 0:
            return 0 if self.penalties else 100
        return max(0, round(100 * (self.met_items - self.penalties) / self.items))


def judge(
    scenario: Scenario,
    expectation: Expectation,
    text: str,
    actions: frozenset[str],
    *,
    earlier: Sequence[str] = (),
    earlier_actions: frozenset[str] = frozenset(),
) -> Judgement:
    """Judge ``text`` as the customer hears the whole conversation so far: a point, an apology
    or an action done in an ``earlier`` reply counts as done (a customer who was told where the
    parcel is does not ask again). Forbidden words and actions count only in this reply: each
    was already charged to the reply that said them."""
    said = [text, *earlier]
    done = actions | earlier_actions
    covered: list[str] = []
    missed: list[str] = []
    good: list[str] = []
    bad: list[str] = []
    missed_lines: list[tuple[str, str]] = []
    done_lines: list[tuple[str, str]] = []
    for point in expectation.cover:
        if any(point.phrases.find(t) is not None for t in said):
            covered.append(point.name)
            line = point.met or _("Good: you remembered to {point}.").format(point=point.name)
            good.append(line)
            done_lines.append((point.name, line))
        else:
            missed.append(point.name)
            line = point.missed or _("You did not {point}.").format(point=point.name)
            bad.append(line)
            missed_lines.append((point.name, line))
    empathy: bool | None = None
    if expectation.empathy:
        empathy = any(scenario.empathy.find(t) is not None for t in said)
        if empathy:
            line = _("Good: you apologised or showed you understand how the customer feels.")
            good.append(line)
            done_lines.append((EMPATHY, line))
        else:
            line = _("You did not apologise or acknowledge how the customer feels.")
            bad.append(line)
            missed_lines.append((EMPATHY, line))
    action_done: bool | None = None
    if expectation.action is not None:
        action_done = expectation.action in done
        _label, missed_text, met_text, _wrong = ACTIONS[expectation.action]
        if action_done:
            good.append(_(met_text))
            done_lines.append((ACTION_PREFIX + expectation.action, _(met_text)))
        else:
            bad.append(_(missed_text))
            missed_lines.append((ACTION_PREFIX + expectation.action, _(missed_text)))
    forbidden: list[str] = []
    for avoid in expectation.avoid:
        words = avoid.phrases.find(text)
        if words is not None:
            forbidden.append(words)
            if avoid.why:
                bad.append(_("Avoid “{words}”: {why}").format(words=words, why=avoid.why))
            else:
                bad.append(_("Avoid saying “{words}” to a customer.").format(words=words))
    for action in expectation.forbid_actions:
        if action in actions:
            forbidden.append(action)
            bad.append(_(ACTIONS[action][3]))
    met_items = len(covered) + int(bool(empathy)) + int(bool(action_done))
    return Judgement(
        items=expectation.items,
        met_items=met_items,
        penalties=len(forbidden),
        covered=tuple(covered),
        missed=tuple(missed),
        said_forbidden=tuple(forbidden),
        empathy=empathy,
        action_done=action_done,
        feedback=tuple(good + bad),
        missed_lines=tuple(missed_lines),
        done_lines=tuple(done_lines),
    )


def speed_score(seconds: float, target: float) -> int:
    """Full marks within the target, none at three times the target, a straight line between."""
    if seconds <= target:
        return 100
    return max(0, round(100 * (1 - (seconds - target) / (2 * target))))


def duration_text(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes == 0:
        return ngettext("{n} second", "{n} seconds", secs).format(n=secs)
    if minutes >= 60 and minutes % 60 == 0 and secs == 0:
        hours = minutes // 60
        return ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    if secs == 0:
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    return _("{m} min {s} s").format(m=minutes, s=secs)


def grade(score: int) -> str:
    if score >= 85:
        return _("Excellent")
    if score >= 70:
        return _("Good")
    if score >= 50:
        return _("Needs practice")
    return _("Not yet")


@dataclass(frozen=True, slots=True)
class ScoreCard:
    score: int
    grade: str
    outcome: str  # resolved, escalated, ended_early
    handling: int
    first_response_seconds: float | None
    total_seconds: float
    hints_used: int
    feedback: tuple[str, ...]

    def text(self, title: str) -> str:
        """The card as sentences, one a line: what a screen reader reads and the file keeps."""
        head = _("{title} — {score} out of 100, {grade}.").format(
            title=title, score=self.score, grade=self.grade
        )
        return "\n".join([head, *self.feedback])


def _reply_feedback(judgements: list[Judgement]) -> list[str]:
    """Every reply's feedback once, in order, as the conversation ended: a "you did not" line
    whose item a later reply did after all is dropped, and that later reply's praise of a point
    says it came only after the customer had to ask."""
    done_by_end = {key for j in judgements for key, _line in j.done_lines}
    asked_again: set[str] = set()
    out: list[str] = []
    for judgement in judgements:
        missed = {line: key for key, line in judgement.missed_lines}
        done = {line: key for key, line in judgement.done_lines}
        for line in judgement.feedback:
            key = missed.get(line)
            if key is not None and key in done_by_end:
                asked_again.add(key)
                continue
            key = done.get(line)
            if key in asked_again and key != EMPATHY and not key.startswith(ACTION_PREFIX):
                line = _("Later you remembered to {point}, after the customer had to ask.").format(
                    point=key
                )
            if line not in out:
                out.append(line)
    return out


def score_card(
    scenario: Scenario,
    judgements: list[Judgement],
    *,
    started: datetime,
    first_reply: datetime | None,
    finished: datetime,
    outcome: str,
    hints_used: int,
) -> ScoreCard:
    items = sum(j.items for j in judgements)
    earned = sum(j.met_items - j.penalties for j in judgements)
    if items:
        handling = max(0, min(100, round(100 * earned / items)))
    else:
        handling = 0 if any(j.penalties for j in judgements) else 100
    if not judgements:
        handling = 0
    total = (finished - started).total_seconds()
    first = (first_reply - started).total_seconds() if first_reply is not None else None
    first_speed = speed_score(first, scenario.first_response_seconds) if first is not None else 0
    feedback: list[str] = []
    if scenario.total_seconds is not None:
        total_speed = speed_score(total, scenario.total_seconds)
        score = 0.8 * handling + 0.1 * first_speed + 0.1 * total_speed
    else:
        score = 0.8 * handling + 0.2 * first_speed
    hint_cost = min(MAX_HINT_COST, HINT_COST * hints_used)
    value = max(0, round(score) - hint_cost)
    if outcome == "escalated":
        value = min(value, CAP_ESCALATED)
        feedback.append(
            _("The customer escalated: the conversation was lost before it was solved.")
        )
    elif outcome == "ended_early":
        value = min(value, CAP_ENDED_EARLY)
        feedback.append(_("You ended the session before the customer's problem was settled."))
    else:
        feedback.append(_("The customer's problem was solved."))
    if first is None:
        feedback.append(_("You did not reply to the customer."))
    elif first <= scenario.first_response_seconds:
        feedback.append(
            _("Good: your first response came in {time}, within the target of {target}.").format(
                time=duration_text(first), target=duration_text(scenario.first_response_seconds)
            )
        )
    else:
        feedback.append(
            _("Your first response took {time}; the target is {target}.").format(
                time=duration_text(first), target=duration_text(scenario.first_response_seconds)
            )
        )
    if scenario.total_seconds is not None and outcome == "resolved":
        if total <= scenario.total_seconds:
            feedback.append(
                _("Good: the whole conversation took {time}, within {target}.").format(
                    time=duration_text(total), target=duration_text(scenario.total_seconds)
                )
            )
        else:
            feedback.append(
                _("The whole conversation took {time}; aim for {target}.").format(
                    time=duration_text(total), target=duration_text(scenario.total_seconds)
                )
            )
    feedback.extend(_reply_feedback(judgements))
    if hints_used:
        feedback.append(
            ngettext(
                "You used {n} hint ({cost} points).",
                "You used {n} hints ({cost} points).",
                hints_used,
            ).format(n=hints_used, cost=hint_cost)
        )
    return ScoreCard(
        score=value,
        grade=grade(value),
        outcome=outcome,
        handling=handling,
        first_response_seconds=first,
        total_seconds=total,
        hints_used=hints_used,
        feedback=tuple(feedback),
    )
