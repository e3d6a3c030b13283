"""Scenario files: loading errors name the file and the step; every shipped scenario loads and
can be played to the end, scoring high on a good path and low on a bad one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from csdesk.domain.enums import Channel
from csdesk.training import FlowError, TrainingSession, default_dir, load_scenario, load_scenarios
from tests.unit.training.paths import BAD, GOOD, Reply, StepClock

SHIPPED = sorted(p.stem for p in default_dir().glob("*.json"))


def _minimal() -> dict[str, Any]:
    return {
        "id": "tiny",
        "title": "Tiny",
        "channel": "chat",
        "difficulty": "easy",
        "summary": "A test scenario.",
        "customer": {"name": "Ann Test", "facts": {"Order": "SO-1"}},
        "targets": {"first_response_seconds": 60},
        "steps": [
            {
                "id": "ask",
                "text": "Where is my parcel?",
                "expect": {
                    "cover": [{"point": "ask for the order number", "any": ["order number"]}]
                },
                "on": {"met": "bye", "missed": "again"},
            },
            {
                "id": "again",
                "text": "Hello?",
                "expect": {
                    "cover": [{"point": "ask for the order number", "any": ["order number"]}]
                },
                "on": {"met": "bye", "missed": "angry", "escalate": "angry"},
            },
            {"id": "bye", "text": "Thanks!", "expect": {"action": "resolve"}},
            {"id": "angry", "text": "Manager, now.", "outcome": "escalated"},
        ],
    }


def _write(tmp_path: Path, data: Any, name: str = "tiny.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_there_are_at_least_five_scenarios_across_the_channels() -> None:
    scenarios, problems = load_scenarios()
    assert problems == []
    assert len(scenarios) >= 5
    assert {s.channel for s in scenarios} >= {
        Channel.CHAT,
        Channel.EMAIL,
        Channel.PHONE,
        Channel.WHATSAPP,
    }
    assert {s.difficulty for s in scenarios} == {"easy", "medium", "hard"}
    assert set(GOOD) == set(BAD) == {s.id for s in scenarios}  # every one has scripted paths


def _play(scenario_id: str, replies: list[Reply]) -> TrainingSession:
    clock = StepClock()
    session = TrainingSession(load_scenario(default_dir() / f"{scenario_id}.json"), clock)
    session.start()
    for text, action in replies:
        assert not session.finished, f"{scenario_id}: the session ended before {text!r}"
        clock.advance(15)
        session.reply(text, [action] if action else [])
    assert session.finished, f"{scenario_id}: the scripted path did not reach an end"
    return session


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_a_good_path_scores_high(scenario_id: str) -> None:
    session = _play(scenario_id, GOOD[scenario_id])
    card = session.score_card()
    assert session.outcome == "resolved"
    assert card.score >= 85, card.feedback
    assert card.grade == "Excellent"
    assert all(j.met for _sid, j in session.judgements), card.feedback
    assert not any(line.startswith("You did not") for line in card.feedback)


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_a_bad_path_scores_low_and_the_customer_escalates(scenario_id: str) -> None:
    session = _play(scenario_id, BAD[scenario_id])
    card = session.score_card()
    assert session.outcome == "escalated"
    assert card.score <= 40
    assert card.feedback[0].startswith("The customer escalated")
    assert session.lines[-1].speaker == "customer"  # the customer has the last word
    assert any(line.startswith(("You did not", "Avoid", "You ")) for line in card.feedback[1:])


def test_errors_name_the_file_and_the_step(tmp_path: Path) -> None:
    data = _minimal()
    data["steps"][0]["on"]["met"] = "nowhere"
    with pytest.raises(
        FlowError, match=r"^tiny\.json: .*step 'ask' leads to unknown step 'nowhere'"
    ):
        load_scenario(_write(tmp_path, data))


def _change(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(_minimal())
    *head, last = path.split(".")
    target: Any = data
    for key in head:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("channel", "fax", "unknown channel 'fax'"),
        ("difficulty", "brutal", "'difficulty' must be one of easy, medium, hard"),
        ("customer", "Ann", "'customer' must be an object"),
        ("targets.first_response_seconds", -5, "first_response_seconds must be a positive"),
        ("steps.0.expect.action", "refund_everything", "step 'ask' expect: unknown action"),
        ("steps.0.expect.cover.0.any", [], "step 'ask' cover 1: 'any' must be a phrase"),
        ("steps.0.expect.cover.0.any", ["*"], "step 'ask' cover 1: .*'\\*' must follow"),
        ("steps.0.expect.colour", "red", "step 'ask' expect: unknown field 'colour'"),
        ("steps.0.on.maybe", "bye", "step 'ask' on: unknown field 'maybe'"),
        ("steps.0.on.missed", _DELETE, "step 'ask': 'on' needs a 'missed' step"),
        ("steps.0.expect", _DELETE, "step 'ask': 'on' needs an 'expect'"),
        ("steps.0.next", "bye", "step 'ask': use either 'on' or 'next'"),
        ("steps.3.outcome", "happy", "step 'angry': 'outcome' must be one of"),
        ("steps.1.id", "ask", "step 'ask': the id is used twice"),
        ("steps.2.text", "", "step 'bye': 'text' must be a non-empty string"),
        ("escalate_after", 0, "'escalate_after' must be a whole number"),
    ],
)
def test_loading_refuses_mistakes(tmp_path: Path, path: str, value: Any, message: str) -> None:
    with pytest.raises(FlowError, match=message) as caught:
        load_scenario(_write(tmp_path, _change(path, value)))
    assert str(caught.value).startswith("tiny.json: ")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match=r"tiny\.json: not valid JSON at line 2"):
        load_scenario(_write(tmp_path, '{\n  "id": oops\n}'))
    with pytest.raises(FlowError, match=r"tiny\.json: a scenario must be a JSON object"):
        load_scenario(_write(tmp_path, "[1, 2]"))
    with pytest.raises(FlowError, match=r"missing\.json: cannot be read"):
        load_scenario(tmp_path / "missing.json")


def test_one_bad_file_does_not_hide_the_good_ones(tmp_path: Path) -> None:
    _write(tmp_path, _minimal(), "a.json")
    broken = _minimal()
    broken["channel"] = "pigeon"
    _write(tmp_path, broken, "b.json")
    twin = _minimal()
    _write(tmp_path, twin, "c.json")
    scenarios, problems = load_scenarios(tmp_path)
    assert [s.id for s in scenarios] == ["tiny"]
    assert len(problems) == 2
    assert problems[0].startswith("b.json: ") and "pigeon" in problems[0]
    assert problems[1] == "c.json: id 'tiny' is already used by a.json"
