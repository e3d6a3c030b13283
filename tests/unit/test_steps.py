"""The step machine under call scripts and training scenarios."""

from __future__ import annotations

from typing import Any

import pytest

from csdesk.domain.steps import FlowError, Taken, Walk, flow_from_dict


def _flow(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "returns",
        "title": "Return a parcel",
        "steps": [
            {"id": "greet", "text": "Greet the caller", "next": "verify", "speaker": "agent"},
            {
                "id": "verify",
                "text": "Ask for the order number",
                "hint": "It starts with SO-",
                "choices": [
                    {"label": "Has it", "next": "label", "key": "found"},
                    {"label": "Does not have it", "next": "lookup"},
                    {"label": "Caller hangs up", "next": None},
                ],
            },
            {"id": "lookup", "text": "Look it up by email", "next": "label"},
            {"id": "label", "text": "Send the return label"},
        ],
    }
    data.update(over)
    return data


def test_walk_choices_back_and_end() -> None:
    flow = flow_from_dict(_flow())
    walk = Walk(flow)
    assert walk.current is not None and walk.current.id == "greet"
    assert walk.current.data == {"speaker": "agent"}
    assert walk.advance() is not None
    with pytest.raises(FlowError, match="needs a choice"):
        walk.advance()
    step = walk.choose(1)
    assert step is not None and step.id == "lookup"
    assert walk.position == 3
    assert walk.back() and walk.current is not None and walk.current.id == "verify"
    walk.choose(0)
    assert walk.advance() is None and walk.finished
    assert walk.trail == (Taken("greet", None), Taken("verify", "found"), Taken("label", None))
    assert walk.back() and not walk.finished  # back out of the end
    walk.restart()
    assert walk.trail == () and not walk.back()


def test_choice_ending_the_flow_and_bad_index() -> None:
    walk = Walk(flow_from_dict(_flow()))
    walk.advance()
    with pytest.raises(IndexError):
        walk.choose(3)
    assert walk.choose(2) is None and walk.finished
    with pytest.raises(FlowError, match="finished"):
        walk.advance()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": []}, "non-empty list"),
        ({"title": ""}, "'title' must be a non-empty string"),
        ({"start": "nowhere"}, "start step 'nowhere' does not exist"),
        (
            {"steps": [{"id": "a", "text": "x", "next": "b"}]},
            "step 'a' leads to unknown step 'b'",
        ),
        (
            {"steps": [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]},
            "step 'b' cannot be reached",
        ),
        (
            {
                "steps": [
                    {"id": "a", "text": "x", "next": "b"},
                    {"id": "b", "text": "y", "next": "a"},
                ]
            },
            "never reaches an end",
        ),
        ({"steps": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, "used twice"),
        ({"steps": [{"id": "a", "text": "x", "choices": [{"next": None}]}]}, "'label'"),
    ],
)
def test_bad_flows_say_what_is_wrong(change: dict[str, Any], message: str) -> None:
    with pytest.raises(FlowError, match=message):
        flow_from_dict(_flow(**change))


def test_loops_that_can_finish_are_allowed() -> None:
    flow = flow_from_dict(
        {
            "id": "retry",
            "title": "Retry",
            "steps": [
                {
                    "id": "ask",
                    "text": "Ask",
                    "choices": [{"label": "again", "next": "ask"}, {"label": "done", "next": None}],
                }
            ],
        }
    )
    walk = Walk(flow)
    assert walk.choose(0) is not None and walk.choose(1) is None
