"""The supervisor's training review (Qt-free; the panel calls it on workers).

Reads ask the server (``/api/v1/training``: supervisors see everyone's training); comments,
assignments and published scenarios are actions through the outbox like every other, so a
supervisor can write them offline: the comments still waiting to be sent are listed with the
session (``pending_comments``) until the server has them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from csdesk.app.training import (
    Assignment,
    Comment,
    ResultSummary,
    TrainingDesk,
    assignment_of,
    comment_of,
    summary_of,
)
from csdesk.i18n import _, ngettext
from csdesk.protocol import MutationType
from csdesk.training.record import when
from csdesk.training.rubric import RUBRIC
from csdesk.training.scenario import FlowError, Scenario, scenario_from_dict

__all__ = [
    "MAX_SCENARIO_BYTES",
    "SessionDetail",
    "Trainee",
    "TrainingReview",
    "point_series",
    "point_summary",
    "rubric_table",
    "trend_sentences",
]

#: The server's limit for a scenario file (``server.training.scenarios.MAX_BYTES``).
MAX_SCENARIO_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Trainee:
    id: str
    username: str
    name: str
    role: str
    sessions: int
    average: int | None
    last_at: datetime | None
    open_assignments: int


@dataclass(frozen=True, slots=True)
class Line:
    speaker: str
    text: str
    at: datetime | None
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionDetail:
    summary: ResultSummary
    user_name: str
    points: list[tuple[str, bool]] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    transcript: list[Line] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


def _trainee(data: Mapping[str, Any]) -> Trainee:
    average = data.get("average")
    return Trainee(
        id=str(data.get("id", "")),
        username=str(data.get("username", "")),
        name=str(data.get("display_name") or data.get("username") or ""),
        role=str(data.get("role", "")),
        sessions=int(data.get("sessions") or 0),
        average=average if isinstance(average, int) else None,
        last_at=when(data.get("last_at")),
        open_assignments=int(data.get("open_assignments") or 0),
    )


def _line(data: Mapping[str, Any]) -> Line:
    actions = data.get("actions") or []
    return Line(
        str(data.get("speaker", "")),
        str(data.get("text", "")),
        when(data.get("at")),
        tuple(str(a) for a in actions) if isinstance(actions, list) else (),
    )


def rubric_table(results: Sequence[ResultSummary]) -> list[tuple[ResultSummary, list[int | None]]]:
    """Oldest first: each session with its figure per rubric point (``RUBRIC`` order)."""
    ordered = sorted(results, key=lambda r: (r.finished_at is None, r.finished_at or datetime.min))
    return [(r, [r.rubric.get(k) for k in RUBRIC]) for r in ordered]


def point_series(results: Sequence[ResultSummary], key: str | None) -> list[int | None]:
    """Oldest first: the total score (``key=None``) or one rubric point's figure per session
    (None where the scenario did not ask for that point)."""
    rows = rubric_table(results)
    if key is None:
        return [r.score for r, _figures in rows]
    index = list(RUBRIC).index(key)
    return [figures[index] for _r, figures in rows]


def point_summary(label: str, values: Sequence[int | None]) -> str:
    """One sentence for a chart of ``values``: first, latest, lowest and highest."""
    scored = [v for v in values if v is not None]
    if not scored:
        return _("{point}: no scores yet.").format(point=label)
    return ngettext(
        "{point}: {n} score, {last}.",
        "{point}: {n} scores, from {first} (first) to {last} (latest); "
        "lowest {low}, highest {high}.",
        len(scored),
    ).format(
        point=label,
        n=len(scored),
        first=scored[0],
        last=scored[-1],
        low=min(scored),
        high=max(scored),
    )


def trend_sentences(results: Sequence[ResultSummary]) -> list[str]:
    """The scores over time in words: per rubric point, the average of the earlier half of
    the sessions against the later half (what a chart would show), weakest point named."""
    rows = rubric_table(results)
    if not rows:
        return [_("No training sessions yet.")]
    totals = [r.score for r, _figures in rows]
    out = [
        _(
            "{n} sessions; total score from {first} (first) to {last} (latest), average {avg}."
        ).format(
            n=len(rows), first=totals[0], last=totals[-1], avg=round(sum(totals) / len(totals))
        )
    ]
    half = len(rows) // 2
    latest: dict[str, float] = {}
    for index, (key, label) in enumerate(RUBRIC.items()):
        values = [figures[index] for _r, figures in rows]
        early = [v for v in values[:half] if v is not None]
        late = [v for v in values[half:] if v is not None]
        if not late:
            continue
        now = sum(late) / len(late)
        latest[key] = now
        if early:
            before = sum(early) / len(early)
            if now - before >= 5:
                trend = _("improving")
            elif before - now >= 5:
                trend = _("slipping")
            else:
                trend = _("steady")
            out.append(
                _("{point}: {trend}, {before} then {now}.").format(
                    point=_(label), trend=trend, before=round(before), now=round(now)
                )
            )
        else:
            out.append(_("{point}: {now}.").format(point=_(label), now=round(now)))
    if latest:
        weakest = min(latest, key=latest.__getitem__)
        out.append(_("Weakest point lately: {point}.").format(point=_(RUBRIC[weakest])))
    return out


class TrainingReview(TrainingDesk):
    """The review for a supervisor's desk."""

    # --- reads (network: run on workers; raise SyncError) -----------------------------------

    def trainees(self) -> list[Trainee]:
        body = self.ws.engine.api.training("trainees")
        return [_trainee(t) for t in body.get("trainees", []) if isinstance(t, Mapping)]

    def results(self, user_id: str) -> list[ResultSummary]:
        body = self.ws.engine.api.training("results", {"user_id": user_id})
        return [summary_of(r) for r in body.get("results", []) if isinstance(r, Mapping)]

    def assignments(self, user_id: str) -> list[Assignment]:
        body = self.ws.engine.api.training("assignments", {"user_id": user_id})
        return [assignment_of(a) for a in body.get("assignments", []) if isinstance(a, Mapping)]

    def session(self, result_id: str) -> SessionDetail:
        body = self.ws.engine.api.training(f"results/{result_id}")
        points = body.get("points") if isinstance(body.get("points"), list) else []
        assert isinstance(points, list)
        return SessionDetail(
            summary=summary_of(body),
            user_name=str(body.get("user_name") or ""),
            points=[
                (str(p.get("point")), bool(p.get("met"))) for p in points if isinstance(p, Mapping)
            ],
            feedback=[str(f) for f in body.get("feedback") or []],
            transcript=[_line(x) for x in body.get("transcript") or [] if isinstance(x, Mapping)],
            comments=[comment_of(c) for c in body.get("comments") or [] if isinstance(c, Mapping)],
        )

    def pending_comments(self, result_id: str) -> list[str]:
        """My comments on ``result_id`` still in the outbox (written offline)."""
        return [
            str(e.args.get("body", ""))
            for e in self.ws.engine.outbox.pending()
            if e.type == MutationType.TRAINING_COMMENT.value
            and e.args.get("result_id") == result_id
        ]

    # --- actions (the outbox) ----------------------------------------------------------------

    def comment(self, result_id: str, body: str) -> str:
        text = body.strip()
        if not text:
            raise ValueError(_("Write a comment before sending it."))
        return self.ws.engine.enqueue(
            MutationType.TRAINING_COMMENT,
            {"comment_id": str(uuid.uuid4()), "result_id": result_id, "body": text},
        )

    def assign(self, trainee_id: str, scenario: str, note: str = "") -> str:
        return self.ws.engine.enqueue(
            MutationType.TRAINING_ASSIGN,
            {
                "assignment_id": str(uuid.uuid4()),
                "trainee_id": trainee_id,
                "scenario": scenario,
                "note": note.strip(),
            },
        )

    def unassign(self, assignment_id: str) -> str:
        return self.ws.engine.enqueue(
            MutationType.TRAINING_UNASSIGN, {"assignment_id": assignment_id}
        )

    def publish(self, path: Path) -> Scenario:
        """Check a scenario file as the server will and queue it for every desk (disk: run
        on a worker). Raises FlowError with a sentence naming the file and the step."""
        try:
            with path.open("rb") as f:
                raw = f.read(MAX_SCENARIO_BYTES + 1)
        except OSError as exc:
            raise FlowError(
                _("{name}: cannot be read: {error}").format(
                    name=path.name, error=exc.strerror or exc
                )
            ) from None
        if len(raw) > MAX_SCENARIO_BYTES:
            raise FlowError(
                _("{name}: a scenario file may be at most {limit} KB.").format(
                    name=path.name, limit=MAX_SCENARIO_BYTES // 1024
                )
            )
        try:
            text = raw.decode("utf-8")
            scenario = scenario_from_dict(json.loads(text), path.name)
        except FlowError:
            raise
        except UnicodeDecodeError:
            raise FlowError(_("{name}: is not UTF-8 text").format(name=path.name)) from None
        except RecursionError:
            raise FlowError(_("{name}: nested too deeply").format(name=path.name)) from None
        except ValueError as exc:
            raise FlowError(
                _("{name}: not valid JSON: {error}").format(name=path.name, error=exc)
            ) from None
        self.ws.engine.enqueue(
            MutationType.TRAINING_PUBLISH, {"source": text, "filename": path.name[:200]}
        )
        return scenario
