"""The score per rubric point: what a supervisor follows over a trainee's sessions.

A session's total (``scoring.score_card``) mixes everything; a supervisor coaching a trainee
needs to see which part is weak and whether it improves across scenarios. Each point is a
0–100 figure that means the same in every scenario, or None when the session did not ask
for it (no step asked for an apology, no time target):

- ``points``: the things to cover (order number, tracking link, ...) covered by the end;
- ``empathy``: steps asking for an apology or acknowledgement that got one;
- ``actions``: required actions done (refund, replacement, resolve, ...);
- ``manners``: 100 less 25 per forbidden phrase or action;
- ``first_response``: speed of the first reply against the scenario's target;
- ``total_time``: the whole conversation against its target (resolved sessions only);
- ``handling``: the replies overall (the 80 % of the total).

Pure functions, like scoring: the same session gives the same rubric.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from csdesk.i18n import N_
from csdesk.training.scoring import Judgement, ScoreCard, speed_score

__all__ = ["RUBRIC", "point_list", "rubric_from_record", "rubric_of"]

#: Rubric keys in the order they are shown, with their labels.
RUBRIC: Mapping[str, str] = {
    "points": N_("Points covered"),
    "empathy": N_("Empathy"),
    "actions": N_("Actions"),
    "manners": N_("No forbidden words"),
    "first_response": N_("First response"),
    "total_time": N_("Whole conversation"),
    "handling": N_("Handling"),
}
MANNERS_COST = 25


def _last_per_step(judged: Sequence[tuple[str, Judgement]]) -> list[Judgement]:
    """A step judged twice (the customer asked again) counts as it ended."""
    last: dict[str, Judgement] = {}
    for step_id, judgement in judged:
        last[step_id] = judgement
    return list(last.values())


def _share(hits: int, total: int) -> int | None:
    return None if total == 0 else round(100 * hits / total)


def rubric_of(
    judged: Sequence[tuple[str, Judgement]],
    card: ScoreCard,
    *,
    first_target: float,
    total_target: float | None,
) -> dict[str, int | None]:
    final = _last_per_step(judged)
    covered = sum(len(j.covered) for j in final)
    asked = covered + sum(len(j.missed) for j in final)
    empathy = [j.empathy for j in final if j.empathy is not None]
    actions = [j.action_done for j in final if j.action_done is not None]
    penalties = sum(j.penalties for _sid, j in judged)
    first = card.first_response_seconds
    total: int | None = None
    if total_target is not None and card.outcome == "resolved":
        total = speed_score(card.total_seconds, total_target)
    return {
        "points": _share(covered, asked),
        "empathy": _share(sum(empathy), len(empathy)),
        "actions": _share(sum(actions), len(actions)),
        "manners": max(0, 100 - MANNERS_COST * penalties) if judged else None,
        "first_response": 0 if first is None else speed_score(first, first_target),
        "total_time": total,
        "handling": card.handling,
    }


def point_list(judged: Sequence[tuple[str, Judgement]]) -> list[dict[str, Any]]:
    """Each point to cover and whether it was, as the conversation ended."""
    out: list[dict[str, Any]] = []
    for judgement in _last_per_step(judged):
        out += [{"point": p, "met": True} for p in judgement.covered]
        out += [{"point": p, "met": False} for p in judgement.missed]
    return out


def rubric_from_record(record: Mapping[str, Any]) -> dict[str, int | None]:
    """The rubric of a history-file record: its own when it has one (written since issue
    12), else what older records allow (the handling figure)."""
    own = record.get("rubric")
    if isinstance(own, Mapping):
        return {k: _figure(own.get(k)) for k in RUBRIC}
    out: dict[str, int | None] = dict.fromkeys(RUBRIC)
    out["handling"] = _figure(record.get("handling"))
    return out


def _figure(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return max(0, min(100, value))
