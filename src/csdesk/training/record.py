"""A finished session as the server's ``training.record`` arguments, within its bounds.

Shared by the desk (a session just played, a line of the old history file) and the demo
seed; pure, so the same record always gives the same arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from csdesk.training.rubric import RUBRIC

__all__ = ["MAX_LINE", "MAX_LINES", "record_args", "when"]

MAX_LINES = 150
MAX_LINE = 4000


def when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _line(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping) or raw.get("speaker") not in ("customer", "trainee"):
        return None
    at = when(raw.get("at"))
    if at is None or at.tzinfo is None:
        return None
    actions = raw.get("actions") or []
    return {
        "speaker": raw["speaker"],
        "text": str(raw.get("text", ""))[:MAX_LINE],
        "at": at.isoformat(),
        "step": str(raw.get("step", ""))[:100],
        "actions": [str(a)[:40] for a in actions][:8] if isinstance(actions, list) else [],
    }


def record_args(
    record: Mapping[str, Any], result_id: str, *, imported: bool = False
) -> dict[str, Any]:
    """The ``training.record`` arguments for a session record (``TrainingSession.record`` or
    a line of the history file), within the server's bounds. Raises ValueError when the
    record lacks what the server needs (a score, its times)."""
    score = record.get("score")
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValueError("the record has no score")
    finished = when(record.get("finished_at"))
    if finished is None or finished.tzinfo is None:
        raise ValueError("the record has no finishing time")
    started = when(record.get("started_at"))
    if started is None or started.tzinfo is None or started > finished:
        started = finished
    outcome = record.get("outcome")
    rubric = record.get("rubric") if isinstance(record.get("rubric"), Mapping) else {}
    assert isinstance(rubric, Mapping)
    points = record.get("points") if isinstance(record.get("points"), list) else []
    assert isinstance(points, list)
    feedback = record.get("feedback") if isinstance(record.get("feedback"), list) else []
    assert isinstance(feedback, list)
    transcript = record.get("transcript") if isinstance(record.get("transcript"), list) else []
    assert isinstance(transcript, list)
    lines = [line for line in (_line(r) for r in transcript[:MAX_LINES]) if line is not None]
    hints = record.get("hints_used")
    handling = record.get("handling")
    figures = {
        k: max(0, min(100, v))
        for k, v in rubric.items()
        if k in RUBRIC and isinstance(v, int) and not isinstance(v, bool)
    }
    if "handling" not in figures and isinstance(handling, int) and not isinstance(handling, bool):
        figures["handling"] = max(0, min(100, handling))
    return {
        "result_id": result_id,
        "scenario": str(record.get("scenario") or "unknown")[:100],
        "title": str(record.get("title") or record.get("scenario") or "?")[:300],
        "channel": str(record.get("channel") or "chat")[:16],
        "difficulty": str(record.get("difficulty") or "")[:16],
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "score": max(0, min(100, score)),
        "grade": str(record.get("grade") or "")[:40],
        "outcome": outcome
        if outcome in ("resolved", "escalated", "ended_early")
        else "ended_early",
        "hints_used": max(0, min(1000, hints))
        if isinstance(hints, int) and not isinstance(hints, bool)
        else 0,
        "rubric": figures,
        "points": [
            {"point": str(p.get("point"))[:300], "met": bool(p.get("met"))}
            for p in points[:200]
            if isinstance(p, Mapping) and p.get("point")
        ],
        "feedback": [str(f)[:1000] for f in feedback[:100]],
        "transcript": lines,
        "imported": imported,
    }
