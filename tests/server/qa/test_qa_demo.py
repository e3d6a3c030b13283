"""The demo's quality review (issue 12): the default rubric and a few reviews by the demo
supervisor, each scored by the rubric's formula; over a live server the supervisor's desk
pulls them, an agent reads their own and nobody else's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import qa
from csdesk.domain.enums import Role
from csdesk.server.demo import DEMO_PASSWORD, seed_demo
from csdesk.server.demo.qa import DEFAULT_RUBRIC
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def test_demo_has_the_default_rubric_and_reviews(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    try:
        seed_demo(engine, seed=7, now=NOW)
        with Session(engine) as s:
            rubrics = s.scalars(select(m.QaRubric)).all()
            reviews = s.scalars(select(m.QaReview)).all()
            sam = s.scalar(select(m.User.id).where(m.User.username == "sam"))
            by_user = {uid: who for uid, who in s.execute(select(m.User.id, m.User.username))}
    finally:
        engine.dispose()
    assert [(r.name, r.version, r.active) for r in rubrics] == [("Default rubric", 1, True)]
    keys = [c["key"] for c in rubrics[0].criteria]
    assert keys == ["greeting", "understood", "solution", "tone", "policy", "closing"]
    assert sum(c["weight"] for c in DEFAULT_RUBRIC) == 100
    criteria = qa.criteria_from(DEFAULT_RUBRIC)
    assert 4 <= len(reviews) <= 8
    assert {r.reviewer_id for r in reviews} == {sam}
    for r in reviews:
        assert r.score == qa.weighted_score(criteria, r.scores)
        assert r.message_comments  # every demo review comments on a reply
    agents = {by_user[r.agent_id] for r in reviews}
    server = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    try:
        lead = Raw.signed_in(server, TestUser("sam", DEMO_PASSWORD, Role.SUPERVISOR))
        fed = {c["id"] for c in lead.pull_all()[0] if c["entity"] == "qa_review"}
        assert fed == {r.id for r in reviews}
        for username in agents:
            agent = Raw.signed_in(server, TestUser(username, DEMO_PASSWORD, Role.AGENT))
            mine = agent.get("/api/v1/qa/reviews").json()["reviews"]
            assert mine and {x["agent_name"] for x in mine} == {mine[0]["agent_name"]}
            assert len(mine) == sum(1 for r in reviews if by_user[r.agent_id] == username)
    finally:
        server.stop()
