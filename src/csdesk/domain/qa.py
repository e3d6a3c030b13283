"""Quality review: rubrics, criteria and the weighted score (docs/qa.md). Standard library only.

A rubric is a list of criteria, each with a weight and a scale: ``points`` (0..``max_points``)
or ``pass_fail`` (0 fail, 1 pass). A review gives each criterion a value or N/A (None, or left
out). The weighted score is

    score = 100 * sum(w_c * v_c / max_c) / sum(w_c)     over the criteria not N/A

rounded to one decimal; with every criterion N/A there is no score (None). The server and the
desk (its live score) both compute it here, so they always agree.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from csdesk.domain.phrase import Phrase, PhraseError

MAX_CRITERIA: Final = 30
MAX_WEIGHT: Final = 100
MAX_POINTS: Final = 10
MAX_NAME: Final = 120
MAX_DESCRIPTION: Final = 1000
MAX_RUBRIC_NAME: Final = 120
MAX_COMMENT: Final = 5000
MAX_MESSAGE_COMMENTS: Final = 200
#: The feed realm of reviews: only supervisors and administrators pull them (an agent reads
#: their own through ``GET /api/v1/qa/reviews``; a trainee none).
LEADS_FEED: Final = "qa-leads"
LEAD_ROLES: Final = frozenset({"supervisor", "admin"})


class Scale(StrEnum):
    POINTS = "points"
    PASS_FAIL = "pass_fail"


class RubricError(PhraseError):
    """A rubric or a review that cannot be saved; ``phrase`` says why, for people."""


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    name: str
    description: str
    weight: int
    scale: Scale
    max_points: int  # 1 for pass/fail

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "weight": self.weight,
            "scale": self.scale.value,
            "max_points": self.max_points,
        }

    def choices(self) -> list[int]:
        """The values a reviewer may give (N/A aside)."""
        return [0, 1] if self.scale == Scale.PASS_FAIL else list(range(self.max_points + 1))


def is_lead(role: str) -> bool:
    """Supervisors and administrators write rubrics and reviews and read every review."""
    return role in LEAD_ROLES


def clean_text(value: Any, limit: int, what: str, *, required: bool = False) -> str:
    """A person's text: no control characters but newlines and tabs, stripped, bounded."""
    if not isinstance(value, str):
        raise RubricError(Phrase("{what} must be text.", what=what))
    if len(value) > limit:
        raise RubricError(
            Phrase("{what} is longer than {limit} characters.", what=what, limit=limit)
        )
    for ch in value:
        if ch in "\n\t":
            continue
        cat = unicodedata.category(ch)
        if cat == "Cs" or (cat == "Cc"):
            raise RubricError(
                Phrase("{what} contains a character that cannot be stored.", what=what)
            )
    text = value.strip()
    if required and not text:
        raise RubricError(Phrase("{what} cannot be empty.", what=what))
    return text


def _int(value: Any, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RubricError(
            Phrase(
                "{what} must be a whole number from {low} to {high}.",
                what=what,
                low=low,
                high=high,
            )
        )
    return value


def criteria_from(data: Any) -> list[Criterion]:
    """Criteria from their wire form, checked (bounded; unique keys; at least one)."""
    if not isinstance(data, list) or not data:
        raise RubricError(Phrase("A rubric needs at least one criterion."))
    if len(data) > MAX_CRITERIA:
        raise RubricError(Phrase("A rubric has at most {n} criteria.", n=MAX_CRITERIA))
    out: list[Criterion] = []
    seen: set[str] = set()
    for n, item in enumerate(data, 1):
        if not isinstance(item, Mapping):
            raise RubricError(Phrase("Criterion {n} is not a criterion.", n=n))
        key = clean_text(item.get("key", ""), 40, f"Criterion {n}'s key", required=True)
        if key in seen:
            raise RubricError(Phrase("Two criteria share the key {key}.", key=repr(key)))
        seen.add(key)
        try:
            scale = Scale(item.get("scale", Scale.POINTS.value))
        except ValueError:
            raise RubricError(
                Phrase("Criterion {n}'s scale must be points or pass_fail.", n=n)
            ) from None
        top = (
            1
            if scale == Scale.PASS_FAIL
            else _int(item.get("max_points", 0), 1, MAX_POINTS, f"Criterion {n}'s top score")
        )
        out.append(
            Criterion(
                key=key,
                name=clean_text(
                    item.get("name", ""), MAX_NAME, f"Criterion {n}'s name", required=True
                ),
                description=clean_text(
                    item.get("description", ""), MAX_DESCRIPTION, f"Criterion {n}'s description"
                ),
                weight=_int(item.get("weight", 0), 1, MAX_WEIGHT, f"Criterion {n}'s weight"),
                scale=scale,
                max_points=top,
            )
        )
    return out


def scores_from(criteria: Sequence[Criterion], data: Any) -> dict[str, int | None]:
    """A review's scores, checked against its rubric; a criterion left out is N/A (None)."""
    if not isinstance(data, Mapping):
        raise RubricError(Phrase("Scores must be given per criterion."))
    known = {c.key: c for c in criteria}
    for key in data:
        if key not in known:
            raise RubricError(Phrase("A score names a criterion this rubric does not have."))
    out: dict[str, int | None] = {}
    for c in criteria:
        value = data.get(c.key)
        if value is None:
            out[c.key] = None
            continue
        top = c.max_points
        out[c.key] = _int(value, 0, top, f"The score of “{c.name}”")
    return out


def weighted_score(criteria: Sequence[Criterion], scores: Mapping[str, int | None]) -> float | None:
    """0–100, N/A criteria left out of both sums; None when every criterion is N/A."""
    num = 0.0
    den = 0
    for c in criteria:
        value = scores.get(c.key)
        if value is None:
            continue
        num += c.weight * (min(max(value, 0), c.max_points) / c.max_points)
        den += c.weight
    if den == 0:
        return None
    return round(100.0 * num / den, 1)
