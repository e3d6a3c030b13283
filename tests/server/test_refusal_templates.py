"""A refused mutation carries its brace template and params next to the identical English
message (issue 13), on both databases; a replayed id answers with the stored reason, also one
stored before templates existed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

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
