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
from csdesk.training.record import record_args, when
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
    #: Results of mine still in the outbox after the server answered (not on it yet).
    unsent: frozenset[str] = frozenset()


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
            except (FlowError, ValueError, TypeError, RecursionError) as exc:
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
        unsent = frozenset(
            str(e.args.get("result_id"))
            for e in self.ws.engine.outbox.pending()
            if e.type == MutationType.TRAINING_RECORD.value
        )
        return MyTraining(results, assignments, unsent)
