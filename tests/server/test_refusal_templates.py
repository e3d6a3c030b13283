"""A refused mutation carries its brace template and params next to the identical English
message (issue 13), on both databases; a replayed id answers with the stored reason, also one
stored before templates existed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from csdesk.domain.enums import Role
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.server.sync.push import push_many, push_one
from csdesk.storage import models as m
from tests.helpers.data import make_conversations
from tests.helpers.server import TestUser, add_users


@pytest.fixture(scope="module")
def state(backend: str) -> Iterator[ServerState]:
    st = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    try:
        yield st
    finally:
        st.engine.dispose()


@pytest.fixture(scope="module")
def users(backend: str) -> dict[str, m.User]:
    tag = uuid.uuid4().hex[:6]
    made = {
        "agent": TestUser(f"ra-{tag}", "pw-agent-123", Role.AGENT),
        "other": TestUser(f"rb-{tag}", "pw-other-123", Role.AGENT),
    }
    add_users(backend, list(made.values()))
    st = ServerState.build(ServerConfig(db_url=backend, listen_notify=False))
    try:
        with st.writes() as s:
            out = {k: s.get_one(m.User, u.id) for k, u in made.items()}
            s.expunge_all()
            return out
    finally:
        st.engine.dispose()


def _taken_conversation(backend: str, state: ServerState, owner: m.User) -> str:
    cid = make_conversations(backend, 1)[0].conversation_id
    with state.writes() as s:
        s.get_one(m.Conversation, cid).assignee_id = owner.id
        s.commit()
    return cid


def test_a_refusal_sends_template_params_and_the_same_english(
    backend: str, state: ServerState, users: dict[str, m.User]
) -> None:
    cid = _taken_conversation(backend, state, users["other"])
    mid = str(uuid.uuid4())
    (result,) = push_many(
        state.writes, users["agent"], [(mid, "conversation.claim", {"conversation_id": cid})]
    )
    name = users["other"].display_name
    assert result["status"] == "rejected"
    assert result["reason"] == {
        "code": "already_assigned",
        "message": f"{name} has already taken this conversation.",
        "template": "{name} has already taken this conversation.",
        "params": {"name": name},
    }
    # The retry of the same id answers with the stored reason, template and all.
    again = push_one(
        state.writes, users["agent"], mid, "conversation.claim", {"conversation_id": cid}
    )
    assert again["status"] == "duplicate" and again["reason"] == result["reason"]


def test_a_reason_stored_before_templates_replays_as_it_was(
    backend: str, state: ServerState, users: dict[str, m.User]
) -> None:
    cid = _taken_conversation(backend, state, users["other"])
    mid = str(uuid.uuid4())
    push_one(state.writes, users["agent"], mid, "conversation.claim", {"conversation_id": cid})
    old = {"code": "already_assigned", "message": "Someone has already taken it."}
    with state.writes() as s:
        row = s.get_one(m.AppliedMutation, mid)
        row.result = {"id": mid, "status": "rejected", "reason": old}
        s.commit()
    again = push_one(
        state.writes, users["agent"], mid, "conversation.claim", {"conversation_id": cid}
    )
    assert again["status"] == "duplicate" and again["reason"] == old


def _days_ahead(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("until", "applied"),
    [
        ("9999-12-31T23:59:59-14:00", False),
        ("9999-12-31T23:00:00Z", False),
        ("2 years", False),
        ("10 days", True),
    ],
)
def test_a_snooze_more_than_a_year_ahead_is_one_typed_refusal(
    backend: str, state: ServerState, users: dict[str, m.User], until: str, applied: bool
) -> None:
    """The end of year 9999 at UTC-14 is past year 9999 in UTC: storing it failed inside the
    column type's conversion and the whole push answered 500. A snooze is now held to a year
    ahead, as reminders and scheduled replies are; the rest of the push goes on."""
    cid = make_conversations(backend, 1)[0].conversation_id
    when = {"2 years": _days_ahead(730), "10 days": _days_ahead(10)}.get(until, until)
    snooze = {"conversation_id": cid, "status": "snoozed", "snoozed_until": when}
    high = {"conversation_id": cid, "priority": "high"}
    results = push_many(
        state.writes,
        users["agent"],
        [
            (str(uuid.uuid4()), "conversation.set_status", snooze),
            (str(uuid.uuid4()), "conversation.set_priority", high),
        ],
    )
    with state.reads() as s:
        conv = s.get_one(m.Conversation, cid)
        status, priority = conv.status, conv.priority
    assert results[1]["status"] == "applied" and priority == "high"
    if applied:
        assert results[0]["status"] == "applied" and status == "snoozed"
    else:
        assert results[0]["status"] == "rejected"
        assert results[0]["reason"]["code"] == "invalid"
        assert results[0]["reason"]["template"] == "That is more than a year ahead."
        assert status != "snoozed"


def test_a_tag_is_at_most_64_characters(
    backend: str, state: ServerState, users: dict[str, m.User]
) -> None:
    """A tag is a label for lists and filters: 10,000 characters of one were accepted."""
    cid = make_conversations(backend, 1)[0].conversation_id
    results = push_many(
        state.writes,
        users["agent"],
        [
            (str(uuid.uuid4()), "conversation.set_tags", {"conversation_id": cid, "add": [tag]})
            for tag in ("t" * 65, "t" * 64, "  " + "u" * 64 + "  ")
        ],
    )
    assert [r["status"] for r in results] == ["rejected", "applied", "applied"]
    assert results[0]["reason"]["code"] == "invalid"
    with state.reads() as s:
        assert s.get_one(m.Conversation, cid).tags == ["t" * 64, "u" * 64]


def test_a_customers_tag_is_at_most_64_characters_too(
    backend: str, state: ServerState, users: dict[str, m.User]
) -> None:
    """Customer tags had no width at all: 10,000 characters of one were stored."""
    customer = make_conversations(backend, 1)[0].customer_id
    results = push_many(
        state.writes,
        users["agent"],
        [
            (str(uuid.uuid4()), "customer.update",
             {"customer_id": customer, "fields": {"tags": [tag]}})
            for tag in ("c" * 10_000, " vip ")
        ],
    )  # fmt: skip
    assert [r["status"] for r in results] == ["rejected", "applied"]
    with state.reads() as s:
        assert s.get_one(m.Customer, customer).tags == ["vip"]
