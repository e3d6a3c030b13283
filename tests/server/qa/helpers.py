"""Shared steps of the quality-review server tests: a rubric, a handled conversation, a
review, all through the push like a desk."""

from __future__ import annotations

import uuid
from typing import Any

from tests.helpers.data import make_conversations
from tests.helpers.http import Raw

CRITERIA: list[dict[str, Any]] = [
    {"key": "greeting", "name": "Greeting", "description": "Said hello by name", "weight": 1,
     "scale": "pass_fail"},
    {"key": "solution", "name": "Correct solution", "description": "", "weight": 3,
     "scale": "points", "max_points": 4},
    {"key": "policy", "name": "Policy followed", "description": "", "weight": 2,
     "scale": "points", "max_points": 5},
]  # fmt: skip


def ok(results: list[Any]) -> None:
    assert [r["status"] for r in results] == ["applied"] * len(results), results


def rubric(
    lead: Raw, family: str | None = None, criteria: list[dict[str, Any]] | None = None
) -> str:
    rid = str(uuid.uuid4())
    args = {"rubric_id": rid, "name": "Support basics", "criteria": criteria or CRITERIA}
    if family is not None:
        args["family"] = family
    ok(lead.push(("qa.rubric.save", args)))
    return rid


def handled_conversation(db_url: str, lead: Raw, agent_id: str) -> tuple[str, str]:
    """A new conversation assigned to ``agent_id``; (conversation id, its message id)."""
    made = make_conversations(db_url, 1)[0]
    ok(lead.push(("conversation.assign", {"conversation_id": made.conversation_id,
                                          "assignee_id": agent_id})))  # fmt: skip
    return made.conversation_id, made.message_id


def review_args(conv: str, rubric_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "review_id": str(uuid.uuid4()),
        "conversation_id": conv,
        "rubric_id": rubric_id,
        "scores": {"greeting": 1, "solution": 2, "policy": None},
        "comment": "Good start.",
        **extra,
    }


def user_ids(who: Raw) -> dict[str, str]:
    changes, _ = who.pull_all()
    return {c["data"]["username"]: c["id"] for c in changes if c["entity"] == "user"}
