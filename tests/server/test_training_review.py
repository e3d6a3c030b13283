"""The training review on the server (issue 12), on SQLite and PostgreSQL: a finished session
is recorded under its trainee through the push; supervisors see everyone's, a trainee only
their own, agents get 403 for others'; comments and assignments reach the trainee; scenarios
are published (the bundled ones by default) to every realm, checked strictly; hostile input
is a 4xx or a typed rejection, never a 5xx."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csdesk.training.scenario import default_dir
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

pytestmark = pytest.mark.timeout(120)


def _ids(who: Raw) -> dict[str, str]:
    changes, _ = who.pull_all()
    return {c["data"]["username"]: c["id"] for c in changes if c["entity"] == "user"}


def record_args(scenario: str = "where-is-my-order", score: int = 72, **extra: Any) -> dict:
    start = datetime.now(UTC) - timedelta(minutes=4)
    return {
        "result_id": str(uuid.uuid4()),
        "scenario": scenario,
        "title": "Where is my order?",
        "channel": "chat",
        "difficulty": "easy",
        "started_at": start.isoformat(),
        "finished_at": (start + timedelta(minutes=4)).isoformat(),
        "score": score,
        "grade": "Good",
        "outcome": "resolved",
        "hints_used": 1,
        "rubric": {"points": 50, "empathy": 100, "first_response": 90, "handling": 75},
        "points": [{"point": "ask for the order number", "met": True}],
        "feedback": ["The customer's problem was solved."],
        "transcript": [
            {"speaker": "customer", "text": "Where is it?", "at": start.isoformat()},
            {"speaker": "trainee", "text": "Sorry! Your order number?", "at": start.isoformat()},
        ],
        **extra,
    }


def _applied(result: dict[str, Any]) -> None:
    assert result["status"] == "applied", result


@pytest.fixture(scope="module")
def people(live: ServerProcess, shared_users: dict[str, TestUser]) -> dict[str, Raw]:
    return {name: Raw.signed_in(live, user) for name, user in shared_users.items()}


def test_a_session_is_recorded_under_the_trainee_and_roles_decide_who_reads_it(
    people: dict[str, Raw],
) -> None:
    tia, sue, ann, adm = people["tia"], people["sue"], people["ann"], people["adm"]
    ids = _ids(sue)
    args = record_args(score=72, user_id="someone-else")  # not an argument: refused
    assert tia.push(("training.record", args))[0]["reason"]["code"] == "invalid"
    del args["user_id"]
    _applied(tia.push(("training.record", args))[0])
    rid = args["result_id"]

    mine = tia.get("/api/v1/training/results").json()["results"]
    assert [r["id"] for r in mine] == [rid] and mine[0]["user_id"] == ids["tia"]
    assert mine[0]["rubric"]["points"] == 50 and mine[0]["rubric"]["actions"] is None
    listed = sue.get("/api/v1/training/results", params={"user_id": ids["tia"]}).json()
    assert listed["results"][0]["score"] == 72
    trainees = {t["username"]: t for t in sue.get("/api/v1/training/trainees").json()["trainees"]}
    assert trainees["tia"]["sessions"] >= 1 and trainees["tia"]["average"] is not None
    assert adm.get("/api/v1/training/trainees").status_code == 200

    detail = sue.get(f"/api/v1/training/results/{rid}").json()
    assert detail["transcript"][1]["text"] == "Sorry! Your order number?"
    assert detail["user_name"] and detail["points"][0]["met"] is True

    # Agents and trainees: their own only.
    assert ann.get(f"/api/v1/training/results/{rid}").status_code == 403
    assert ann.get("/api/v1/training/results", params={"user_id": ids["tia"]}).status_code == 403
    assert ann.get("/api/v1/training/trainees").status_code == 403
    assert tia.get("/api/v1/training/trainees").status_code == 403
    assert ann.get(f"/api/v1/training/results/{uuid.uuid4()}").status_code == 404
    assert tia.get(f"/api/v1/training/results/{rid}").status_code == 200

    # A replay of the same session (an import after a direct send) changes nothing.
    assert tia.push(("training.record", args))[0]["status"] == "applied"
    assert len(tia.get("/api/v1/training/results").json()["results"]) == 1
    # Someone else cannot take that id.
    assert ann.push(("training.record", args))[0]["reason"]["code"] == "conflict"


def test_training_results_never_enter_the_change_feed(people: dict[str, Raw]) -> None:
    tia, ann = people["tia"], people["ann"]
    before_t, before_a = tia.head(), ann.head()
    _applied(tia.push(("training.record", record_args()))[0])
    assert tia.head() == before_t and ann.head() == before_a  # nothing for any realm's desks


def test_a_comment_and_an_assignment_reach_the_trainee(people: dict[str, Raw]) -> None:
    tia, sue, ann = people["tia"], people["sue"], people["ann"]
    ids = _ids(sue)
    assign = {
        "assignment_id": str(uuid.uuid4()),
        "trainee_id": ids["tia"],
        "scenario": "double-charged",
        "note": "Practise staying calm",
    }
    assert ann.push(("training.assign", assign))[0]["reason"]["code"] == "forbidden"
    _applied(sue.push(("training.assign", assign))[0])
    again = {**assign, "assignment_id": str(uuid.uuid4())}
    assert sue.push(("training.assign", again))[0]["reason"]["code"] == "conflict"
    nowhere = {**again, "scenario": "no-such-scenario"}
    assert sue.push(("training.assign", nowhere))[0]["reason"]["code"] == "not_found"
    to_admin = {**again, "trainee_id": ids["adm"]}
    assert sue.push(("training.assign", to_admin))[0]["reason"]["code"] == "invalid"

    mine = tia.get("/api/v1/training/mine").json()
    open_ones = [a for a in mine["assignments"] if a["scenario"] == "double-charged"]
    assert open_ones and open_ones[0]["note"] == "Practise staying calm"
    assert open_ones[0]["title"] == "Angry caller charged twice"
    assert open_ones[0]["assigned_by_name"]

    # Playing it finishes the assignment.
    played = record_args("double-charged", 64)
    _applied(tia.push(("training.record", played))[0])
    mine = tia.get("/api/v1/training/mine").json()
    assert not [a for a in mine["assignments"] if a["scenario"] == "double-charged"]
    done = sue.get("/api/v1/training/assignments", params={"user_id": ids["tia"]}).json()
    assert any(a["result_id"] == played["result_id"] for a in done["assignments"])

    comment = {
        "comment_id": str(uuid.uuid4()),
        "result_id": played["result_id"],
        "body": "Good calm tone; offer the refund sooner.",
    }
    assert tia.push(("training.comment", comment))[0]["reason"]["code"] == "forbidden"
    assert ann.push(("training.comment", comment))[0]["reason"]["code"] == "forbidden"
    _applied(sue.push(("training.comment", comment))[0])
    bad = {**comment, "comment_id": str(uuid.uuid4()), "result_id": str(uuid.uuid4())}
    assert sue.push(("training.comment", bad))[0]["reason"]["code"] == "not_found"
    blank = {**comment, "comment_id": str(uuid.uuid4()), "body": "   "}
    assert sue.push(("training.comment", blank))[0]["reason"]["code"] == "invalid"

    mine = tia.get("/api/v1/training/mine").json()
    session = next(r for r in mine["results"] if r["id"] == played["result_id"])
    assert [c["body"] for c in session["comments"]] == [comment["body"]]
    assert session["comments"][0]["author_name"]

    # Taking back an assignment.
    other = {**assign, "assignment_id": str(uuid.uuid4()), "scenario": "where-is-my-order"}
    _applied(sue.push(("training.assign", other))[0])
    _applied(sue.push(("training.unassign", {"assignment_id": other["assignment_id"]}))[0])
    mine = tia.get("/api/v1/training/mine").json()
    assert other["assignment_id"] not in {a["id"] for a in mine["assignments"]}


def _scenario(key: str, title: str = "Gift wrap forgotten") -> dict[str, Any]:
    data = json.loads((default_dir() / "where-is-my-order.json").read_text(encoding="utf-8"))
    data["id"], data["title"] = key, title
    return data


def test_scenarios_are_published_to_every_realm_and_checked_strictly(
    people: dict[str, Raw],
) -> None:
    tia, sue, ann = people["tia"], people["sue"], people["ann"]
    bundled = {c["data"]["key"] for c in tia.pull_all()[0] if c["entity"] == "training_scenario"}
    assert {"where-is-my-order", "double-charged"} <= bundled  # the defaults, for trainees
    agent_view = {c["data"]["key"] for c in ann.pull_all()[0] if c["entity"] == "training_scenario"}
    assert bundled <= agent_view  # and for production desks (supervisors assign them)

    key = f"gift-wrap-{uuid.uuid4().hex[:6]}"
    source = json.dumps(_scenario(key))
    publish = {"source": source, "filename": "gift.json"}
    assert tia.push(("training.publish", publish))[0]["reason"]["code"] == "forbidden"
    assert ann.push(("training.publish", publish))[0]["reason"]["code"] == "forbidden"
    _applied(sue.push(("training.publish", publish))[0])
    rows = [c for c in tia.pull_all()[0] if c["entity"] == "training_scenario"]
    row = next(c["data"] for c in rows if c["data"]["key"] == key)
    assert row["title"] == "Gift wrap forgotten" and row["origin"] == "published"
    assert json.loads(row["body"])["id"] == key

    # A new version replaces it.
    _applied(
        sue.push(("training.publish", {"source": json.dumps(_scenario(key, "Gift wrap, v2"))}))[0]
    )
    rows = [c for c in tia.pull_all()[0] if c["entity"] == "training_scenario"]
    row = next(c["data"] for c in rows if c["data"]["key"] == key)
    assert row["title"] == "Gift wrap, v2" and row["version"] == 2

    broken = _scenario("broken-one")
    broken["steps"][0]["on"]["met"] = "nowhere"
    deep = '{"id": "x", "steps": ' + "[" * 50 + "]" * 50 + "}"
    cases = {
        json.dumps(broken): "leads to unknown step 'nowhere'",
        "{not json": "not valid JSON at line 1",
        deep: "nested deeper than 10 levels",
        json.dumps({**_scenario("nul-one"), "summary": "a\u0000b"}): "NUL",
        json.dumps({**_scenario("huge"), "escalate_after": 10**400}): "a number of 401 digits",
        "[]": "a scenario must be a JSON object",
    }
    for text, why in cases.items():
        answer = sue.push(("training.publish", {"source": text, "filename": "bad.json"}))[0]
        assert answer["status"] == "rejected", (text[:40], answer)
        assert answer["reason"]["code"] == "invalid" and why in answer["reason"]["message"]
    big = {"source": " " * (256 * 1024 + 1)}
    assert sue.push(("training.publish", big))[0]["reason"]["code"] == "invalid"


@pytest.mark.parametrize(
    "args",
    [
        record_args(score=101),
        record_args(score=2**70),
        record_args(started_at="2026-01-01T10:00:00"),  # no time zone
        record_args(outcome="won"),
        record_args(rubric={"points": -1}),
        record_args(rubric={"charm": 50}),
        record_args(transcript=[{"speaker": "x", "text": "t", "at": "2026-01-01T00:00:00Z"}]),
        record_args(transcript=[{"speaker": "customer", "text": "t" * 5000, "at": "bad"}]),
        record_args(finished_at="2000-01-01T00:00:00+00:00"),
        # Past the calendar's end or start once in UTC (was a 500 on both databases).
        record_args(
            started_at="9999-12-31T23:00:00-14:00", finished_at="9999-12-31T23:30:00-14:00"
        ),
        record_args(
            started_at="0001-01-01T00:00:00+14:00", finished_at="0001-01-01T01:00:00+14:00"
        ),
        record_args(
            transcript=[{"speaker": "customer", "text": "t", "at": "9999-12-31T23:00:00-14:00"}]
        ),
        # A session "finished" in year 9999 would head every list for ever.
        record_args(started_at="1970-01-01T00:00:00+00:00", finished_at="9999-12-31T23:59:59Z"),
        record_args(started_at="1999-12-31T10:00:00+00:00", finished_at="1999-12-31T10:10:00Z"),
        {"result_id": "x"},
    ],
)
def test_bad_records_are_refused_with_a_reason(people: dict[str, Raw], args: dict) -> None:
    answer = people["tia"].push(("training.record", args))[0]
    assert answer["status"] == "rejected" and answer["reason"]["code"] == "invalid", answer


def test_hostile_reads_are_4xx(people: dict[str, Raw]) -> None:
    sue, tia = people["sue"], people["tia"]
    for path, params in [
        ("/api/v1/training/results", {"user_id": "x" * 37}),
        ("/api/v1/training/results", {"user_id": "a\u0000b"}),
        ("/api/v1/training/results/" + "y" * 40, {}),
    ]:
        status = sue.get(path, params=params).status_code
        assert 400 <= status < 500, (path, params, status)
    # A lone surrogate's bytes in the query: never a 5xx (decoded as U+FFFD, nobody's id).
    assert sue.get("/api/v1/training/assignments?user_id=%ED%A0%80").status_code < 500
    assert tia.get("/api/v1/training/results", params={"user_id": "other"}).status_code == 403
    assert Raw(sue.base).get("/api/v1/training/mine").status_code == 401
    huge = {"source": "[" * 300_000}
    r = sue.post(
        "/api/v1/push",
        json={"mutations": [{"id": str(uuid.uuid4()), "type": "training.publish", "args": huge}]},
    )
    assert r.status_code < 500
    if r.status_code == 200:
        assert r.json()["results"][0]["status"] == "rejected"
