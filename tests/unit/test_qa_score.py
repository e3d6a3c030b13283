"""The weighted QA score and the rubric checks (``domain.qa``), by hand."""

from __future__ import annotations

import pytest

from csdesk.domain import qa

CRITERIA = qa.criteria_from(
    [
        {"key": "a", "name": "A", "weight": 1, "scale": "pass_fail"},
        {"key": "b", "name": "B", "weight": 3, "scale": "points", "max_points": 4},
        {"key": "c", "name": "C", "weight": 2, "scale": "points", "max_points": 5},
    ]
)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"a": 1, "b": 4, "c": 5}, 100.0),
        ({"a": 0, "b": 0, "c": 0}, 0.0),
        ({"a": 1, "b": 2}, 62.5),  # c N/A: (1 + 1.5) / (1 + 3)
        ({"a": None, "b": None, "c": 5}, 100.0),
        ({"a": 0, "b": 1, "c": 2}, 25.8),  # (0 + 0.75 + 0.8) / 6 = 25.83
        ({}, None),
        ({"a": None, "b": None, "c": None}, None),
    ],
)
def test_weighted_score(scores: dict[str, int | None], expected: float | None) -> None:
    assert qa.weighted_score(CRITERIA, scores) == expected


def test_scores_are_checked_against_the_rubric() -> None:
    assert qa.scores_from(CRITERIA, {"b": 3}) == {"a": None, "b": 3, "c": None}
    for bad in ({"a": 2}, {"b": 5}, {"b": -1}, {"z": 1}, {"b": True}, {"b": 10**40}, []):
        with pytest.raises(qa.RubricError):
            qa.scores_from(CRITERIA, bad)


def test_rubric_text_is_bounded_and_clean() -> None:
    ok = {"key": "k", "name": "N", "weight": 1, "scale": "pass_fail"}
    assert qa.criteria_from([ok])[0].choices() == [0, 1]
    for bad in (
        [{**ok, "name": "bad\x00"}],
        [{**ok, "description": "\ud800"}],
        [{**ok, "weight": 101}],
        [ok, ok],
        [],
        "criteria",
    ):
        with pytest.raises(qa.RubricError):
            qa.criteria_from(bad)
    assert qa.clean_text("  two\nlines\t ", 100, "x") == "two\nlines"
