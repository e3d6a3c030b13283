"""The survey page: a signed, expiring, single-use link; strict validation (no input gives a
5xx); the answer reaches survey_answers (and the KPIs), the thread, the customer's timeline,
and a low score opens a follow-up for the team's supervisor. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from csdesk.server.surveys import tokens
from csdesk.storage import models as m
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser
from tests.server.surveys.support import (
    make_reachable,
    make_team,
    messages,
    rows,
    set_conversation,
    survey_message,
    surveys,
    token_in,
)


def _surveyed(srv: ServerProcess, backend: str, users: dict[str, TestUser]) -> tuple[str, str]:
    """A resolved conversation with its survey sent: (conversation id, token)."""
    (made,) = make_reachable(backend, 1)
    ann = Raw.signed_in(srv, users["ann"])
    (result,) = ann.push(
        ("conversation.set_status", {"conversation_id": made.conversation_id, "status": "resolved"})
    )
    assert result["status"] == "applied"
    return made.conversation_id, token_in(survey_message(backend, made.conversation_id).body_text)


def _post(srv: ServerProcess, token: str, data: object, **kw: object) -> requests.Response:
    return requests.post(f"{srv.url}/survey/{token}", data=data, timeout=10, **kw)  # type: ignore[arg-type]


def _key() -> bytes:
    return tokens.survey_key(Path("/nonexistent"))  # CSDESK_SECRET_KEY is set: the env key


def test_an_answer_is_filed_everywhere_and_only_once(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    conv_id, token = _surveyed(srv, backend, shared_users)
    page = requests.get(f"{srv.url}/survey/{token}", timeout=10)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "<legend>" in page.text and "type=radio" in page.text and "<script" not in page.text
    done = _post(srv, token, {"csat": "4", "nps": "9", "ces": "2", "comment": "Quick <b>help</b>"})
    assert done.status_code == 200 and "Thank you" in done.text
    (answer,) = rows(backend, m.SurveyAnswer, conversation_id=conv_id)
    assert (answer.csat, answer.nps, answer.ces) == (4, 9, 2)
    assert answer.comment == "Quick <b>help</b>"  # stored as the customer wrote it: plain text
    (survey,) = surveys(backend, conv_id)
    assert survey.answered_at is not None and survey.answer_id == answer.id
    (note,) = [x for x in messages(backend, conv_id) if x.auto_kind == "survey_answer"]
    assert note.is_note and note.body_text == (
        "Customer rated 4/5 (NPS 9/10, effort 2/7): Quick <b>help</b>"
    )
    (event,) = rows(backend, m.CustomerEvent, conversation_id=conv_id, kind="survey_answered")
    assert event.data["csat"] == 4 and event.data["comment"] == "Quick <b>help</b>"
    assert rows(backend, m.Callback, conversation_id=conv_id) == []  # a good score: no task

    again = _post(srv, token, {"csat": "1"})
    assert again.status_code == 409 and "already answered" in again.text
    assert requests.get(f"{srv.url}/survey/{token}", timeout=10).status_code == 409
    assert len(rows(backend, m.SurveyAnswer, conversation_id=conv_id)) == 1

    # The KPIs pick it up (CSAT over the last 7 days, the supervisor's view of the floor).
    sue = Raw.signed_in(srv, shared_users["sue"])
    kpis = sue.get("/api/v1/kpis", params={"period": "7d"}).json()["total"]
    assert kpis["csat_count"] >= 1 and kpis["csat_avg"] is not None


def test_a_low_score_opens_a_follow_up_for_the_teams_supervisor(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    team = make_team(backend, "Returns", shared_users["sue"].id, shared_users["bob"].id)
    conv_id, token = _surveyed(srv, backend, shared_users)
    set_conversation(backend, conv_id, team_id=team)
    assert _post(srv, token, {"csat": "2", "comment": "Took ages"}).status_code == 200
    (task,) = rows(backend, m.Callback, conversation_id=conv_id)
    assert task.assignee_id == shared_users["sue"].id
    assert task.status in ("scheduled", "due")
    assert task.kind == "survey_follow_up"
    assert task.note == "Customer rated 2/5: Took ages"
    # The supervisor's desk syncs it (a follow-up the desk lists and announces as one).
    sue = Raw.signed_in(srv, shared_users["sue"])
    changes, _ = sue.pull_all()
    (synced,) = [c for c in changes if c["entity"] == "callback" and c["id"] == task.id]
    assert synced["data"]["kind"] == "survey_follow_up"


def test_a_detractor_nps_alone_opens_a_follow_up(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    conv_id, token = _surveyed(srv, backend, shared_users)
    assert _post(srv, token, {"csat": "4", "nps": "3"}).status_code == 200
    (task,) = rows(backend, m.Callback, conversation_id=conv_id)
    assert task.assignee_id is None  # no team, no supervisor: the callback queue


def test_forged_tampered_expired_and_unknown_links_are_clear_4xx_pages(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    conv_id, token = _surveyed(srv, backend, shared_users)
    body, mac = token.split(".")
    (survey,) = surveys(backend, conv_id)
    other_key = tokens.sign(b"k" * 32, survey.id, int(time.time()) + 3600)
    longer = tokens.sign(_key(), survey.id, int(time.time()) + 10 * 365 * 86400)
    cases = {
        body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]: 400,  # MAC changed
        tokens.sign(b"x" * 32, survey.id, 1).split(".")[0] + "." + mac: 400,  # body changed
        other_key: 400,  # signed with another key
        "not-a-token": 400,
        "a" * 300: 400,
        tokens.sign(_key(), survey.id, int(time.time()) - 5): 410,  # expired
        tokens.sign(_key(), "no-such-survey", int(time.time()) + 3600): 404,
    }
    for bad, status in cases.items():
        page = requests.get(f"{srv.url}/survey/{bad}", timeout=10)
        assert page.status_code == status, (bad, page.text)
        assert "<h1>" in page.text and "<form" not in page.text
        assert _post(srv, bad, {"csat": "5"}).status_code == status
    # A later expiry signed by us is honoured by the token; the stored expiry still rules.
    assert requests.get(f"{srv.url}/survey/{longer}", timeout=10).status_code == 200
    assert rows(backend, m.SurveyAnswer, conversation_id=conv_id) == []


@pytest.mark.parametrize(
    ("data", "status", "shown"),
    [
        ({}, 422, "Please choose how satisfied you are"),
        ({"csat": "6"}, 422, "not a valid choice"),
        ({"csat": "99999999999999999999999999"}, 422, "not a valid choice"),
        ({"csat": "-1"}, 422, "not a valid choice"),
        ({"csat": "4", "nps": "11"}, 422, "not a valid choice"),
        ({"csat": "4", "ces": "0"}, 422, "not a valid choice"),
        ({"csat": "4", "comment": "x" * 2001}, 422, "too long"),
        ("csat=4&comment=%00%ED%A0%80%FF\x01bad", 200, "Thank you"),
        ("csat=4&" + "&".join(f"f{n}=1" for n in range(500)), 422, "Please choose"),
        (b"csat=5&comment=" + b"y" * 20_000, 413, "shorten"),
    ],
)
def test_hostile_input_gets_a_clear_answer_never_a_5xx(
    srv: ServerProcess,
    backend: str,
    shared_users: dict[str, TestUser],
    data: object,
    status: int,
    shown: str,
) -> None:
    conv_id, token = _surveyed(srv, backend, shared_users)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    r = _post(srv, token, data, headers=headers)
    assert r.status_code == status, r.text[:500]
    assert shown in r.text
    if status == 422:
        assert "role=alert" in r.text and "<form" in r.text
        assert rows(backend, m.SurveyAnswer, conversation_id=conv_id) == []
    if status == 200:
        (answer,) = rows(backend, m.SurveyAnswer, conversation_id=conv_id)
        assert "\x00" not in answer.comment and "\x01" not in answer.comment
        assert "bad" in answer.comment


def test_the_page_answers_only_posts_and_hostile_paths(
    srv: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    _conv_id, token = _surveyed(srv, backend, shared_users)
    assert requests.put(f"{srv.url}/survey/{token}", timeout=10).status_code == 405
    for path in ("%00", "%ED%A0%80", "..%2F..%2Fetc", "a." + "b" * 500, "é.ü", "a%2Fb.c"):
        r = requests.get(f"{srv.url}/survey/{path}", timeout=10)
        assert 400 <= r.status_code < 500, (path, r.status_code)
    for path in ("a." + "b" * 500, "é.ü", "x" * 5000):  # every bad link: the same page
        r = requests.get(f"{srv.url}/survey/{path}", timeout=10)
        assert r.status_code == 400 and "This link does not work" in r.text, path
