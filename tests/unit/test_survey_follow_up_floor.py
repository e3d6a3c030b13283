"""The floor's summary names the open low-survey-score follow-ups (mine or the queue's), counted
from the desk's cache apart from ordinary callbacks, done ones and other supervisors' ones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from csdesk.app.floor import Board, open_follow_ups
from csdesk.storage import models as m
from csdesk.sync.cache import LocalCache

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _cb(n: int, kind: str, status: str, assignee: str | None) -> m.Callback:
    return m.Callback(
        id=f"cb-{n}",
        customer_id="c-1",
        due_at=NOW,
        status=status,
        assignee_id=assignee,
        kind=kind,
        note="Customer rated 1/5.",
    )


def test_onlyopen_follow_ups_of_mine_or_the_queue_are_counted(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "cache.db")
    try:
        with cache.write() as s:
            s.add_all(
                [
                    _cb(1, "survey_follow_up", "due", "sue"),
                    _cb(2, "survey_follow_up", "scheduled", None),
                    _cb(3, "survey_follow_up", "done", "sue"),
                    _cb(4, "survey_follow_up", "due", "max"),  # another supervisor's
                    _cb(5, "callback", "due", "sue"),  # a promised call
                ]
            )
        with cache.session() as s:
            assert open_follow_ups(s, "sue") == 2
            assert open_follow_ups(s, "max") == 2
    finally:
        cache.close()


def test_the_summary_says_them_only_when_there_are_some() -> None:
    quiet = Board(NOW, [], [])
    assert "follow-up" not in quiet.summary()
    one = Board(NOW, [], [], 1)
    assert one.summary().endswith("1 low survey score follow-up to do (Shift+F4 lists it).")
    three = Board(NOW, [], [], 3)
    assert three.summary().endswith("3 low survey score follow-ups to do (Shift+F4 lists them).")
