"""A macro as one outbox batch (no server; docs/macros.md): planned into steps and sentences,
queued in one transaction and shown at once, taken back whole while every step is pending,
refused once any step has gone to the server; a personal canned response saved offline shows
in the cache at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from csdesk.app import macros as planning
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.wire import row_to_wire
from csdesk.sync import LocalCache, Outbox
from tests.sync.test_cache import ME, T0, cache, conversation, customer, page, row

__all__ = ["cache"]  # the fixture, shared


@dataclass(frozen=True)
class Canned:
    id: str
    shortcut: str
    language: str
    body: str


CANNED = [
    Canned("k-en", "/refund", "en", "Hi {first_name}, your refund is on its way."),
    Canned("k-de", "/refund", "de", "Hallo {first_name}, Ihre Erstattung ist unterwegs."),
]
REFUND_APPROVED: list[dict[str, Any]] = [
    {"kind": "reply", "canned": "/refund"},
    {"kind": "tags", "add": ["refund-approved"], "remove": ["vip"]},
    {"kind": "priority", "priority": "low"},
    {"kind": "assign", "to": "me"},
    {"kind": "note", "text": "Refund approved by {agent_name}."},
    {"kind": "status", "status": "resolved"},
]


def macro_row(ident: str) -> dict[str, Any]:
    data = {
        "id": ident, "realm": "production", "created_at": T0, "updated_at": T0,
        "title": "Refund approved", "actions": REFUND_APPROVED, "scope": "everyone",
        "owner_id": None, "team_id": None, "use_count": 4, "deleted_at": None,
    }  # fmt: skip
    return row_to_wire(Entity.MACRO, data)


def _shop(cache: LocalCache) -> None:
    cache.apply_page(
        page(
            (Entity.CUSTOMER, "cust-1", customer("cust-1", language="de")),
            (Entity.CONVERSATION, "c1", conversation("c1")),
            (Entity.MACRO, "mac-1", macro_row("mac-1")),
            cursor=3,
        )
    )


def _plan(language: str | None = "de") -> planning.Plan:
    target = planning.Target("c1", language, ME["id"], {ME["id"]: "Ann"})
    values = {"first_name": "Carla", "agent_name": "Ann"}
    return planning.plan("mac-1", REFUND_APPROVED, target, CANNED, values, T0)


def test_the_plan_says_every_step_in_the_customers_language() -> None:
    plan = _plan("de")
    assert [t for t, _a in plan.steps] == [
        MutationType.MESSAGE_SEND,
        MutationType.CANNED_USED,
        MutationType.CONVERSATION_TAGS,
        MutationType.CONVERSATION_PRIORITY,
        MutationType.CONVERSATION_ASSIGN,
        MutationType.MESSAGE_SEND,
        MutationType.CONVERSATION_STATUS,
        MutationType.MACRO_USED,
    ]
    reply = plan.steps[0][1]
    assert reply["body_text"] == "Hallo Carla, Ihre Erstattung ist unterwegs."
    assert plan.steps[1][1] == {"canned_id": "k-de"}
    assert plan.steps[5][1]["is_note"] is True
    assert plan.text.splitlines() == [
        "• Send the customer this reply: Hallo Carla, Ihre Erstattung ist unterwegs.",
        "• Add the tag refund-approved",
        "• Remove the tag vip",
        "• Set the priority to low",
        "• Assign the conversation to you",
        "• Add this internal note: Refund approved by Ann.",
        "• Resolve the conversation",
    ]
    # No variant in the customer's language: English; a reply whose canned response is gone
    # is said as not done, before anything is applied.
    assert "your refund" in _plan("ja").steps[0][1]["body_text"]
    target = planning.Target("c1", "en", ME["id"])
    gone = planning.plan("mac-1", REFUND_APPROVED, target, [], {}, T0)
    assert all(a.get("is_note") for t, a in gone.steps if t == MutationType.MESSAGE_SEND)
    assert gone.problems == ("the canned response /refund no longer exists",)
    snooze = planning.plan("m", [{"kind": "snooze", "hours": 24}], target, [], {}, T0)
    assert snooze.steps[0][1]["snoozed_until"] == (T0 + timedelta(hours=24)).isoformat()
    assert snooze.sentences == ("Snooze the conversation for 24 hours",)


def test_a_batch_shows_at_once_and_is_taken_back_whole(cache: LocalCache) -> None:
    _shop(cache)
    outbox = Outbox(cache)
    ids, changes = outbox.enqueue_batch(list(_plan().steps))
    assert len(ids) == 8 and outbox.counts().pending == 8
    assert {"c1"} <= changes.ids(Entity.CONVERSATION)
    conv = row(cache, m.Conversation, "c1")
    assert (conv.status, conv.priority, conv.assignee_id) == ("resolved", "low", ME["id"])
    assert conv.tags == ["refund-approved"]
    with cache.session() as s:
        bodies = sorted(
            (msg.is_note, msg.body_text)
            for msg in s.query(m.Message).filter(m.Message.conversation_id == "c1")
        )
    assert bodies == [
        (False, "Hallo Carla, Ihre Erstattung ist unterwegs."),
        (True, "Refund approved by Ann."),
    ]
    assert row(cache, m.Macro, "mac-1").use_count == 5
    # Undo while all of it is pending: every effect goes, the outbox is empty.
    undone = outbox.cancel(ids)
    assert undone is not None and "c1" in undone.ids(Entity.CONVERSATION)
    conv = row(cache, m.Conversation, "c1")
    assert (conv.status, conv.priority, conv.assignee_id) == ("open", "normal", None)
    assert conv.tags == ["vip"]
    with cache.session() as s:
        assert s.query(m.Message).count() == 0
    assert row(cache, m.Macro, "mac-1").use_count == 4
    assert outbox.counts().pending == 0
    assert outbox.cancel(ids) is None  # nothing left to take back


def test_a_batch_partly_pushed_is_not_taken_back(cache: LocalCache) -> None:
    _shop(cache)
    outbox = Outbox(cache)
    ids, _ = outbox.enqueue_batch(list(_plan().steps))
    outbox.mark_done({ids[0]: 10})  # the server has the reply already
    assert outbox.cancel(ids) is None
    assert outbox.counts().pending == 7
    assert row(cache, m.Conversation, "c1").status == "resolved"  # nothing changed
    # Another action queued alone is not part of the batch and stays.
    other = outbox.enqueue(
        MutationType.CONVERSATION_PRIORITY, {"conversation_id": "c1", "priority": "high"}
    )
    assert outbox.cancel([other]) is not None
    assert outbox.counts().pending == 7


def test_a_personal_canned_response_shows_at_once_and_a_shared_one_waits(
    cache: LocalCache,
) -> None:
    outbox = Outbox(cache)
    args = {"canned_id": "k1", "title": " Thanks ", "body": "Thank you!", "scope": "personal"}
    outbox.enqueue(MutationType.CANNED_SAVE, args)
    mine = row(cache, m.CannedResponse, "k1")
    assert (mine.title, mine.scope, mine.owner_id, mine.use_count) == (
        "Thanks",
        "personal",
        ME["id"],
        0,
    )
    # An agent's desk does not pretend to share: the server refuses it, the cache waits.
    outbox.enqueue(MutationType.CANNED_SAVE, {**args, "canned_id": "k2", "scope": "everyone"})
    assert row(cache, m.CannedResponse, "k2") is None
    outbox.enqueue(MutationType.CANNED_DELETE, {"canned_id": "k1"})
    assert row(cache, m.CannedResponse, "k1").deleted_at is not None
