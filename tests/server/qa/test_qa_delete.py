"""Deleting a quality review (docs/qa.md), over HTTP on SQLite and PostgreSQL: only
supervisors and administrators may; the leads' desks get a tombstone; the agent no longer reads
it; the QA score KPI (JSON, CSV, drill-down) leaves it out, checked against a hand-computed
fixture; an edit after the delete is refused; deleting twice is applied once; the reason is
audited; bad ids and hostile reasons are refused, never a 5xx."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.kpis.fixture import PERIOD
from tests.server.qa.helpers import handled_conversation, ok, review_args, rubric, user_ids
from tests.server.qa.test_qa_kpis import build

REVIEWS = "/api/v1/qa/reviews"
DELETE = "qa.review.delete"


@pytest.fixture(scope="module")
def who(live: ServerProcess, shared_users: dict[str, TestUser]) -> dict[str, Raw]:
    return {name: Raw.signed_in(live, u) for name, u in shared_users.items()}


@pytest.fixture(scope="module")
def ids(who: dict[str, Raw]) -> dict[str, str]:
    return user_ids(who["adm"])


def _review(who: dict[str, Raw], live: ServerProcess, ids: dict[str, str]) -> dict[str, Any]:
    """A review by Sue of a conversation Ann handled; its push arguments."""
    rid = rubric(who["sue"])
    conv, _ = handled_conversation(live.db_url, who["sue"], ids["ann"])
    args = review_args(conv, rid)
    ok(who["sue"].push(("qa.review.save", args)))
    return args


def _audit(db_url: str, review_id: str) -> list[tuple[str, str | None, Any]]:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False))
    try:
        with state.reads() as s:
            rows = s.execute(
                select(m.AuditEntry.action, m.AuditEntry.actor_user_id, m.AuditEntry.after)
                .where(m.AuditEntry.entity_id == review_id)
                .order_by(m.AuditEntry.id)
            ).all()
            return [(r.action, r.actor_user_id, r.after) for r in rows]
    finally:
        state.engine.dispose()


def test_agents_and_trainees_may_not_delete_a_review(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    args = _review(who, live, ids)
    review_id = args["review_id"]
    for name in ("ann", "bob", "tia"):
        [result] = who[name].push((DELETE, {"review_id": review_id}))
        assert (result["status"], result["reason"]["code"]) == ("rejected", "forbidden"), name
        # A template the desk translates, as the other QA refusals.
        assert result["reason"]["template"] == (
            "Only supervisors and administrators delete quality reviews."
        )
    # Nothing happened: the agent still reads it.
    assert who["ann"].get(f"{REVIEWS}/{review_id}").status_code == 200
    # An administrator may, as a supervisor may (the next test).
    ok(who["adm"].push((DELETE, {"review_id": review_id})))
    assert who["adm"].get(f"{REVIEWS}/{review_id}").status_code == 404


def test_a_deleted_review_is_a_tombstone_for_leads_and_gone_for_the_agent(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    args = _review(who, live, ids)
    review_id, conv = args["review_id"], args["conversation_id"]
    _, sue_cursor = who["sue"].pull_all()
    _, adm_cursor = who["adm"].pull_all()
    assert review_id in {r["id"] for r in who["ann"].get(REVIEWS).json()["reviews"]}

    ok(who["sue"].push((DELETE, {"review_id": review_id, "reason": "Wrong agent <b>x</b>"})))

    for name, cursor in (("sue", sue_cursor), ("adm", adm_cursor)):
        changes, _ = who[name].pull_all(cursor)
        mine = [c for c in changes if c["entity"] == "qa_review" and c["id"] == review_id]
        assert len(mine) == 1, (name, changes)
        assert mine[0]["deleted"] is True and mine[0]["data"] is None
    changes, _ = who["ann"].pull_all()
    assert not [c for c in changes if c["entity"] == "qa_review"]  # never theirs to pull
    # The agent's list and the review itself: gone; for the leads too.
    assert review_id not in {r["id"] for r in who["ann"].get(REVIEWS).json()["reviews"]}
    assert who["ann"].get(f"{REVIEWS}/{review_id}").status_code == 404
    assert who["sue"].get(f"{REVIEWS}/{review_id}").status_code == 404
    assert who["sue"].get(REVIEWS, params={"conversation_id": conv}).json() == {"reviews": []}
    snap = who["sue"].get(f"/api/v1/entities/qa_review/{review_id}").json()
    assert snap["deleted"] is True and snap["data"] is None

    # An edit now is refused, clearly; nothing comes back.
    [edit] = who["sue"].push(("qa.review.save", {**args, "comment": "Again."}))
    assert (edit["status"], edit["reason"]["code"]) == ("rejected", "deleted")
    assert "deleted" in edit["reason"]["message"]
    assert who["ann"].get(f"{REVIEWS}/{review_id}").status_code == 404

    # Deleting it again is applied and changes nothing: one audit entry, with who and why.
    ok(who["adm"].push((DELETE, {"review_id": review_id})))
    deletes = [a for a in _audit(live.db_url, review_id) if a[0] == DELETE]
    assert deletes == [
        (DELETE, ids["sue"], {"deleted_by_id": ids["sue"], "reason": "Wrong agent <b>x</b>"})
    ]


def test_bad_ids_and_reasons_are_refused_never_a_5xx(
    live: ServerProcess, who: dict[str, Raw], ids: dict[str, str]
) -> None:
    args = _review(who, live, ids)
    review_id = args["review_id"]
    [unknown] = who["sue"].push((DELETE, {"review_id": str(uuid.uuid4())}))
    assert (unknown["status"], unknown["reason"]["code"]) == ("rejected", "not_found")
    hostile: list[dict[str, Any]] = [
        {},
        {"review_id": ""},
        {"review_id": "x" * 300},
        {"review_id": 5},
        {"review_id": ["a"]},
        {"review_id": None},
        {"review_id": review_id, "reason": "bell\x07"},
        {"review_id": review_id, "reason": "x" * 5000},
        {"review_id": review_id, "reason": 7},
        {"review_id": review_id, "extra": True},
    ]
    for bad in hostile:
        r = who["sue"].post(
            "/api/v1/push",
            json={"mutations": [{"id": str(uuid.uuid4()), "type": DELETE, "args": bad}]},
        )
        assert r.status_code == 200, (bad, r.text)
        result = r.json()["results"][0]
        assert result["status"] == "rejected", bad
        assert result["reason"]["code"] in ("invalid", "not_found"), (bad, result)
    # Text no database stores: refused at the edge, on both databases.
    for text in ("nul\x00", "lone \ud800"):
        body = {"mutations": [{"id": str(uuid.uuid4()), "type": DELETE,
                               "args": {"review_id": review_id, "reason": text}}]}  # fmt: skip
        r = who["sue"].post(
            "/api/v1/push", data=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 422, r.text
    for path in (f"{REVIEWS}/{'x' * 300}", f"{REVIEWS}/%00", f"{REVIEWS}/{uuid.uuid4()}"):
        assert who["sue"].get(path).status_code in (404, 422), path
    # None of it deleted the review.
    assert who["ann"].get(f"{REVIEWS}/{review_id}").status_code == 200


def _csv(response: Any) -> dict[str, dict[str, str]]:
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text)))
    return {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def test_the_qa_score_kpi_leaves_a_deleted_review_out(
    live: ServerProcess, who: dict[str, Raw], shared_users: dict[str, TestUser]
) -> None:
    """The KPI fixture of ``test_qa_kpis`` (r1 62.5 and r2 83.3 by Ann, r4 16.7 by Bob in the
    period): Sue deletes r1."""
    users = {n: str(u.id) for n, u in shared_users.items()}
    fx = build(live.db_url, users)

    def figures(**params: Any) -> Any:
        r = who["adm"].get("/api/v1/kpis", params={**PERIOD, **params})
        assert r.status_code == 200, r.text
        return r.json()

    def qa_of(row: dict[str, Any]) -> tuple[int, float | None]:
        return row["qa_reviews"], row["qa_score"]

    assert qa_of(figures()["total"]) == (3, 54.2)  # (62.5 + 83.3 + 16.7) / 3, before
    [r1] = who["sue"].get(REVIEWS, params={"conversation_id": fx.convs["r1"]}).json()["reviews"]
    assert r1["score"] == 62.5
    ok(who["sue"].push((DELETE, {"review_id": r1["id"], "reason": "Saved on the wrong case"})))

    body = figures()
    assert qa_of(body["total"]) == (2, 50.0)  # (83.3 + 16.7) / 2
    by_agent = {r["key"]: qa_of(r) for r in figures(group="agent")["rows"]}
    assert by_agent[users["ann"]] == (1, 83.3) and by_agent[users["bob"]] == (1, 16.7)
    by_channel = {r["key"]: qa_of(r) for r in figures(group="channel")["rows"]}
    assert by_channel.get("email", (0, None)) == (0, None)  # r1 was the only scored email
    days = {d["day"]: qa_of(d) for d in body["series"]}
    assert days["2026-11-02"] == (1, 83.3)
    r = who["adm"].get("/api/v1/kpis/conversations", params={**PERIOD, "metric": "qa_reviews"})
    assert set(r.json()["conversation_ids"]) == {fx.convs["r2"], fx.convs["r4"]}
    table = _csv(who["adm"].get("/api/v1/kpis", params={**PERIOD, "format": "csv"}))
    assert (table["Total"]["qa_reviews"], table["Total"]["qa_score"]) == ("2", "50.0")
    # The agent's own figure too.
    ann = Raw.signed_in(live, shared_users["ann"]).get("/api/v1/kpis", params=PERIOD).json()
    assert qa_of(ann["total"]) == (1, 83.3)
