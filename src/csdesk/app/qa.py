"""Quality review on the desk (Qt-free, run on workers): the rubric and the thread from the
local cache, a review or a rubric version saved (or a review deleted) through the outbox, and
"My reviews" read from the server (an agent's own reviews never reach their cache: docs/qa.md)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from csdesk.app import formats
from csdesk.app.sentences import message_sentence
from csdesk.app.workstation import Workstation
from csdesk.domain import qa
from csdesk.domain.bidi import isolate
from csdesk.domain.qa import Criterion, Scale
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.sync.events import ChangeSet


@dataclass(frozen=True, slots=True)
class Rubric:
    id: str
    family: str
    version: int
    name: str
    criteria: tuple[Criterion, ...]

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Rubric:
        return cls(
            str(data["id"]),
            str(data.get("family") or data["id"]),
            int(data.get("version") or 1),
            str(data.get("name") or ""),
            tuple(qa.criteria_from(data.get("criteria"))),
        )


@dataclass(frozen=True, slots=True)
class MessageLine:
    id: str
    sentence: str


@dataclass(frozen=True, slots=True)
class Review:
    """A review as the desk shows it (from the cache or ``GET /api/v1/qa/reviews``)."""

    id: str
    conversation_id: str
    subject: str
    customer_name: str
    agent_name: str
    reviewer_name: str
    rubric: Rubric
    scores: dict[str, int | None]
    message_comments: tuple[tuple[str, str], ...]  # (message id, text)
    comment: str
    score: float | None
    reviewed_at: datetime

    def sentence(self) -> str:
        """One full sentence for the list and the screen reader."""
        when = formats.date_text(self.reviewed_at.astimezone())
        about = isolate(self.customer_name) or _("a customer")
        what = f"“{isolate(self.subject)}”" if self.subject else _("a conversation")
        if self.score is None:
            scored = _("no score (every criterion not applicable)")
        else:
            scored = _("scored {score} of 100").format(score=_number(self.score))
        text = _("{when}: {reviewer} reviewed {what} with {customer}, {scored}.").format(
            when=when,
            reviewer=isolate(self.reviewer_name) or _("a supervisor"),
            what=what,
            customer=about,
            scored=scored,
        )
        count = len(self.message_comments)
        if count:
            text += " " + ngettext(
                "{n} comment on a message.", "{n} comments on messages.", count
            ).format(n=count)
        return text


def _number(score: float) -> str:
    return formats.number(round(score, 1))


def score_text(score: float | None) -> str:
    if score is None:
        return _("Weighted score: none yet (every criterion is not applicable).")
    return _("Weighted score: {score} of 100.").format(score=_number(score))


def value_text(c: Criterion, value: int | None) -> str:
    if value is None:
        return _("Not applicable")
    if c.scale == Scale.PASS_FAIL:
        return _("Pass") if value else _("Fail")
    return _("{value} of {top}").format(value=value, top=c.max_points)


def criterion_sentence(c: Criterion, value: int | None) -> str:
    return _("{name}: {value} (weight {weight}).").format(
        name=c.name, value=value_text(c, value), weight=c.weight
    )


def _time(at: datetime) -> str:
    return formats.datetime_text(at, year=False)


def review_from_wire(data: Mapping[str, Any]) -> Review:
    """A review from the server's JSON (``GET /api/v1/qa/reviews``)."""
    comments = tuple(
        (str(c.get("message_id")), str(c.get("text") or ""))
        for c in data.get("message_comments") or []
        if isinstance(c, Mapping)
    )
    return Review(
        id=str(data["id"]),
        conversation_id=str(data["conversation_id"]),
        subject=str(data.get("conversation_subject") or ""),
        customer_name=str(data.get("customer_name") or ""),
        agent_name=str(data.get("agent_name") or ""),
        reviewer_name=str(data.get("reviewer_name") or ""),
        rubric=Rubric.of(data["rubric"]),
        scores={str(k): (None if v is None else int(v)) for k, v in data["scores"].items()},
        message_comments=comments,
        comment=str(data.get("comment") or ""),
        score=None if data.get("score") is None else float(data["score"]),
        reviewed_at=datetime.fromisoformat(str(data["reviewed_at"])),
    )


