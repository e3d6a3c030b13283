"""The local training history is brought into the server once, without losing it: old
sessions (no name on them) go to the first user who opens training on the computer, later
lines to their own user; a damaged line is counted, an unreadable file is a notice, never a
crash; the file itself is never changed. Against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from csdesk.app.training import TrainingDesk
from csdesk.app.training_import import MARKER_NAME, import_history
from csdesk.app.workstation import Me, Workstation
from csdesk.training.history import FILE_NAME
from tests.sync.conftest import ClientFactory, wait_for

pytestmark = pytest.mark.timeout(120)


def _old(score: int, scenario: str = "where-is-my-order", day: int = 1) -> dict[str, Any]:
    """A line as the desk wrote it before issue 12: no id, no user, no rubric."""
    return {
        "scenario": scenario,
        "title": "Where is my order?",
        "channel": "chat",
        "difficulty": "easy",
        "started_at": f"2026-11-0{day}T10:00:00+00:00",
        "finished_at": f"2026-11-0{day}T10:04:00+00:00",
        "score": score,
        "grade": "Good",
        "outcome": "resolved",
        "handling": 80,
        "first_response_seconds": 40.0,
        "total_seconds": 240.0,
        "hints_used": 1,
        "feedback": ["The customer's problem was solved."],
        "replies": [{"step": "opening", "score": 100, "missed": [], "seconds": 40.0}],
        "transcript": [
            {
                "speaker": "customer",
                "text": "Where is it?",
                "at": f"2026-11-0{day}T10:00:00+00:00",
                "step": "opening",
                "actions": [],
            }
        ],
    }


def _desk(client: Any) -> TrainingDesk:
    user = client.engine.api.me()
    me = Me(str(user["id"]), str(user["username"]), str(user["display_name"]), str(user["role"]))
    return TrainingDesk(Workstation(client.engine, me))


def test_the_history_is_imported_once_and_kept(make_client: ClientFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    history = data / FILE_NAME
    lines = [
        json.dumps(_old(70, day=1)),
        "{damaged line",
        json.dumps(_old(85, scenario="double-charged", day=2)),
        json.dumps(
            {**_old(90, day=3), "id": "0b0c4f1e-1111-4222-8333-944455556666", "user_id": "x"}
        ),
    ]
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = history.read_bytes()

    tia = make_client("tia", start=True)
    desk = _desk(tia)
    report = import_history(desk, data)
    assert (report.sent, report.skipped) == (2, 1)  # another user's line is not mine
    assert "2 earlier sessions from this computer were added" in report.notice()
    assert "1 damaged line" in report.notice()
    wait_for(lambda: tia.engine.status.pending == 0, "the import to be pushed")
    assert tia.engine.outbox.rejected() == []
    mine = tia.api.training("mine")["results"]
    assert sorted(r["score"] for r in mine) == [70, 85]
    assert all(r["imported"] for r in mine)
    assert mine[0]["rubric"]["handling"] == 80 and mine[0]["rubric"]["points"] is None
    assert history.read_bytes() == before  # the file is the desk's cache: never changed

    again = import_history(desk, data)
    assert again.done_before and again.sent == 0 and again.notice() == ""
    assert len(tia.api.training("mine")["results"]) == 2

    # Another user on the same computer does not get the unnamed sessions.
    ann = make_client("ann", start=True)
    other = import_history(_desk(ann), data)
    assert other.sent == 0 and not other.done_before
    marker = json.loads((data / MARKER_NAME).read_text(encoding="utf-8"))
    assert marker["legacy_by"] == desk.me and len(marker["users"]) == 2


def test_an_unreadable_history_is_a_notice(make_client: ClientFactory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / FILE_NAME).mkdir(parents=True)  # not a file: reading it fails
    tia = make_client("tia")
    report = import_history(_desk(tia), data)
    assert report.sent == 0
    assert report.notice().startswith("The local training history could not be read")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert import_history(_desk(tia), empty).sent == 0  # no file: nothing to bring over
