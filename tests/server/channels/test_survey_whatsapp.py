"""WhatsApp surveys through Meta's Cloud API (the Graph fake, which checks the documented send
format): resolving inside the 24-hour window sends the question as a session (free-text)
message; a signed inbound webhook with a digit answers it and reopens nothing; any other reply
is an ordinary message; outside the window no free text goes (WhatsApp would refuse it): the
survey goes as the approved template the operator named, or not at all; a webhook without
Meta's signature answers nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
import requests

from csdesk.domain.wa_template import Template
from csdesk.server.channels import config_store, wa_templates
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.vault import Vault
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.server import TestUser
from tests.server.channels.support import (
    WHATSAPP_NUMBER_ID,
    Desk,
    Fakes,
    live_desk,
    new_sid,
    state_for,
    wait_until,
    whatsapp_message,
)
from tests.server.surveys.support import rows


@pytest.fixture(scope="module")
def desk_module(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    """The channels' live server, with WhatsApp surveys turned on."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_SURVEY_CHANNELS", "whatsapp")
        mp.setenv("CSDESK_SURVEY_EVERY_DAYS", "0")
        mp.setenv("CSDESK_SURVEY_WHATSAPP_TEMPLATE", f"{TEMPLATE}:en_US")
        with live_desk(backend, shared_users, fakes, tmp_path_factory) as desk:
            yield desk


TEMPLATE = "csat_survey"
TEMPLATE_TEXT = "How did we do? Reply with one digit: 1 (very unhappy) to 5 (very happy)."
WABA_ID = "102290129340398"


def _approve_template(desk: Desk, approved: bool) -> None:
    """The server's copy of the approved templates has the survey template (or none)."""
    state = state_for(desk.db_url, desk.data_dir)
    vault = Vault(desk.data_dir)
    try:
        with state.writes() as s:
            cfg = config_store.load(s, vault, Provider.META)
            assert cfg is not None
            settings = {k: v for k, v in cfg.settings.items() if k != "secrets_set"}
            settings["waba_id"] = WABA_ID
            config_store.save(s, vault, Provider.META, settings, dict(cfg.secrets))
            s.flush()
            found = [Template(TEMPLATE, "en_US", "UTILITY", TEMPLATE_TEXT, "", "")]
            wa_templates.save_cache(s, WABA_ID, found if approved else [], utcnow())
            s.commit()
    finally:
        state.engine.dispose()
    desk.fakes.graph.templates = [
        {
            "name": TEMPLATE,
            "language": "en_US",
            "status": "APPROVED" if approved else "REJECTED",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": TEMPLATE_TEXT}],
        }
    ]


def _age(desk: Desk, conv_id: str, by: timedelta) -> None:
    state = state_for(desk.db_url, desk.data_dir)
    try:
        with state.writes() as s:
            conv = s.get(m.Conversation, conv_id)
            assert conv is not None
            conv.last_inbound_at = utcnow() - by
            s.commit()
    finally:
        state.engine.dispose()


def _wa_id() -> str:
    return f"4915{random.randrange(10**8):08d}"


def _write(desk: Desk, wa_id: str, text: str) -> dict[str, Any]:
    wamid = "wamid." + new_sid("IN")
    assert desk.meta(whatsapp_message(wamid, wa_id, text)).status_code == 200
    return desk.wait_message(wamid)


def _resolve(desk: Desk, conv_id: str) -> None:
    (result,) = desk.agent.push(
        ("conversation.set_status", {"conversation_id": conv_id, "status": "resolved"})
    )
    assert result["status"] == "applied", result


def _surveyed(desk: Desk, wa_id: str) -> str:
    """A WhatsApp conversation resolved inside the window; its survey reached Meta."""
    conv_id: str = _write(desk, wa_id, "My order has not arrived.")["conversation_id"]
    _resolve(desk, conv_id)
    (req,) = desk.fakes.graph.wait_requests(1)
    assert req.method == "POST" and req.path.endswith(f"/{WHATSAPP_NUMBER_ID}/messages")
    body = req.json()
    assert body["messaging_product"] == "whatsapp" and body["to"] == wa_id
    assert body["type"] == "text"  # a session message: the window is open
    assert "Reply with one digit: 1 (very unhappy) to 5 (very happy)" in body["text"]["body"]
    assert desk.fakes.graph.violations == []
    return conv_id


