"""The training review's reads: trainees, their sessions, comments and assignments as JSON.

Plain queries over the training review's own tables; who may read what is decided by the
routes (``server.training.routes``) before any of these run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Role
from csdesk.storage import models as m

MAX_RESULTS: Final = 500


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(m.User.id, m.User.display_name).where(m.User.id.in_(ids)))
    return {uid: name for uid, name in rows}


def summary(row: m.TrainingResult) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "scenario": row.scenario_key,
        "title": row.title,
        "channel": row.channel,
        "difficulty": row.difficulty,
        "started_at": _when(row.started_at),
        "finished_at": _when(row.finished_at),
        "score": row.score,
        "grade": row.grade,
        "outcome": row.outcome,
        "hints_used": row.hints_used,
        "rubric": dict(row.rubric or {}),
        "imported": row.imported,
    }


def comments_of(session: Session, result_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {rid: [] for rid in result_ids}
    if not result_ids:
        return out
    rows = session.scalars(
        select(m.TrainingComment)
        .where(m.TrainingComment.result_id.in_(list(result_ids)))
        .order_by(m.TrainingComment.created_at, m.TrainingComment.id)
    ).all()
    names = _names(session, {r.author_id for r in rows})
    for row in rows:
        out[row.result_id].append(
            {
                "id": row.id,
                "result_id": row.result_id,
                "author_id": row.author_id,
                "author_name": names.get(row.author_id, ""),
                "body": row.body,
                "created_at": _when(row.created_at),
            }
        )
    return out


def results(session: Session, user_id: str, *, with_comments: bool) -> list[dict[str, Any]]:
    """A user's sessions, newest first; each with its comments (or their count)."""
    rows = session.scalars(
        select(m.TrainingResult)
        .where(m.TrainingResult.user_id == user_id)
        .order_by(m.TrainingResult.finished_at.desc(), m.TrainingResult.id)
        .limit(MAX_RESULTS)
    ).all()
    notes = comments_of(session, [r.id for r in rows])
    out = []
    for row in rows:
        item = summary(row)
        if with_comments:
            item["comments"] = notes[row.id]
        else:
            item["comment_count"] = len(notes[row.id])
        out.append(item)
    return out


def detail(session: Session, row: m.TrainingResult) -> dict[str, Any]:
    names = _names(session, {row.user_id})
    return {
        **summary(row),
        "user_name": names.get(row.user_id, ""),
        "points": list(row.points or []),
        "feedback": list(row.feedback or []),
        "transcript": list(row.transcript or []),
        "comments": comments_of(session, [row.id])[row.id],
    }


def assignments(session: Session, user_id: str, *, open_only: bool) -> list[dict[str, Any]]:
    """A user's assignments: open ones first (oldest first), then the done ones."""
    query = select(m.TrainingAssignment).where(
        m.TrainingAssignment.trainee_id == user_id,
        m.TrainingAssignment.cancelled_at.is_(None),
    )
    if open_only:
        query = query.where(m.TrainingAssignment.done_at.is_(None))
    rows = session.scalars(query.order_by(m.TrainingAssignment.created_at).limit(500)).all()
    titles = dict(
        session.execute(
            select(m.TrainingScenario.key, m.TrainingScenario.title).where(
                m.TrainingScenario.key.in_({r.scenario_key for r in rows})
            )
        ).all()
    )
    names = _names(session, {r.assigned_by_id for r in rows})
    out = [
        {
            "id": r.id,
            "trainee_id": r.trainee_id,
            "scenario": r.scenario_key,
            "title": titles.get(r.scenario_key, r.scenario_key),
            "note": r.note,
            "assigned_by_name": names.get(r.assigned_by_id, ""),
            "created_at": _when(r.created_at),
            "done_at": _when(r.done_at),
            "result_id": r.result_id,
        }
        for r in rows
    ]
    out.sort(key=lambda a: a["done_at"] is not None)
    return out


def trainees(session: Session) -> list[dict[str, Any]]:
    """Every active trainee, and anyone else who has trained, with their figures."""
    stats = {
        uid: (int(n), float(avg or 0), last)
        for uid, n, avg, last in session.execute(
            select(
                m.TrainingResult.user_id,
                func.count(),
                func.avg(m.TrainingResult.score),
                func.max(m.TrainingResult.finished_at),
            ).group_by(m.TrainingResult.user_id)
        )
    }
    open_counts = dict(
        session.execute(
            select(m.TrainingAssignment.trainee_id, func.count())
            .where(
                m.TrainingAssignment.done_at.is_(None),
                m.TrainingAssignment.cancelled_at.is_(None),
            )
            .group_by(m.TrainingAssignment.trainee_id)
        ).all()
    )
    users = session.scalars(
        select(m.User)
        .where(
            or_(
                (m.User.role == Role.TRAINEE.value) & m.User.active.is_(True),
                m.User.id.in_(list(stats)),
            )
        )
        .order_by(m.User.display_name, m.User.id)
    ).all()
    out = []
    for user in users:
        n, avg, last = stats.get(user.id, (0, 0.0, None))
        out.append(
            {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "sessions": n,
                "average": round(avg) if n else None,
                "last_at": _when(last),
                "open_assignments": int(open_counts.get(user.id, 0)),
            }
        )
    return out
