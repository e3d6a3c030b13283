"""The shipped call scripts load and walk; placeholders fill from the caller; trails check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csdesk.app.calls import (
    CallView,
    Script,
    placeholder_values,
    position_text,
    step_text,
    steps_after,
    suggest,
)
from csdesk.app.thread import CustomerContext, OrderView
from csdesk.domain.calls import trail_problem, trail_to_wire
from csdesk.domain.steps import Flow, Walk, flow_from_dict, most_steps_left
from csdesk.server import scripts

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _customer() -> CustomerContext:
    order = OrderView(
        number="FH-10234",
        status="shipped",
        total_cents=4599,
        currency="EUR",
        placed_at=NOW,
        shipments=(("DHL", "JJD0099887766", "in_transit", None, None),),
        returns=(("refund_pending", "too small", 4599),),
    )
    return CustomerContext(
        id="c1",
        name="Jane van der Berg",
        email="jane@example.com",
        phone="+31612345678",
        language="nl",
        timezone="Europe/Amsterdam",
        tags=(),
        loyalty_tier="gold",
        loyalty_points=120,
        identities=(),
        orders=(order,),
    )


def test_every_shipped_script_loads_and_reaches_an_end() -> None:
    shipped = scripts.builtin()
    assert {s.flow.id for s in shipped} >= {
        "order_enquiry",
        "return_refund",
        "missed_call_callback",
    }
    for item in shipped:
        assert item.topic and item.language == "en"
        walk = Walk(item.flow)
        for _ in range(50):  # always the first way on: every script must finish
            step = walk.current
            if step is None:
                break
            if step.choices:
                walk.choose(0)
            else:
                walk.advance()
        assert walk.finished, item.flow.id


def test_placeholders_fill_from_the_caller_and_their_latest_order() -> None:
    values = placeholder_values(_customer(), "Sam Agent")
    order = next(s for s in scripts.builtin() if s.flow.id == "order_enquiry").flow
    greet = step_text(order.step("greet"), values)
    assert greet.complete
    assert greet.text.startswith("Hello Jane, this is Sam Agent at Fernhill Outfitters.")
    status = step_text(order.step("status"), values)
    assert status.text == "Your parcel is with DHL; the tracking number is JJD0099887766."
    refund = next(s for s in scripts.builtin() if s.flow.id == "return_refund").flow
    assert "refund pending" in step_text(refund.step("refund_status"), values).text


def test_unknown_details_stay_visible_for_the_agent() -> None:
    values = placeholder_values(None, "Sam Agent")
    order = next(s for s in scripts.builtin() if s.flow.id == "order_enquiry").flow
    filled = step_text(order.step("identify"), values)
    assert filled.text == "Is this about order {order_number}?"
    assert filled.missing == ("order_number",)


def test_step_counts_give_the_most_steps_still_possible() -> None:
    flow = next(s for s in scripts.builtin() if s.flow.id == "order_enquiry").flow
    assert steps_after(flow, "close") == 0
    assert position_text(4, 0) == "Step 4, the last"
    assert position_text(2, 3) == "Step 2, at most 3 more"
    assert steps_after(flow, "greet") > steps_after(flow, "status")


def _every_walk(flow: Flow, sid: str, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    step = flow.step(sid)
    targets = [c.next for c in step.choices] if step.choices else [step.next]
    for target in targets:
        if target is None:
            yield (*path, sid)
        elif target not in path and target != sid:
            yield from _every_walk(flow, target, (*path, sid))


def test_the_promised_bound_never_grows_along_any_walk() -> None:
    """Issue 9, item 34: "Step 2 of 4" became "Step 3 of 6" on a longer branch. Now step
    number + "at most K more" is a bound every later step keeps (never above it)."""
    for item in scripts.builtin():
        flow = item.flow
        walks = list(_every_walk(flow, flow.start, ()))
        assert walks
        for path in walks:
            bounds = [n + steps_after(flow, sid) for n, sid in enumerate(path, 1)]
            assert bounds == sorted(bounds, reverse=True), (flow.id, path, bounds)
            assert bounds[-1] >= len(path)  # never fewer steps than the walk really took


def test_a_branching_flow_counts_its_longest_branch() -> None:
    flow = flow_from_dict(
        {
            "id": "b",
            "title": "B",
            "steps": [
                {"id": "a", "text": "A", "choices": [
                    {"label": "short", "next": "end"},
                    {"label": "long", "next": "x"},
                ]},
                {"id": "x", "text": "X", "next": "y"},
                {"id": "y", "text": "Y", "next": "end"},
                {"id": "end", "text": "Bye"},
            ],
        }
    )  # fmt: skip
    assert most_steps_left(flow, "a") == 4 and steps_after(flow, "a") == 3
    assert steps_after(flow, "x") == 2 and steps_after(flow, "end") == 0


def test_the_suggested_script_follows_the_call() -> None:
    flows = {s.flow.id: s for s in scripts.builtin()}
    listed = [Script(f"id-{k}", k, s.flow.title, s.topic, s.flow) for k, s in sorted(flows.items())]

    def call(outcome: str) -> CallView:
        return CallView(
            "c", "conv", "cust", "Jane", "+31", "in", outcome, None, NOW, None, None, None,
            None, "", None, None,
        )  # fmt: skip

    def key(index: int) -> str:
        return listed[index].key

    assert key(suggest(listed, call("ringing"), ())) == "order_enquiry"
    assert key(suggest(listed, call("missed"), ())) == "missed_call_callback"
    assert key(suggest(listed, None, ("callback",))) == "missed_call_callback"
    assert key(suggest(listed, None, ("return",))) == "return_refund"
    assert suggest([], None, ()) == -1


def test_trails_are_checked_before_they_are_stored() -> None:
    flow = flow_from_dict(
        {
            "id": "f",
            "title": "F",
            "steps": [
                {"id": "a", "text": "A", "choices": [{"label": "Yes", "next": "b", "key": "y"}]},
                {"id": "b", "text": "B"},
            ],
        }
    )
    walk = Walk(flow)
    walk.choose(0)
    walk.advance()
    wire = trail_to_wire(walk.trail)
    assert wire == [{"step": "a", "choice": "y"}, {"step": "b", "choice": None}]
    assert trail_problem(wire) is None
    assert trail_problem("a, b") == "the script trail must be a list"
    assert trail_problem([{"step": ""}]) == "trail entry 1 has no step id"
    assert trail_problem([{"step": "a", "extra": 1}]) is not None
    assert trail_problem([{"step": "a", "choice": 3}]) == "trail entry 1 has a bad choice"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "x"', "not valid JSON (line 1"),
        ('{"id": "x", "title": "X", "steps": []}', "'steps' must be a non-empty list"),
        (
            '{"id": "x", "title": "X", "steps": [{"id": "a", "text": "A", "next": "a"}]}',
            "step 'a' never reaches an end",
        ),
        (
            '{"id": "x", "title": "X", "topic": 5, "steps": [{"id": "a", "text": "A"}]}',
            "'topic' must be a short string",
        ),
        # Ids and choice names go into the wrap-up's trail, which the server refuses beyond
        # 64 and 200 characters: such a script could never be wrapped up.
        (
            json.dumps({"id": "x", "title": "X", "steps": [{"id": "s" * 65, "text": "A"}]}),
            "longer than 64 characters",
        ),
        (
            json.dumps(
                {
                    "id": "x",
                    "title": "X",
                    "steps": [
                        {"id": "a", "text": "A", "choices": [{"label": "L" * 201, "next": None}]}
                    ],
                }
            ),
            "longer than 200 characters",
        ),
    ],
)
def test_a_bad_script_file_names_the_file_and_the_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "mine.json"
    path.write_text(content)
    with pytest.raises(scripts.ScriptFileError) as err:
        scripts.read_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_good_script_file_keeps_its_definition(tmp_path: Path) -> None:
    data = {"id": "x", "title": "X", "topic": "order", "steps": [{"id": "a", "text": "A"}]}
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    loaded = scripts.read_file(path)
    assert loaded.definition == data and loaded.topic == "order" and loaded.language == "en"