class QaDesk:
    """Quality review for one signed-in desk."""

    def __init__(self, ws: Workstation) -> None:
        self.ws = ws

    @property
    def is_lead(self) -> bool:
        return qa.is_lead(self.ws.me.role)

    # --- queries (run on workers) ----------------------------------------------------------

    def active_rubric(self) -> Rubric | None:
        """The newest active rubric version (of the most recently started rubric)."""
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(m.QaRubric)
                .where(m.QaRubric.active.is_(True))
                .order_by(m.QaRubric.version.desc(), m.QaRubric.created_at.desc())
            ).all()
            for r in rows:
                try:
                    return Rubric.of(_row(r))
                except qa.RubricError:
                    continue
        return None

    def thread(self, conversation_id: str) -> list[MessageLine]:
        """The conversation's messages, oldest first, one sentence each."""
        me = self.ws.me.id
        with self.ws.cache.session() as s:
            rows = s.scalars(
                select(m.Message)
                .where(m.Message.conversation_id == conversation_id)
                .order_by(m.Message.created_at, m.Message.id)
            ).all()
            return [
                MessageLine(
                    x.id,
                    message_sentence(
                        x.direction,
                        x.is_note,
                        x.author_name or "",
                        x.channel,
                        _time(x.created_at),
                        x.body_text or "",
                        own=x.author_user_id == me,
                    ),
                )
                for x in rows
            ]

    def review_of(self, conversation_id: str) -> Review | None:
        """The latest review of ``conversation_id`` in this desk's cache (a lead's desk)."""
        with self.ws.cache.session() as s:
            r = s.scalars(
                select(m.QaReview)
                .where(
                    m.QaReview.conversation_id == conversation_id,
                    m.QaReview.deleted_at.is_(None),
                )
                .order_by(m.QaReview.reviewed_at.desc(), m.QaReview.id)
                .limit(1)
            ).first()
            if r is None:
                return None
            rubric = s.get(m.QaRubric, r.rubric_id)
            if rubric is None:
                return None
            names = {uid: shown for uid, shown in s.execute(select(m.User.id, m.User.display_name))}
            conv = s.get(m.Conversation, conversation_id)
            cust = s.get(m.Customer, conv.customer_id) if conv is not None else None
            return review_from_wire(
                {
                    **_row(r),
                    "rubric": _row(rubric),
                    "conversation_subject": conv.subject if conv is not None else "",
                    "customer_name": cust.name if cust is not None else "",
                    "agent_name": names.get(r.agent_id, ""),
                    "reviewer_name": names.get(r.reviewer_id, ""),
                    "reviewed_at": r.reviewed_at.isoformat(),
                }
            )

    def my_reviews(self) -> list[Review]:
        """The reviews of my conversations, newest first (from the server: needs a
        connection)."""
        body = self.ws.engine.api.qa_reviews()
        out = []
        for item in body:
            try:
                out.append(review_from_wire(item))
            except (KeyError, TypeError, ValueError):
                continue  # one the desk cannot read (a newer server): left out, not a crash
        return out

    # --- actions (outbox) ------------------------------------------------------------------

    def save_review(
        self,
        conversation_id: str,
        rubric: Rubric,
        scores: Mapping[str, int | None],
        message_comments: Sequence[tuple[str, str]],
        comment: str,
        review_id: str | None = None,
    ) -> tuple[str, ChangeSet]:
        rid = review_id or str(uuid.uuid4())
        args: dict[str, Any] = {
            "review_id": rid,
            "conversation_id": conversation_id,
            "rubric_id": rubric.id,
            "scores": dict(scores),
            "message_comments": [{"message_id": i, "text": t} for i, t in message_comments],
            "comment": comment,
        }
        self.ws.engine.enqueue(MutationType.QA_REVIEW_SAVE, args)
        return rid, ChangeSet.of([(Entity.QA_REVIEW, rid)])

    def delete_review(self, review_id: str, reason: str = "") -> ChangeSet:
        """Delete a review (a supervisor's or an administrator's; docs/qa.md): it leaves this
        desk's cache at once, and a refusal brings it back."""
        args: dict[str, Any] = {"review_id": review_id}
        if reason.strip():
            args["reason"] = reason.strip()
        self.ws.engine.enqueue(MutationType.QA_REVIEW_DELETE, args)
        return ChangeSet.of([(Entity.QA_REVIEW, review_id)])

    def save_rubric(
        self, family: str | None, name: str, criteria: Sequence[Criterion]
    ) -> tuple[str, ChangeSet]:
        rid = str(uuid.uuid4())
        args: dict[str, Any] = {
            "rubric_id": rid,
            "name": name,
            "criteria": [c.as_dict() for c in criteria],
        }
        if family is not None:
            args["family"] = family
        self.ws.engine.enqueue(MutationType.QA_RUBRIC_SAVE, args)
        return rid, ChangeSet.of([(Entity.QA_RUBRIC, rid)])


def _row(obj: m.Base) -> dict[str, Any]:
    from csdesk.storage.wire import to_wire

    return to_wire(obj)
