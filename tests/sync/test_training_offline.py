"""The training review's actions are offline-safe like every action: a supervisor's comment
and assignment and a trainee's result written while the desk cannot reach the server wait in
the outbox (the review lists the comment as waiting) and arrive once it can."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csdesk.app.training import TrainingDesk
from csdesk.app.training_review import TrainingReview
from csdesk.app.workstation import Me, Workstation
from tests.sync.conftest import ClientFactory, wait_for

pytestmark = pytest.mark.timeout(120)


def _ws(client: object) -> Workstation:
    engine = client.engine  # type: ignore[attr-defined]
    user = engine.api.me()
    return Workstation(
        engine, Me(str(user["id"]), user["username"], user["display_name"], user["role"])
    )


def test_actions_written_offline_arrive_later(make_client: ClientFactory, tmp_path: Path) -> None:
    tia = make_client("tia")  # signed in, sync threads not started: nothing is sent yet
    sue = make_client("sue")
    trainee, review = TrainingDesk(_ws(tia)), TrainingReview(_ws(sue))
    finished = datetime.now(UTC)
    record = {
        "id": str(uuid.uuid4()),
        "scenario": "where-is-my-order",
        "title": "Where is my order?",
        "channel": "chat",
        "difficulty": "easy",
        "started_at": (finished - timedelta(minutes=3)).isoformat(),
        "finished_at": finished.isoformat(),
        "score": 88,
        "grade": "Excellent",
        "outcome": "resolved",
        "rubric": {"points": 100, "handling": 90},
        "transcript": [],
    }
    trainee.record(record)
    assert tia.engine.status.pending == 1
    tia.engine.start()
    wait_for(lambda: tia.engine.status.pending == 0, "the result to be sent")

    comment = "Lovely tone. Mention the tracking number too."
    review.comment(record["id"], comment)
    review.assign(trainee.me, "double-charged", "Next one")
    assert review.pending_comments(record["id"]) == [comment]  # listed as waiting
    assert sue.engine.status.pending == 2
    sue.engine.start()
    wait_for(lambda: sue.engine.status.pending == 0, "the comment and assignment to be sent")
    assert sue.engine.outbox.rejected() == []
    assert review.pending_comments(record["id"]) == []

    mine = trainee.mine()
    [result] = [r for r in mine.results if r.id == record["id"]]
    assert [c.body for c in result.comments] == [comment]
    assert result.comments[0].author and result.rubric["points"] == 100
    assert [a.scenario for a in mine.assignments] == ["double-charged"]
    assert mine.assignments[0].note == "Next one"
    with pytest.raises(ValueError, match="Write a comment"):
        review.comment(record["id"], "   ")
