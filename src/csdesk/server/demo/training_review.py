"""The demo's training review: the scenarios, the demo trainee's sessions over the past five
weeks (getting better), a colleague brushing up, a supervisor's comment and an assignment.

The sessions are really played: replies from ``resources/demo/training_replies.json`` go
through the shipped scenarios with a clock that moves as a trainee would type, so the scores,
rubric, feedback and transcripts are exactly what the desk gives. Early sessions mix in more
weak replies and slower answers than late ones. Deterministic for a seed and a time.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.resources import resource_path
from csdesk.server.feed import log as feed
from csdesk.server.training import scenarios as published
from csdesk.storage import models as m
from csdesk.training.record import record_args
from csdesk.training.scenario import Scenario
from csdesk.training.session import TrainingSession

#: (username, sessions, first quality, last quality): the trainee improves; an agent brushes up.
LEARNERS = (("trainee", 12, 0.5, 0.92), ("mateo", 3, 0.7, 0.9))
REVIEWER = "sam"
DAYS = 35
_NS = uuid.UUID("0b6f8a52-3c1e-4a7d-9f2b-5d8e1c4a7b36")


def _replies() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (resource_path("demo") / "training_replies.json").read_text(encoding="utf-8")
    )
    return data


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


def _play(
    scenario: Scenario, replies: dict[str, Any], quality: float, at: datetime, rng: random.Random
) -> dict[str, Any]:
    clock = _Clock(at)
    session = TrainingSession(scenario, clock)
    session.start()
    good = replies["good"].get(scenario.id, [])
    weak = replies["weak"].get(scenario.id, [])
    target = scenario.first_response_seconds
    for n, (text, action) in enumerate(good):
        if session.finished:
            break
        if rng.random() > quality:
            session.hint()
        # A weaker trainee first gets it partly wrong, then puts it right (never twice in a
        # row: the customer would escalate).
        if weak and rng.random() > quality:
            clock.now += timedelta(seconds=target * rng.uniform(1.0, 2.5 - quality))
            wrong, wrong_action = weak[min(n, len(weak) - 1)]
            session.reply(wrong, [wrong_action] if wrong_action else [])
            if session.finished:
                break
        clock.now += timedelta(seconds=target * rng.uniform(0.5, 2.6 - 1.8 * quality))
        session.reply(text, [action] if action else [])
    session.end()
    return session.record()


def seed_training(s: Session, now: datetime, seed: int = 7) -> int:
    """Scenarios (fed to every desk), sessions, a comment, an assignment; the feed count."""
    rows = [
        published.store(
            s,
            body,
            sc,
            origin=published.BUNDLED,
            ident=str(uuid.uuid5(_NS, f"{seed}/scenario/{sc.id}")),
            at=now - timedelta(days=DAYS + 30),
        )[0]
        for body, sc in published.bundled()
    ]
    s.flush()
    by_key = {sc.id: sc for _body, sc in published.bundled()}
    users = dict(s.execute(select(m.User.username, m.User.id)).all())
    rng = random.Random(f"training-{seed}")
    replies = _replies()
    keys = sorted(by_key)
    latest: dict[str, str] = {}
    for username, count, first_q, last_q in LEARNERS:
        uid = users.get(username)
        if uid is None:
            continue
        for n in range(count):
            share = n / max(1, count - 1)
            quality = first_q + (last_q - first_q) * share
            day = now - timedelta(days=DAYS * (1 - share) + 1, hours=rng.uniform(0, 6))
            key = keys[(n + len(username) + 1) % len(keys)]
            if username == "trainee" and n == count - 1:
                key = "double-charged"  # the session the supervisor commented on
            record = _play(by_key[key], replies, quality, day.replace(microsecond=0), rng)
            rid = str(uuid.uuid5(_NS, f"{seed}/{username}/{n}"))
            args = record_args(record, rid)
            s.add(
                m.TrainingResult(
                    id=rid,
                    user_id=uid,
                    scenario_key=args["scenario"],
                    title=args["title"],
                    channel=args["channel"],
                    difficulty=args["difficulty"],
                    started_at=datetime.fromisoformat(args["started_at"]),
                    finished_at=datetime.fromisoformat(args["finished_at"]),
                    score=args["score"],
                    grade=args["grade"],
                    outcome=args["outcome"],
                    hints_used=args["hints_used"],
                    rubric={k: args["rubric"].get(k) for k in published_rubric()},
                    points=args["points"],
                    feedback=args["feedback"],
                    transcript=args["transcript"],
                    created_at=datetime.fromisoformat(args["finished_at"]),
                )
            )
            latest[username] = rid
    reviewer = users.get(REVIEWER)
    trainee = users.get("trainee")
    if reviewer is not None and trainee is not None and "trainee" in latest:
        s.flush()
        s.add(
            m.TrainingComment(
                id=str(uuid.uuid5(_NS, f"{seed}/comment")),
                result_id=latest["trainee"],
                author_id=reviewer,
                body=replies["comments"][0],
                created_at=now - timedelta(hours=20),
            )
        )
        s.add(
            m.TrainingAssignment(
                id=str(uuid.uuid5(_NS, f"{seed}/assignment")),
                trainee_id=trainee,
                scenario_key="return-outside-window",
                note="Practise saying no kindly, and offer the store credit.",
                assigned_by_id=reviewer,
                created_at=now - timedelta(hours=19),
            )
        )
    feed.append(s, [feed.item_for(row) for row in rows])
    return len(rows)


def published_rubric() -> tuple[str, ...]:
    from csdesk.training.rubric import RUBRIC

    return tuple(RUBRIC)
