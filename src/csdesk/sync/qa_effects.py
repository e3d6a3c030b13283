"""The local effects of the quality-review mutations (``optimistic.EFFECTS`` registers them):
a supervisor's saved rubric version or review shows on their desk at once, offline too, and a
deleted review is gone at once (a refusal brings it back: the rebase restores it). They
mirror ``server/qa/service.py``; where the server would refuse they change nothing and let the
rejection explain why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import qa
from csdesk.domain.enums import Realm
from csdesk.protocol import Entity
from csdesk.sync.tables import CACHE_TABLES, delete_rows, get_row, upsert_rows

if TYPE_CHECKING:
    from csdesk.sync.optimistic import LocalMutation, Me


def save_rubric(session: Session, mut: LocalMutation, me: Me) -> None:
    """The new version, active; the feed retires the one before it (the desk's active
    rubric is the newest active version of its family)."""
    a = mut.args
    rid = str(a["rubric_id"])
    if get_row(session, Entity.QA_RUBRIC, rid) is not None:
        return
    try:
        criteria = qa.criteria_from(a.get("criteria"))
    except qa.RubricError:
        return
    family = str(a.get("family") or rid)
    versions = [
        int(r.get("version") or 0)
        for r in _rows(session, Entity.QA_RUBRIC)
        if r.get("family") == family
    ]
    row = {
        "id": rid, "realm": Realm.PRODUCTION.value, "created_at": mut.at, "updated_at": mut.at,
        "family": family, "version": max(versions, default=0) + 1,
        "name": str(a.get("name") or "").strip(), "criteria": [c.as_dict() for c in criteria],
        "active": True, "created_by_id": me.id,
    }  # fmt: skip
    upsert_rows(session, Entity.QA_RUBRIC, [row])


def save_review(session: Session, mut: LocalMutation, me: Me) -> None:
    a = mut.args
    rubric = get_row(session, Entity.QA_RUBRIC, str(a["rubric_id"]))
    conv = get_row(session, Entity.CONVERSATION, str(a["conversation_id"]))
    if rubric is None or conv is None:
        return
    try:
        criteria = qa.criteria_from(rubric.get("criteria"))
        scores = qa.scores_from(criteria, a.get("scores") or {})
    except qa.RubricError:
        return
    old = get_row(session, Entity.QA_REVIEW, str(a["review_id"]))
    agent = (old or {}).get("agent_id") or conv.get("assignee_id")
    if agent is None and old is None:
        return  # the server finds the last author, or refuses
    row: dict[str, Any] = old or {
        "id": str(a["review_id"]), "realm": conv.get("realm") or Realm.PRODUCTION.value,
        "created_at": mut.at, "conversation_id": conv["id"], "agent_id": agent,
        "reviewer_id": me.id, "rubric_id": rubric["id"], "reviewed_at": mut.at,
        "edited_by_id": None,
    }  # fmt: skip
    if old is not None:
        row = {**old, "edited_by_id": me.id}
    row |= {
        "scores": scores,
        "message_comments": [
            {"message_id": str(c.get("message_id")), "text": str(c.get("text") or "").strip()}
            for c in a.get("message_comments") or []
            if isinstance(c, dict)
        ],
        "comment": str(a.get("comment") or "").strip(),
        "score": qa.weighted_score(criteria, scores),
        "updated_at": mut.at,
    }
    upsert_rows(session, Entity.QA_REVIEW, [row])


def delete_review(session: Session, mut: LocalMutation, me: Me) -> None:
    """The review leaves the cache, as the feed's tombstone will remove it; the row before
    is in the shadow, so a refusal restores it."""
    delete_rows(session, Entity.QA_REVIEW, [str(mut.args["review_id"])])


def _rows(session: Session, entity: Entity) -> list[dict[str, Any]]:
    table = CACHE_TABLES[entity]
    return [dict(r) for r in session.execute(select(table)).mappings()]
