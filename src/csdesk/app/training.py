"""Training on a signed-in desk: the scenarios the server publishes, a finished session
recorded under the trainee's name, and what a supervisor sent back (comments, assignments).

A session is played entirely in memory (``csdesk.training``); only its result leaves it, as
the ``training.record`` action through the outbox, so it is kept and sent later when the desk
is offline. The local history file stays as a cache (``app.training_import`` brings what it
held before into the server once). Scenarios come from the cache, which the feed fills with
the server's (bundled ones first, then what supervisors published); the files bundled with
this desk fill in until the first sync.

Qt-free: the training dialog calls these on its workers (they touch disk or network).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from csdesk.app.workstation import Workstation
from csdesk.domain.enums import Role
from csdesk.protocol import MutationType
from csdesk.storage import models as m
from csdesk.training.rubric import RUBRIC
from csdesk.training.scenario import (
    DIFFICULTIES,
    FlowError,
    Scenario,
    load_scenarios,
    scenario_from_dict,
)

__all__ = [
    "Assignment",
    "Comment",
    "MyTraining",
    "ResultSummary",
    "TrainingDesk",
    "record_args",
]

MAX_LINES = 150
MAX_LINE = 4000


@dataclass(frozen=True, slots=True)
class Comment:
    author: str
    body: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Assignment:
    id: str
    scenario: str
    title: str
    note: str
    assigned_by: str
    at: datetime | None
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ResultSummary:
    id: str
    user_id: str
    scenario: str
    title: str
    channel: str
    difficulty: str
    finished_at: datetime | None
    score: int
    grade: str
    outcome: str
    rubric: Mapping[str, int | None]
    comments: tuple[Comment, ...] = ()
    comment_count: int = 0
    imported: bool = False


@dataclass(frozen=True, slots=True)
class MyTraining:
    results: list[ResultSummary] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)


def when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def comment_of(data: Mapping[str, Any]) -> Comment:
    return Comment(
        str(data.get("author_name") or ""),
        str(data.get("body") or ""),
        when(data.get("created_at")),
    )


def assignment_of(data: Mapping[str, Any]) -> Assignment:
    return Assignment(
        id=str(data.get("id", "")),
        scenario=str(data.get("scenario", "")),
        title=str(data.get("title") or data.get("scenario") or ""),
        note=str(data.get("note") or ""),
        assigned_by=str(data.get("assigned_by_name") or ""),
        at=when(data.get("created_at")),
        done_at=when(data.get("done_at")),
    )


def summary_of(data: Mapping[str, Any]) -> ResultSummary:
    raw = data.get("rubric")
    rubric = raw if isinstance(raw, Mapping) else {}
    comments = data.get("comments")
    listed = (
        tuple(comment_of(c) for c in comments if isinstance(c, Mapping))
        if isinstance(comments, list)
        else ()
    )
    score = data.get("score")
    return ResultSummary(
        id=str(data.get("id", "")),
        user_id=str(data.get("user_id", "")),
        scenario=str(data.get("scenario", "")),
        title=str(data.get("title", "")),
        channel=str(data.get("channel", "")),
        difficulty=str(data.get("difficulty", "")),
        finished_at=when(data.get("finished_at")),
        score=score if isinstance(score, int) else 0,
        grade=str(data.get("grade", "")),
        outcome=str(data.get("outcome", "")),
        rubric={k: v if isinstance(v, int) else None for k, v in rubric.items() if k in RUBRIC},
        comments=listed,
        comment_count=int(data.get("comment_count") or len(listed)),
        imported=bool(data.get("imported")),
    )


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


class TrainingDesk:
    """Training for one signed-in desk."""

    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    @property
    def me(self) -> str:
        return self.ws.me.id

    @property
    def reviews(self) -> bool:
        """Whether this user reviews others' training (supervisors and administrators)."""
        return self.ws.me.role in (Role.SUPERVISOR.value, Role.ADMIN.value)

    def scenarios(self) -> tuple[list[Scenario], list[str]]:
        """The server's scenarios (from the cache), with this desk's bundled files for any
        the server has not sent yet; sorted by difficulty then title, and the problems."""
        problems: list[str] = []
        found: dict[str, Scenario] = {}
        with self.ws.cache.session() as s:
            rows = s.scalars(select(m.TrainingScenario).order_by(m.TrainingScenario.key)).all()
            bodies = [(r.key, r.body) for r in rows]
        for key, body in bodies:
            try:
                scenario = scenario_from_dict(json.loads(body), f"{key} (from the server)")
            except (FlowError, ValueError, TypeError) as exc:
                problems.append(str(exc))
                continue
            found[scenario.id] = scenario
        bundled, bad = load_scenarios()
        if not found:
            problems += bad
        for scenario in bundled:
            found.setdefault(scenario.id, scenario)
        order = list(DIFFICULTIES)
        listed = sorted(
            found.values(), key=lambda s: (order.index(s.difficulty), s.title.casefold())
        )
        return listed, problems

    def record(self, record: Mapping[str, Any]) -> str:
        """Queue ``training.record`` for a finished session (disk: run on a worker)."""
        args = record_args(record, str(record["id"]))
        return self.ws.engine.enqueue(MutationType.TRAINING_RECORD, args)

    def mine(self) -> MyTraining:
        """Network: my sessions with their comments, and my open assignments. Raises
        SyncError (offline: the dialog says so and shows the local history)."""
        body = self.ws.engine.api.training("mine")
        results = [summary_of(r) for r in body.get("results", []) if isinstance(r, Mapping)]
        assignments = [
            assignment_of(a) for a in body.get("assignments", []) if isinstance(a, Mapping)
        ]
        return MyTraining(results, assignments)