def test_a_digit_reply_on_whatsapp_is_the_answer_and_reopens_nothing(
    desk: Desk, backend: str
) -> None:
    wa_id = _wa_id()
    conv_id = _surveyed(desk, wa_id)
    reply = _write(desk, wa_id, "4!")
    assert reply["conversation_id"] == conv_id
    assert reply["is_auto"] and reply["auto_kind"] == "survey_reply"
    assert desk.entity("conversation", conv_id)["status"] == "resolved"
    (answer,) = rows(backend, m.SurveyAnswer, conversation_id=conv_id)
    assert answer.csat == 4 and answer.comment == ""
    notes = [x.body_text for x in rows(backend, m.Message, conversation_id=conv_id) if x.is_note]
    assert notes == ["Customer rated 4/5."]
    (audit,) = [
        a
        for a in rows(backend, m.AuditEntry, action="survey.answer")
        if a.after and a.after.get("conversation_id") == conv_id
    ]
    assert audit.after["via"] == "whatsapp"


def test_a_reply_that_is_no_digit_is_an_ordinary_message(desk: Desk, backend: str) -> None:
    wa_id = _wa_id()
    conv_id = _surveyed(desk, wa_id)
    msg = _write(desk, wa_id, "5 stars if it had come on time")
    assert msg["conversation_id"] == conv_id and msg["is_auto"] is False
    wait_until(
        lambda: True if desk.entity("conversation", conv_id)["status"] == "open" else None,
        what="the conversation reopened",
    )
    assert rows(backend, m.SurveyAnswer, conversation_id=conv_id) == []


def test_outside_the_window_without_the_template_no_survey_is_sent(
    desk: Desk, backend: str
) -> None:
    """Free text after 24 hours would be refused by WhatsApp, and the survey template is not
    approved: the survey is skipped, and a later digit is an ordinary message."""
    _approve_template(desk, approved=False)
    wa_id = _wa_id()
    conv_id: str = _write(desk, wa_id, "Thanks, all good.")["conversation_id"]
    _age(desk, conv_id, timedelta(hours=25))
    _resolve(desk, conv_id)
    assert rows(backend, m.SurveyRequest, conversation_id=conv_id) == []
    assert not [x for x in rows(backend, m.Message, conversation_id=conv_id) if x.is_auto]
    digit = _write(desk, wa_id, "5")
    assert digit["is_auto"] is False
    assert rows(backend, m.SurveyAnswer, conversation_id=conv_id) == []
    assert [r for r in desk.fakes.graph.requests if r.method == "POST"] == []


def test_a_digit_without_metas_signature_answers_nothing(desk: Desk, backend: str) -> None:
    wa_id = _wa_id()
    conv_id = _surveyed(desk, wa_id)
    body = orjson.dumps(whatsapp_message("wamid." + new_sid("IN"), wa_id, "1"))
    forged = requests.post(
        desk.url("/webhooks/meta"),
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64},
        timeout=20,
    )
    assert forged.status_code in (401, 403), forged.text
    unsigned = requests.post(
        desk.url("/webhooks/meta"),
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=20,
    )
    assert unsigned.status_code in (401, 403), unsigned.text
    assert rows(backend, m.SurveyAnswer, conversation_id=conv_id) == []
    assert rows(backend, m.Callback, conversation_id=conv_id) == []


def test_outside_the_window_the_survey_goes_as_the_approved_template(
    desk: Desk, backend: str
) -> None:
    _approve_template(desk, approved=True)
    try:
        wa_id = _wa_id()
        conv_id: str = _write(desk, wa_id, "Got it, thanks.")["conversation_id"]
        _age(desk, conv_id, timedelta(hours=25))
        _resolve(desk, conv_id)
        (req,) = desk.fakes.graph.wait_requests(1)
        body = req.json()
        assert body["type"] == "template" and body["to"] == wa_id
        assert body["template"]["name"] == TEMPLATE
        assert body["template"]["language"] == {"code": "en_US"}
        assert desk.fakes.graph.violations == []
        (survey,) = [
            x for x in rows(backend, m.Message, conversation_id=conv_id) if x.auto_kind == "survey"
        ]
        assert survey.body_text == TEMPLATE_TEXT  # the thread shows what the customer got
        desk.wait_status(survey.id, "sent")
        reply = _write(desk, wa_id, "2")
        assert reply["auto_kind"] == "survey_reply"
        (answer,) = rows(backend, m.SurveyAnswer, conversation_id=conv_id)
        assert answer.csat == 2
    finally:
        _approve_template(desk, approved=False)
