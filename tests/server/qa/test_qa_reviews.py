"""Quality review on the server (issue 12), over HTTP on SQLite and PostgreSQL: the weighted
score with N/A criteria, who may write and read reviews, the feed's audience, rubric versions
and hostile input (never a 5xx)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.qa.helpers import (
    CRITERIA,
    handled_conversation,
    ok,
    review_args,
    rubric,
    user_ids,
)

REVIEWS = "/api/v1/qa/reviews"


@pytest.fixture(scope="module")
def who(live: ServerProcess, shared_users: dict[str, TestUser]) -> dict[str, Raw]:
    return {name: Raw.signed_in(live, u) for name, u in shared_users.items()}


@pytest.fixture(scope="module")
def ids(who: dict[str, Raw]) -> dict[str, str]:
    return user_ids(who["adm"])


def _review(who: dict[str, Raw], live: ServerProcess, ids: dict[str, str], agent: str) -> str:
    rid = rubric(who["sue"])
    conv, _ = handled_conversation(live.db_url, who["sue"], ids[agent])
    args = review_args(conv, rid)
    ok(who["sue"].push(("qa.review.save", args)))
    return str(args["review_id"])


def test_weighted_score_leaves_na_criteria_out(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    rid = rubric(who["sue"])
    conv, msg = handled_conversation(live.db_url, who["sue"], ids["ann"])
    args = review_args(
        conv, rid, message_comments=[{"message_id": msg, "text": "<b>Ask</b> for the order"}]
    )
    ok(who["sue"].push(("qa.review.save", args)))
    body = who["ann"].get(f"{REVIEWS}/{args['review_id']}").json()
    # greeting pass (1 × 1/1) + solution 2 of 4 (3 × 0.5), policy N/A: 100 × 2.5 / 4
    assert body["score"] == 62.5
    assert body["agent_id"] == ids["ann"] and body["reviewer_id"] == ids["sue"]
    assert body["scores"] == {"greeting": 1, "solution": 2, "policy": None}
    assert body["message_comments"] == [{"message_id": msg, "text": "<b>Ask</b> for the order"}]
    # Every criterion N/A: no score at all (not 0), and the edit keeps the same review.
    edit = {**args, "scores": {}, "comment": "Not enough to judge."}
    ok(who["adm"].push(("qa.review.save", edit)))
    body = who["ann"].get(f"{REVIEWS}/{args['review_id']}").json()
    assert body["score"] is None
    assert body["comment"] == "Not enough to judge."
    assert body["reviewer_id"] == ids["sue"]  # who first reviewed it; the edit is audited


def test_only_supervisors_and_admins_write(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    rid = rubric(who["adm"])
    conv, _ = handled_conversation(live.db_url, who["sue"], ids["bob"])
    for name in ("ann", "tia"):
        results = who[name].push(
            ("qa.review.save", review_args(conv, rid)),
            ("qa.rubric.save", {"rubric_id": str(uuid.uuid4()), "name": "x", "criteria": CRITERIA}),
        )
        assert [r["status"] for r in results] == ["rejected", "rejected"], results
        # A trainee's realm has neither conversation nor rubric: not found before forbidden.
        assert results[0]["reason"]["code"] in ("forbidden", "not_found")
        assert results[1]["reason"]["code"] == "forbidden"
    assert who["ann"].push(("qa.review.save", review_args(conv, rid)))[0]["reason"]["code"] == (
        "forbidden"
    )


def test_an_agent_reads_only_their_own_reviews(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    anns = _review(who, live, ids, "ann")
    bobs = _review(who, live, ids, "bob")
    mine = [r["id"] for r in who["ann"].get(REVIEWS).json()["reviews"]]
    assert anns in mine and bobs not in mine
    assert {r["agent_id"] for r in who["ann"].get(REVIEWS).json()["reviews"]} == {ids["ann"]}
    assert who["bob"].get(f"{REVIEWS}/{anns}").status_code == 404
    assert who["bob"].get(REVIEWS, params={"agent_id": ids["ann"]}).status_code == 403
    assert who["tia"].get(REVIEWS).status_code == 403
    assert who["tia"].get(f"{REVIEWS}/{anns}").status_code == 403
    assert who["tia"].get("/api/v1/qa/rubrics").status_code == 403
    everyone = {r["id"] for r in who["sue"].get(REVIEWS, params={"limit": 500}).json()["reviews"]}
    assert {anns, bobs} <= everyone
    assert who["adm"].get(f"{REVIEWS}/{bobs}").status_code == 200


def test_the_feed_gives_reviews_to_leads_only(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    review_id = _review(who, live, ids, "ann")

    def entities(name: str) -> dict[str, set[str]]:
        changes, _ = who[name].pull_all()
        out: dict[str, set[str]] = {}
        for c in changes:
            out.setdefault(c["entity"], set()).add(c["id"])
        return out

    assert review_id in entities("sue").get("qa_review", set())
    assert review_id in entities("adm").get("qa_review", set())
    assert "qa_review" not in entities("ann")  # their own comes from GET /qa/reviews
    assert "qa_review" not in entities("bob")
    tia = entities("tia")
    assert "qa_review" not in tia and "qa_rubric" not in tia
    assert entities("ann").get("qa_rubric")  # everyone in production reads the rubric
    snap = f"/api/v1/entities/qa_review/{review_id}"
    assert who["sue"].get(snap).status_code == 200
    assert who["ann"].get(snap).status_code == 404


def test_a_new_rubric_version_leaves_old_reviews_their_rubric(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    v1 = rubric(who["sue"])
    conv, _ = handled_conversation(live.db_url, who["sue"], ids["ann"])
    old = review_args(conv, v1)
    ok(who["sue"].push(("qa.review.save", old)))
    changed = [{**c, "weight": 5} if c["key"] == "greeting" else c for c in CRITERIA]
    v2 = rubric(who["sue"], family=v1, criteria=changed)
    rubrics = {r["id"]: r for r in who["ann"].get("/api/v1/qa/rubrics").json()["rubrics"]}
    assert (rubrics[v1]["version"], rubrics[v1]["active"]) == (1, False)
    assert (rubrics[v2]["version"], rubrics[v2]["active"]) == (2, True)
    body = who["ann"].get(f"{REVIEWS}/{old['review_id']}").json()
    assert body["rubric"]["id"] == v1 and body["score"] == 62.5
    # An edit cannot move a review to another version.
    moved = who["sue"].push(("qa.review.save", {**old, "rubric_id": v2}))[0]
    assert (moved["status"], moved["reason"]["code"]) == ("rejected", "conflict")
    new = review_args(conv, v2)
    ok(who["sue"].push(("qa.review.save", new)))
    # greeting 5 × 1 + solution 3 × 0.5 = 6.5 of 8
    assert who["ann"].get(f"{REVIEWS}/{new['review_id']}").json()["score"] == 81.2
    stray = {"rubric_id": str(uuid.uuid4()), "family": str(uuid.uuid4())}
    unknown = who["sue"].push(("qa.rubric.save", {**stray, "name": "x", "criteria": CRITERIA}))
    assert unknown[0]["reason"]["code"] == "not_found"


HOSTILE_REVIEWS: list[dict[str, Any]] = [
    {"scores": {"solution": 10**30}},
    {"scores": {"solution": -1}},
    {"scores": {"greeting": 2}},
    {"scores": {"nope": 1}},
    {"scores": {"solution": "lots"}},
    {"scores": ["greeting"]},
    {"scores": {"solution": 1.5}},
    {"comment": "x" * 100_000},
    {"comment": "bell\x07"},
    {"message_comments": [{"message_id": str(uuid.uuid4()), "text": "on another message"}]},
    {"message_comments": [{"message_id": "x", "text": ""}]},
    {"message_comments": "all of them"},
    {"rubric_id": str(uuid.uuid4())},
    {"conversation_id": str(uuid.uuid4())},
]
HOSTILE_RUBRICS: list[dict[str, Any]] = [
    {"criteria": []},
    {"criteria": [{"key": "a", "name": "A", "weight": 10**20, "scale": "points", "max_points": 3}]},
    {"criteria": [{"key": "a", "name": "A", "weight": 0, "scale": "points", "max_points": 3}]},
    {"criteria": [{"key": "a", "name": "A", "weight": 1, "scale": "stars"}]},
    {"criteria": [{"key": "a", "name": "A", "weight": 1, "scale": "points", "max_points": 99}]},
    {"criteria": [{"key": "a", "name": "", "weight": 1, "scale": "pass_fail"}]},
    {"criteria": [CRITERIA[0], CRITERIA[0]]},
    {"criteria": ["greeting"]},
    {"criteria": [{"key": "a", "name": "A", "weight": True, "scale": "pass_fail"}]},
    {"criteria": [{"key": "a", "name": "A" * 5000, "weight": 1, "scale": "pass_fail"}]},
    {"criteria": [dict(CRITERIA[0], key=str(n)) for n in range(31)]},
    {"name": "  "},
]


def test_hostile_input_is_refused_never_a_5xx(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    rid = rubric(who["sue"])
    conv, _ = handled_conversation(live.db_url, who["sue"], ids["ann"])
    for bad in HOSTILE_REVIEWS:
        r = who["sue"].post(
            "/api/v1/push",
            json={"mutations": [{"id": str(uuid.uuid4()), "type": "qa.review.save",
                                 "args": {**review_args(conv, rid), **bad}}]},
        )  # fmt: skip
        assert r.status_code == 200, (bad, r.text)
        assert r.json()["results"][0]["status"] == "rejected", bad
    for bad in HOSTILE_RUBRICS:
        args = {"rubric_id": str(uuid.uuid4()), "name": "R", "criteria": CRITERIA, **bad}
        result = who["sue"].push(("qa.rubric.save", args))[0]
        assert result["status"] == "rejected", bad
    # Text no database stores: refused at the edge, on both databases.
    for text in ("nul\x00", "lone \ud800"):
        body = {"mutations": [{"id": str(uuid.uuid4()), "type": "qa.review.save",
                               "args": {**review_args(conv, rid), "comment": text}}]}  # fmt: skip
        r = who["sue"].post(
            "/api/v1/push",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422, r.text
    for params in (
        {"agent_id": "x" * 5000},
        {"conversation_id": "\x00"},
        {"limit": 10**30},
        {"limit": -1},
    ):
        assert who["sue"].get(REVIEWS, params=params).status_code in (400, 422), params
    assert who["sue"].get(f"{REVIEWS}/{'x' * 300}").status_code in (404, 422)
    assert who["sue"].get(f"{REVIEWS}/%00").status_code in (404, 422)
    # Nothing was saved by any of it: the conversation still has no review.
    assert who["sue"].get(REVIEWS, params={"conversation_id": conv}).json() == {"reviews": []}


def test_a_conversation_nobody_handled_cannot_be_reviewed(
    live: ServerProcess, who: dict[str, Raw]
) -> None:
    from tests.helpers.data import make_conversations

    rid = rubric(who["sue"])
    conv = make_conversations(live.db_url, 1)[0].conversation_id
    result = who["sue"].push(("qa.review.save", review_args(conv, rid)))[0]
    assert (result["status"], result["reason"]["code"]) == ("rejected", "invalid")
    assert "Nobody has handled" in result["reason"]["message"]


def test_two_supervisors_saving_a_rubric_make_consecutive_versions_one_active(
    live: ServerProcess, who: dict[str, Raw]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    family = rubric(who["sue"])

    def save(name: str) -> str:
        args = {"rubric_id": str(uuid.uuid4()), "family": family, "name": name,
                "criteria": CRITERIA}  # fmt: skip
        result = who[name].push(("qa.rubric.save", args))[0]
        assert result["status"] == "applied", result
        return str(args["rubric_id"])

    for _round in range(3):
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(save, ("sue", "adm")))
    rows = [r for r in who["sue"].get("/api/v1/qa/rubrics").json()["rubrics"]
            if r["family"] == family]  # fmt: skip
    assert sorted(r["version"] for r in rows) == [1, 2, 3, 4, 5, 6, 7]
    assert [r["version"] for r in rows if r["active"]] == [7]


def test_the_agent_hears_of_a_new_review_once(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    """A new review reaches the reviewed agent's desk as a floor message (shown and announced
    there); an edit of the review tells nothing new, and nobody else gets it."""
    from csdesk.server.floor.notices import notice_id

    rid = rubric(who["sue"])
    conv, _ = handled_conversation(live.db_url, who["sue"], ids["ann"])
    args = review_args(conv, rid)
    ok(who["sue"].push(("qa.review.save", args)))
    ok(who["sue"].push(("qa.review.save", {**args, "comment": "Edited."})))
    notice = notice_id(f"qa-review:{args['review_id']}")
    changes, _ = who["ann"].pull_all()
    mine = [c for c in changes if c["entity"] == "floor_message" and c["id"] == notice]
    assert len(mine) == 1 and mine[0]["data"]["body"] == ""  # the score is not the realm's
    words = who["ann"].get("/api/v1/floor/messages", params={"ids": notice}).json()["messages"]
    [told] = words
    assert told["from_user_id"] == ids["sue"]
    assert "reviewed your conversation" in told["body"] and "62.5 %" in told["body"]
    # Issue 13: its template and params, for the desk's language; never in the feed.
    [phrase] = told["body_phrases"]
    assert phrase["template"].startswith("reviewed your conversation “{what}”: {score} %.")
    assert phrase["params"]["score"] == "62.5"
    assert phrase["template"].format(**phrase["params"]) == told["body"]
    assert "body_phrases" not in mine[0]["data"]
    assert who["bob"].get("/api/v1/floor/messages", params={"ids": notice}).json() == {
        "messages": []
    }
