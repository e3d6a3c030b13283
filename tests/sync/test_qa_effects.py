"""The desk's local effects of quality review (no server): a supervisor's review and rubric
version show in their cache at once, scored by the rubric's formula, survive a pull, and go
when the server refuses them."""

from __future__ import annotations

from typing import Any

from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.wire import row_to_wire
from csdesk.sync import LocalCache, Outbox
from tests.sync.test_cache import T0, cache, conversation, customer, page, row

__all__ = ["cache"]  # the fixture, shared

CRITERIA = [
    {"key": "greeting", "name": "Greeting", "description": "", "weight": 1,
     "scale": "pass_fail", "max_points": 1},
    {"key": "solution", "name": "Solution", "description": "", "weight": 3,
     "scale": "points", "max_points": 4},
]  # fmt: skip


def rubric(ident: str, version: int = 1) -> dict[str, Any]:
    data = {
        "id": ident, "realm": "production", "created_at": T0, "updated_at": T0,
        "family": "r1", "version": version, "name": "Basics", "criteria": CRITERIA,
        "active": True, "created_by_id": None,
    }  # fmt: skip
    return row_to_wire(Entity.QA_RUBRIC, data)


def _shop(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "cust-1", customer("cust-1")),
            (Entity.CONVERSATION, "c1", conversation("c1", assignee_id="ann")),
            (Entity.QA_RUBRIC, "r1", rubric("r1")),
            cursor=3,
        )
    )


def test_a_review_shows_at_once_scored_and_a_refusal_takes_it_back(cache: LocalCache) -> None:
    _shop(cache)
    outbox = Outbox(cache)
    args = {
        "review_id": "v1", "conversation_id": "c1", "rubric_id": "r1",
        "scores": {"greeting": 1, "solution": 2}, "comment": " Fine ",
        "message_comments": [{"message_id": "m1", "text": "<i>here</i>"}],
    }  # fmt: skip
    mid, changes = outbox.enqueue_with_changes(MutationType.QA_REVIEW_SAVE, args)
    review = row(cache, m.QaReview, "v1")
    assert (review.agent_id, review.score, review.comment) == ("ann", 62.5, "Fine")
    assert review.message_comments == [{"message_id": "m1", "text": "<i>here</i>"}]
    assert changes.ids(Entity.QA_REVIEW) == {"v1"}
    # News about the conversation rebases: the review is replayed, not lost.
    cache.apply_page(
        page((Entity.CONVERSATION, "c1", conversation("c1", assignee_id="ann")), cursor=4)
    )
    assert row(cache, m.QaReview, "v1").score == 62.5
    outbox.mark_rejected(mid, {"code": "forbidden", "message": "Only supervisors."})
    assert row(cache, m.QaReview, "v1") is None


def test_a_rubric_version_shows_at_once_as_the_next_version(cache: LocalCache) -> None:
    _shop(cache)
    outbox = Outbox(cache)
    outbox.enqueue(
        MutationType.QA_RUBRIC_SAVE,
        {"rubric_id": "r2", "family": "r1", "name": "Basics 2", "criteria": CRITERIA},
    )
    new = row(cache, m.QaRubric, "r2")
    assert (new.family, new.version, new.active, new.name) == ("r1", 2, True, "Basics 2")
    # A rubric the server would refuse (no criteria) changes nothing here.
    outbox.enqueue(
        MutationType.QA_RUBRIC_SAVE, {"rubric_id": "r3", "name": "Empty", "criteria": ["x"]}
    )
    assert row(cache, m.QaRubric, "r3") is None


def review(ident: str, score: float = 62.5) -> dict[str, Any]:
    data = {
        "id": ident, "realm": "production", "created_at": T0, "updated_at": T0,
        "conversation_id": "c1", "agent_id": "ann", "reviewer_id": "sue", "rubric_id": "r1",
        "scores": {"greeting": 1, "solution": 2}, "message_comments": [], "comment": "",
        "score": score, "reviewed_at": T0, "edited_by_id": None, "deleted_at": None,
    }  # fmt: skip
    return row_to_wire(Entity.QA_REVIEW, data)


def test_a_deleted_review_goes_at_once_offline_and_a_refusal_brings_it_back(
    cache: LocalCache,
) -> None:
    _shop(cache)
    cache.apply_page(page((Entity.QA_REVIEW, "v1", review("v1")), cursor=4))
    outbox = Outbox(cache)
    mid, changes = outbox.enqueue_with_changes(
        MutationType.QA_REVIEW_DELETE, {"review_id": "v1", "reason": "Wrong case"}
    )
    assert row(cache, m.QaReview, "v1") is None
    assert changes.ids(Entity.QA_REVIEW) == {"v1"}
    # News of the review from the feed (an edit elsewhere) does not bring it back meanwhile.
    cache.apply_page(page((Entity.QA_REVIEW, "v1", review("v1", 70.0)), cursor=5))
    assert row(cache, m.QaReview, "v1") is None
    # Refused: the server's latest version is back.
    outbox.mark_rejected(mid, {"code": "forbidden", "message": "Only supervisors."})
    back = row(cache, m.QaReview, "v1")
    assert back is not None and back.score == 70.0


def test_the_feeds_tombstone_keeps_a_deleted_review_gone(cache: LocalCache) -> None:
    _shop(cache)
    cache.apply_page(page((Entity.QA_REVIEW, "v1", review("v1")), cursor=4))
    outbox = Outbox(cache)
    mid = outbox.enqueue(MutationType.QA_REVIEW_DELETE, {"review_id": "v1"})
    outbox.mark_done({mid: 6})
    assert row(cache, m.QaReview, "v1") is None  # acked, replayed until the feed has it
    cache.apply_page(page((Entity.QA_REVIEW, "v1", None), cursor=6))
    assert row(cache, m.QaReview, "v1") is None
    assert outbox.pending() == []
