"""Push mutations of the training review: a finished session recorded under its trainee,
a supervisor's comment on it, scenarios assigned to a trainee (and taken back).

Registered in ``server.sync.mutations.HANDLERS``. A session is always recorded under the
signed-in user (whatever the arguments say), so nobody files results in another's name; only
supervisors and administrators comment and assign. Everything here is training data: the
tables are the training review's own and never touch production conversations or customers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Role
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.floor import notices
from csdesk.server.refusals import Param, Phrase
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.training.rubric import RUBRIC

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

REVIEWERS: Final = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})
#: Who can be given scenarios to practise: trainees, and agents brushing up.
LEARNERS: Final = frozenset({Role.TRAINEE.value, Role.AGENT.value})
MAX_COMMENT: Final = 4000
MAX_LINES: Final = 150
MAX_LINE: Final = 4000
#: A session's times: none before this, none more than a day ahead of the server's clock (a
#: desk's clock may be a little fast; a year-9999 session would head every list for ever).
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SLACK: Final = timedelta(days=1)


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time needs a time zone")
    try:  # 9999-12-31T23:00-14:00 is past the calendar's end in UTC (it is stored in UTC)
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("a time out of the calendar's range") from None
    return value


Aware = Annotated[datetime, AfterValidator(_aware)]
Score = Annotated[int, Field(ge=0, le=100)]
Id = Field(min_length=1, max_length=36)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Line(_Args):
    speaker: Literal["customer", "trainee"]
    text: str = Field(max_length=MAX_LINE)
    at: Aware
    step: str = Field(default="", max_length=100)
    actions: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=8)


class Point(_Args):
    point: str = Field(min_length=1, max_length=300)
    met: bool


class Rubric(_Args):
    """The score per rubric point (``training.rubric``): 0-100, or None (not asked)."""

    points: Score | None = None
    empathy: Score | None = None
    actions: Score | None = None
    manners: Score | None = None
    first_response: Score | None = None
    total_time: Score | None = None
    handling: Score | None = None


assert set(Rubric.model_fields) == set(RUBRIC)


class RecordArgs(_Args):
    result_id: str = Id
    scenario: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    channel: str = Field(min_length=1, max_length=16)
    difficulty: str = Field(default="", max_length=16)
    started_at: Aware
    finished_at: Aware
    score: Score
    grade: str = Field(default="", max_length=40)
    outcome: Literal["resolved", "escalated", "ended_early"]
    hints_used: int = Field(default=0, ge=0, le=1000)
    rubric: Rubric = Field(default_factory=Rubric)
    points: list[Point] = Field(default_factory=list, max_length=200)
    feedback: list[Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=list, max_length=100
    )
    transcript: list[Line] = Field(default_factory=list, max_length=MAX_LINES)
    #: From the desk's local history file (sessions played before results were synced).
    imported: bool = False


class CommentArgs(_Args):
    comment_id: str = Id
    result_id: str = Id
    body: str = Field(min_length=1, max_length=MAX_COMMENT)


class AssignArgs(_Args):
    assignment_id: str = Id
    trainee_id: str = Id
    scenario: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=1000)


class UnassignArgs(_Args):
    assignment_id: str = Id


def record(session: Session, user: m.User, a: RecordArgs) -> None:
    if a.finished_at < a.started_at:
        raise _reject(RejectCode.INVALID, "A session cannot finish before it started.")
    if a.started_at < EARLIEST or a.finished_at > utcnow() + CLOCK_SLACK:
        raise _reject(
            RejectCode.INVALID, "A session's times must be between the year 2000 and today."
        )
    existing = session.get(m.TrainingResult, a.result_id)
    if existing is not None:
        if existing.user_id == user.id:
            return  # the same session sent again (an import after a direct send)
        raise _reject(RejectCode.CONFLICT, "A training result with this id already exists.")
    row = m.TrainingResult(
        id=a.result_id,
        user_id=user.id,
        scenario_key=a.scenario,
        title=a.title,
        channel=a.channel,
        difficulty=a.difficulty,
        started_at=a.started_at,
        finished_at=a.finished_at,
        score=a.score,
        grade=a.grade,
        outcome=a.outcome,
        hints_used=a.hints_used,
        rubric=a.rubric.model_dump(),
        points=[p.model_dump() for p in a.points],
        feedback=list(a.feedback),
        transcript=[line.model_dump(mode="json") for line in a.transcript],
        imported=a.imported,
        created_at=utcnow(),
    )
    session.add(row)
    # The assignments of this scenario given before the session finished are done now.
    done = session.scalars(
        select(m.TrainingAssignment).where(
            m.TrainingAssignment.trainee_id == user.id,
            m.TrainingAssignment.scenario_key == a.scenario,
            m.TrainingAssignment.done_at.is_(None),
            m.TrainingAssignment.cancelled_at.is_(None),
            m.TrainingAssignment.created_at <= a.finished_at,
        )
    ).all()
    for assignment in done:
        assignment.done_at = a.finished_at
        assignment.result_id = row.id
    session.flush()
    audit.record(
        session,
        user.id,
        MutationType.TRAINING_RECORD,
        "training_result",
        row.id,
        None,
        {"scenario": a.scenario, "score": a.score, "imported": a.imported},
    )


def _reviewer(user: m.User) -> bool:
    return user.role in REVIEWERS


def comment(session: Session, user: m.User, a: CommentArgs) -> None:
    if not _reviewer(user):
        raise _reject(RejectCode.FORBIDDEN, "Only a supervisor can comment on training sessions.")
    body = a.body.strip()
    if not body:
        raise _reject(RejectCode.INVALID, "Write a comment before sending it.")
    result = session.get(m.TrainingResult, a.result_id)
    if result is None:
        raise _reject(RejectCode.NOT_FOUND, "This training session does not exist.")
    if session.get(m.TrainingComment, a.comment_id) is not None:
        raise _reject(RejectCode.CONFLICT, "A comment with this id already exists.")
    session.add(
        m.TrainingComment(
            id=a.comment_id,
            result_id=a.result_id,
            author_id=user.id,
            body=body,
            created_at=utcnow(),
        )
    )
    session.flush()
    notices.notify(
        session,
        result.user_id,
        user,
        Phrase(
            "commented on your training session “{title}”: {comment}",
            title=result.title,
            comment=body,
        ),
        f"training-comment:{a.comment_id}",
    )
    audit.record(
        session,
        user.id,
        MutationType.TRAINING_COMMENT,
        "training_comment",
        a.comment_id,
        None,
        {"result_id": a.result_id},
    )


def assign(session: Session, user: m.User, a: AssignArgs) -> None:
    if not _reviewer(user):
        raise _reject(RejectCode.FORBIDDEN, "Only a supervisor can assign training scenarios.")
    trainee = session.get(m.User, a.trainee_id)
    if trainee is None or not trainee.active:
        raise _reject(RejectCode.NOT_FOUND, "That trainee does not exist or is disabled.")
    if trainee.role not in LEARNERS:
        raise _reject(
            RejectCode.INVALID,
            "{name} is a {role}, not a trainee.",
            name=trainee.display_name,
            role=trainee.role,
        )
    scenario = session.scalars(
        select(m.TrainingScenario).where(m.TrainingScenario.key == a.scenario)
    ).first()
    if scenario is None:
        raise _reject(RejectCode.NOT_FOUND, "That training scenario does not exist.")
    if session.get(m.TrainingAssignment, a.assignment_id) is not None:
        raise _reject(RejectCode.CONFLICT, "An assignment with this id already exists.")
    open_one = session.scalars(
        select(m.TrainingAssignment.id).where(
            m.TrainingAssignment.trainee_id == trainee.id,
            m.TrainingAssignment.scenario_key == scenario.key,
            m.TrainingAssignment.done_at.is_(None),
            m.TrainingAssignment.cancelled_at.is_(None),
        )
    ).first()
    if open_one is not None:
        raise _reject(
            RejectCode.CONFLICT,
            "{name} already has “{title}” to practise.",
            name=trainee.display_name,
            title=scenario.title,
        )
    session.add(
        m.TrainingAssignment(
            id=a.assignment_id,
            trainee_id=trainee.id,
            scenario_key=scenario.key,
            note=a.note.strip(),
            assigned_by_id=user.id,
            created_at=utcnow(),
        )
    )
    session.flush()
    said = (
        Phrase(
            "assigned you “{title}” to practise (Ctrl+T opens training). Note: {note}",
            title=scenario.title,
            note=a.note.strip(),
        )
        if a.note.strip()
        else Phrase(
            "assigned you “{title}” to practise (Ctrl+T opens training).", title=scenario.title
        )
    )
    notices.notify(
        session,
        trainee.id,
        user,
        said,
        f"training-assign:{a.assignment_id}",
    )
    audit.record(
        session,
        user.id,
        MutationType.TRAINING_ASSIGN,
        "training_assignment",
        a.assignment_id,
        None,
        {"trainee_id": trainee.id, "scenario": scenario.key},
    )


def unassign(session: Session, user: m.User, a: UnassignArgs) -> None:
    if not _reviewer(user):
        raise _reject(RejectCode.FORBIDDEN, "Only a supervisor can take back training assignments.")
    row = session.get(m.TrainingAssignment, a.assignment_id, with_for_update=True)
    if row is None:
        raise _reject(RejectCode.NOT_FOUND, "This assignment does not exist.")
    if row.done_at is not None:
        raise _reject(RejectCode.CONFLICT, "The trainee has already practised this scenario.")
    if row.cancelled_at is not None:
        return
    row.cancelled_at = utcnow()
    audit.record(
        session,
        user.id,
        MutationType.TRAINING_UNASSIGN,
        "training_assignment",
        row.id,
        None,
        {"cancelled": True},
    )


def handlers() -> dict[str, tuple[type[BaseModel], Any]]:
    """The mutation types of the training review and their handlers (for the registry)."""
    from csdesk.server.training import scenarios

    return {
        MutationType.TRAINING_RECORD: (RecordArgs, record),
        MutationType.TRAINING_COMMENT: (CommentArgs, comment),
        MutationType.TRAINING_ASSIGN: (AssignArgs, assign),
        MutationType.TRAINING_UNASSIGN: (UnassignArgs, unassign),
        MutationType.TRAINING_PUBLISH: (scenarios.PublishArgs, scenarios.publish),
    }
