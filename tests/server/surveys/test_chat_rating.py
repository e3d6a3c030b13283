"""The chat widget's inline rating (``POST /chat/api/rating``) against a live server, on SQLite
and PostgreSQL: the survey message carries its rating state, the visitor's answer goes the
survey page's way (answer row, thread note, timeline, follow-up), once, only for the visitor
whose chat it is, before it expires; hostile bodies get a clear 4xx, never a 5xx."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests

from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.surveys.support import rows, session, surveys
from tests.server.test_chat_api import Visitor, reply


def _resolved_chat(srv: ServerProcess, users: dict[str, TestUser]) -> tuple[Visitor, str, str]:
    """A visitor whose chat an agent answered and resolved: (visitor, conversation, survey
    message id as the widget was given it)."""
    visitor = Visitor.start(srv.url)
    conv_id = visitor.say("Can I change my delivery address?")["conversation_id"]
    ann = Raw.signed_in(srv, users["ann"])
    reply(ann, conv_id, "Done, it goes to the new address.")
    (result,) = ann.push(
        ("conversation.set_status", {"conversation_id": conv_id, "status": "resolved"})
    )
    assert result["status"] == "applied", result
    shown = visitor.updates()["messages"]
    (survey,) = [x for x in shown if x.get("rating")]
    assert survey["rating"] == "open"
    assert all(x["rating"] is None for x in shown if x is not survey)
    return visitor, conv_id, str(survey["id"])


def _rate(visitor: Visitor, **body: Any) -> requests.Response:
    return visitor.call("POST", "/chat/api/rating", json=body)


def test_the_visitor_rates_the_chat_once_and_it_is_filed_everywhere(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    visitor, conv_id, message_id = _resolved_chat(srv, shared_users)
    done = _rate(visitor, message_id=message_id, csat=2, comment="Slow\r\nreply\x00")
    assert done.status_code == 200, done.text
    assert done.json() == {"status": "answered"}
    assert done.headers["access-control-allow-origin"] == "*"
    (answer,) = rows(backend, m.SurveyAnswer, conversation_id=conv_id)
    assert (answer.csat, answer.nps, answer.comment) == (2, None, "Slow\nreply")
    (note,) = [x for x in rows(backend, m.Message, conversation_id=conv_id) if x.is_note]
    assert note.body_text == "Customer rated 2/5: Slow reply"
    (event,) = rows(backend, m.CustomerEvent, conversation_id=conv_id, kind="survey_answered")
    assert event.data["csat"] == 2
    (audit,) = [
        a
        for a in rows(backend, m.AuditEntry, action="survey.answer")
        if a.after and a.after.get("conversation_id") == conv_id
    ]
    assert audit.after["via"] == "chat"
    assert len(rows(backend, m.Callback, conversation_id=conv_id)) == 1  # a low score

    again = _rate(visitor, message_id=message_id, csat=5)
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "survey_answered"
    assert len(rows(backend, m.SurveyAnswer, conversation_id=conv_id)) == 1
    # A page load redraws the chat: the survey says it is answered (no second form).
    history = visitor.call("GET", "/chat/api/messages").json()["messages"]
    assert [x["rating"] for x in history if x["rating"]] == ["answered"]


def test_only_the_visitor_whose_chat_it_is_may_rate_it(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    visitor, conv_id, message_id = _resolved_chat(srv, shared_users)
    stranger = Visitor.start(srv.url)
    stranger.say("Hello")
    assert _rate(stranger, message_id=message_id, csat=1).status_code == 404
    assert _rate(Visitor(srv.url), message_id=message_id, csat=1).status_code == 401
    # The agent's reply is no survey: nothing to rate there.
    history = visitor.call("GET", "/chat/api/messages").json()["messages"]
    agent_reply = next(x for x in history if x["text"].startswith("Done,"))
    assert _rate(visitor, message_id=agent_reply["id"], csat=4).status_code == 404
    assert rows(backend, m.SurveyAnswer, conversation_id=conv_id) == []


def test_an_expired_survey_is_refused_and_shown_expired(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    visitor, conv_id, message_id = _resolved_chat(srv, shared_users)
    (survey,) = surveys(backend, conv_id)
    with session(backend) as s:
        row = s.get(m.SurveyRequest, survey.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
        s.commit()
    gone = _rate(visitor, message_id=message_id, csat=4)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "survey_expired"
    history = visitor.call("GET", "/chat/api/messages").json()["messages"]
    assert [x["rating"] for x in history if x["rating"]] == ["expired"]
    assert rows(backend, m.SurveyAnswer, conversation_id=conv_id) == []


def test_hostile_bodies_get_a_clear_answer_never_a_5xx(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    visitor, conv_id, message_id = _resolved_chat(srv, shared_users)
    headers = {"X-Chat-Token": visitor.token or "", "Content-Type": "application/json"}
    url = srv.url + "/chat/api/rating"
    bad: list[Any] = [
        {"message_id": message_id, "csat": 6},
        {"message_id": message_id, "csat": 0},
        {"message_id": message_id, "csat": "4"},
        {"message_id": message_id, "csat": True},
        {"message_id": message_id, "csat": 4.0},
        {"message_id": message_id, "csat": 10**40},
        {"message_id": message_id, "csat": 4, "nps": 11},
        {"message_id": message_id, "csat": 4, "ces": 0},
        {"message_id": message_id, "csat": 4, "comment": "x" * 2001},
        {"message_id": message_id, "csat": 4, "extra": 1},
        {"message_id": "../" + message_id, "csat": 4},
        {"message_id": "\x00", "csat": 4},
        {"csat": 4},
        [],
    ]
    for body in bad:
        r = requests.post(url, json=body, headers=headers, timeout=10)
        assert r.status_code == 422, (body, r.status_code, r.text)
    raw: list[bytes] = [
        b"{",
        b"\xff\xfe",
        b'{"message_id": "' + message_id.encode() + b'", "csat": 4, "comment": "\\ud800"}',
        b'{"message_id": "' + message_id.encode() + b'", "csat": 4, "comment": "a\\u0000b"}',
    ]
    for body in raw:
        r = requests.post(url, data=body, headers=headers, timeout=10)
        assert r.status_code in (200, 409, 422), (body, r.status_code, r.text)
    r = requests.post(url, data=b"x" * 20_000, headers=headers, timeout=10)
    assert r.status_code == 413, r.text
    answers = rows(backend, m.SurveyAnswer, conversation_id=conv_id)
    assert len(answers) <= 1 and all("\x00" not in a.comment for a in answers)
