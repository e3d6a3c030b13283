"""An assignee must be able to read what they are given: nobody can hand a production
conversation to a trainee, who could never open it (issue 9, item 16). Over HTTP, both
backends."""

from __future__ import annotations

import pytest

from csdesk.domain.access import can_read, realm_of_role
from csdesk.domain.enums import Realm, Role
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


def _assign(who: Raw, conv_id: str, assignee_id: str | None) -> dict[str, object]:
    args = {"conversation_id": conv_id, "assignee_id": assignee_id}
    result: dict[str, object] = who.push(("conversation.assign", args))[0]
    return result


@pytest.mark.parametrize("assigner", ["ann", "sue", "adm"])
def test_a_production_conversation_cannot_be_given_to_a_trainee(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser], assigner: str
) -> None:
    (made,) = make_conversations(backend)
    who = Raw.signed_in(live, shared_users[assigner])
    result = _assign(who, made.conversation_id, shared_users["tia"].id)
    assert result["status"] == "rejected", result
    reason = result["reason"]
    assert isinstance(reason, dict) and reason["code"] == "assignee_cannot_read"
    assert "tia" in reason["message"] and "training" in reason["message"]
    snap = who.get(f"/api/v1/entities/conversation/{made.conversation_id}").json()
    assert snap["data"]["assignee_id"] is None
    # The trainee indeed cannot see it: that is why the rule exists.
    tia = Raw.signed_in(live, shared_users["tia"])
    assert tia.get(f"/api/v1/entities/conversation/{made.conversation_id}").status_code == 404


def test_teammates_who_can_read_it_can_be_given_it(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend)
    ann = Raw.signed_in(live, shared_users["ann"])
    for name in ("bob", "sue", "adm", "ann"):
        result = _assign(ann, made.conversation_id, shared_users[name].id)
        assert result["status"] == "applied", (name, result)
        snap = ann.get(f"/api/v1/entities/conversation/{made.conversation_id}").json()
        assert snap["data"]["assignee_id"] == shared_users[name].id
    assert _assign(ann, made.conversation_id, None)["status"] == "applied"


def test_a_trainee_takes_sandbox_conversations_for_themselves(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, realm=Realm.TRAINING)
    tia = Raw.signed_in(live, shared_users["tia"])
    assert _assign(tia, made.conversation_id, shared_users["tia"].id)["status"] == "applied"


def test_the_rule_is_one_domain_function() -> None:
    assert realm_of_role(Role.TRAINEE.value) is Realm.TRAINING
    assert not can_read(Role.TRAINEE.value, Realm.PRODUCTION.value)
    assert can_read(Role.TRAINEE.value, Realm.TRAINING.value)
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        assert can_read(role.value, Realm.PRODUCTION.value)
        assert not can_read(role.value, Realm.TRAINING.value)
