"""When a conversation is resolved the server decides whether to survey the customer: once per
resolution (even under concurrent resolves), at most once per customer in N days, never for
training, spam, auto-replies, unsurveyed channels or customers who opted out. Over the real
push API, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from csdesk.domain.enums import Channel, Realm
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.surveys.support import (
    make_reachable,
    messages,
    session,
    set_conversation,
    survey_message,
    surveys,
    token_in,
)


def _set_status(agent: Raw, conversation_id: str, status: str) -> None:
    (result,) = agent.push(
        ("conversation.set_status", {"conversation_id": conversation_id, "status": status})
    )
    assert result["status"] == "applied", result


def test_resolving_sends_one_survey_with_a_working_link(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_reachable(backend, 1)
    ann = Raw.signed_in(srv, shared_users["ann"])
    _set_status(ann, made.conversation_id, "resolved")
    (survey,) = surveys(backend, made.conversation_id)
    assert survey.channel == "email" and survey.answered_at is None
    assert survey.expires_at - survey.sent_at == timedelta(days=7)
    msg = survey_message(backend, made.conversation_id)
    assert msg.direction == "out" and msg.is_auto and not msg.is_note
    assert msg.id == survey.message_id and msg.subject == "How did we do?"
    token = token_in(msg.body_text)
    page = requests.get(f"{srv.url}/survey/{token}", timeout=10)
    assert page.status_code == 200 and "<fieldset" in page.text
    # The thread (the synced message) shows it to agents too.
    changes, _ = ann.pull_all()
    synced = [c for c in changes if c["entity"] == "message" and c["id"] == msg.id]
    assert synced and synced[-1]["data"]["auto_kind"] == "survey"

    # Resolving a resolved conversation again is not a new resolution: nothing more.
    _set_status(ann, made.conversation_id, "resolved")
    assert len(surveys(backend, made.conversation_id)) == 1
    # Reopened and resolved again within 14 days: the customer is not asked twice.
    _set_status(ann, made.conversation_id, "open")
    _set_status(ann, made.conversation_id, "resolved")
    assert len(surveys(backend, made.conversation_id)) == 1
    assert [x.auto_kind for x in messages(backend, made.conversation_id)].count("survey") == 1


def test_a_customer_surveyed_long_ago_is_asked_again(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_reachable(backend, 1)
    ann = Raw.signed_in(srv, shared_users["ann"])
    _set_status(ann, made.conversation_id, "resolved")
    with session(backend) as s:  # that survey was sent 15 days ago
        s.execute(
            update(m.SurveyRequest)
            .where(m.SurveyRequest.conversation_id == made.conversation_id)
            .values(sent_at=utcnow() - timedelta(days=15))
        )
        s.commit()
    _set_status(ann, made.conversation_id, "open")
    _set_status(ann, made.conversation_id, "resolved")
    assert len(surveys(backend, made.conversation_id)) == 2


@pytest.mark.parametrize(
    "case",
    ["spam", "auto_tag", "auto_only", "phone", "opted_out", "note_only", "no_address", "merged"],
)
def test_no_survey_where_the_rules_say_not(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser], case: str
) -> None:
    channel = Channel.PHONE if case == "phone" else Channel.EMAIL
    make = make_conversations if case == "no_address" else make_reachable
    (made,) = make(backend, 1, channel=channel)
    if case == "spam":
        set_conversation(backend, made.conversation_id, tags=["spam"])
    elif case == "auto_tag":
        set_conversation(backend, made.conversation_id, tags=["auto"])
    elif case in ("auto_only", "note_only"):
        with session(backend) as s:
            msg = s.get(m.Message, made.message_id)
            assert msg is not None
            if case == "auto_only":
                msg.is_auto, msg.auto_kind = True, "auto_reply"
            else:
                msg.is_note, msg.direction = True, "out"
            s.commit()
    elif case == "merged":  # closed by a merge (docs/merge-split.md): not a resolution
        (other,) = make_reachable(backend, 1)
        set_conversation(backend, made.conversation_id, merged_into_id=other.conversation_id)
    elif case == "opted_out":
        with session(backend) as s:
            cust = s.get(m.Customer, made.customer_id)
            assert cust is not None
            cust.contact_opt_out = True
            s.commit()
    ann = Raw.signed_in(srv, shared_users["ann"])
    _set_status(ann, made.conversation_id, "resolved")
    assert surveys(backend, made.conversation_id) == []
    assert all(x.auto_kind != "survey" for x in messages(backend, made.conversation_id))


def test_the_training_realm_is_never_surveyed(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_reachable(backend, 1, realm=Realm.TRAINING)
    tia = Raw.signed_in(srv, shared_users["tia"])
    _set_status(tia, made.conversation_id, "resolved")
    assert surveys(backend, made.conversation_id) == []


def test_concurrent_resolves_survey_the_resolution_once(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    made = make_reachable(backend, 4)
    ann = Raw.signed_in(srv, shared_users["ann"])
    bob = Raw.signed_in(srv, shared_users["bob"])
    jobs = [(agent, x.conversation_id) for x in made for agent in (ann, bob, ann, bob)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda job: _set_status(job[0], job[1], "resolved"), jobs))
    for x in made:
        assert len(surveys(backend, x.conversation_id)) == 1
        assert [y.auto_kind for y in messages(backend, x.conversation_id)].count("survey") == 1


def test_one_resolution_is_one_row_in_the_database(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    """The guarantee under everything: the unique constraint, not a check before insert."""
    (made,) = make_reachable(backend, 1)
    ann = Raw.signed_in(srv, shared_users["ann"])
    _set_status(ann, made.conversation_id, "resolved")
    (first,) = surveys(backend, made.conversation_id)
    with session(backend) as s, pytest.raises(IntegrityError):
        s.add(
            m.SurveyRequest(
                id="another-survey-of-the-same-resolution"[:36],
                realm=first.realm,
                conversation_id=first.conversation_id,
                customer_id=first.customer_id,
                channel=first.channel,
                resolved_at=first.resolved_at,
                sent_at=first.sent_at,
                expires_at=first.expires_at,
                language="en",
            )
        )
        s.commit()


def test_a_chat_visitor_gets_the_survey_as_a_link_in_the_widget(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    from tests.server.test_chat_api import Visitor, reply

    visitor = Visitor.start(srv.url)
    conv_id = visitor.say("Do you ship to Iceland?")["conversation_id"]
    ann = Raw.signed_in(srv, shared_users["ann"])
    reply(ann, conv_id, "Yes, in about a week.")
    _set_status(ann, conv_id, "resolved")
    shown = visitor.updates()["messages"]
    (survey,) = [x for x in shown if x.get("survey")]
    assert survey["text"].startswith("How did we do? Rate this chat in a minute: http")
    assert survey["survey"].startswith("/survey/")
    page = requests.get(srv.url + survey["survey"], timeout=10)
    assert page.status_code == 200 and "How satisfied are you" in page.text
    assert next(x for x in shown if x["text"] == "Yes, in about a week.")["survey"] is None
