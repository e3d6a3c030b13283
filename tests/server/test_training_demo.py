"""The demo shows the training review: the demo trainee's sessions over the past weeks
(really played, getting better), a supervisor's comment and an open assignment, read through
the live server as the supervisor and as the trainee."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from csdesk.domain.enums import Role
from csdesk.server.demo import DEMO_PASSWORD, seed_demo
from csdesk.storage.db import make_engine
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

pytestmark = pytest.mark.timeout(180)


def test_the_demo_has_a_trainee_to_review(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    try:
        seed_demo(engine)
    finally:
        engine.dispose()
    server = ServerProcess(db_url, log_path=tmp_path / "server.log").start()
    try:
        sam = Raw.signed_in(server, TestUser("sam", DEMO_PASSWORD, Role.SUPERVISOR))
        robin = Raw.signed_in(server, TestUser("trainee", DEMO_PASSWORD, Role.TRAINEE))
        trainees = {
            t["username"]: t for t in sam.get("/api/v1/training/trainees").json()["trainees"]
        }
        assert (
            trainees["trainee"]["sessions"] >= 10 and trainees["trainee"]["open_assignments"] == 1
        )
        assert trainees["mateo"]["sessions"] >= 1  # an agent brushing up is listed too
        results = sam.get(
            "/api/v1/training/results", params={"user_id": trainees["trainee"]["id"]}
        ).json()["results"]
        times = sorted(r["finished_at"] for r in results)
        from datetime import datetime

        span = datetime.fromisoformat(times[-1]) - datetime.fromisoformat(times[0])
        assert span > timedelta(days=21)  # the past weeks
        ordered = sorted(results, key=lambda r: r["finished_at"])
        early = sum(r["score"] for r in ordered[:4]) / 4
        late = sum(r["score"] for r in ordered[-4:]) / 4
        assert late > early + 10  # getting better
        assert len({r["scenario"] for r in results}) == 5
        detail = sam.get(f"/api/v1/training/results/{ordered[-1]['id']}").json()
        assert detail["transcript"][0]["speaker"] == "customer" and len(detail["transcript"]) >= 4
        assert detail["comments"][0]["author_name"] == "Sam Okafor"

        mine = robin.get("/api/v1/training/mine").json()
        assert [a["scenario"] for a in mine["assignments"]] == ["return-outside-window"]
        assert any(r["comments"] for r in mine["results"])
        changes, _ = robin.pull_all()
        keys = {c["data"]["key"] for c in changes if c["entity"] == "training_scenario"}
        assert len(keys) == 5
    finally:
        server.stop()
