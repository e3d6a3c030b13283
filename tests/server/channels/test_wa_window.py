"""WhatsApp's 24-hour window on the server: free text after it is refused at ``message.send``
(and at ``message.retry``) with a typed reason, for Meta's Cloud API and Twilio's WhatsApp
senders alike; templates and internal notes still go (issue 9, item 17)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from csdesk.domain.wa_template import Template
from csdesk.server.channels import config_store, wa_templates
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.vault import Vault
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from tests.helpers.data import new_id
from tests.server.channels.support import (
    Desk,
    new_sid,
    sms_params,
    state_for,
    wait_until,
    whatsapp_message,
)

ELEVEN_MONTHS = timedelta(days=335)


def _meta_conversation(desk: Desk) -> str:
    wa_id = f"3467{random.randrange(10**7):07d}"
    wamid = "wamid." + new_sid("IN")
    assert desk.meta(whatsapp_message(wamid, wa_id, "Where is my order?")).status_code == 200
    conv_id: str = desk.wait_message(wamid)["conversation_id"]
    return conv_id


def _twilio_conversation(desk: Desk, channel_prefix: str = "whatsapp:") -> str:
    sid = new_sid("SM")
    sender = f"{channel_prefix}+1415556{random.randrange(10_000):04d}"
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, sender, "Hello?")).ok
    conv_id: str = desk.wait_message(sid)["conversation_id"]
    return conv_id


def _age(desk: Desk, conv_id: str, by: timedelta) -> None:
    """The customer's last message was ``by`` ago (as if the conversation had gone quiet)."""
    state = state_for(desk.db_url, desk.data_dir)
    try:
        with state.writes() as s:
            conv = s.get(m.Conversation, conv_id)
            assert conv is not None and conv.last_inbound_at is not None
            conv.last_inbound_at = utcnow() - by
            s.commit()
    finally:
        state.engine.dispose()


def _send(desk: Desk, conv_id: str, text: str, **extra: Any) -> dict[str, Any]:
    args = {"conversation_id": conv_id, "message_id": new_id(), "body_text": text, **extra}
    result: dict[str, Any] = desk.agent.push(("message.send", args))[0]
    result["message_id"] = args["message_id"]
    return result


def _channel_of(desk: Desk, conv_id: str) -> str:
    channel: str = desk.entity("conversation", conv_id)["channel"]
    return channel


def test_meta_whatsapp_free_text_after_the_window_is_refused_and_never_sent(desk: Desk) -> None:
    conv_id = _meta_conversation(desk)
    assert _channel_of(desk, conv_id) == "whatsapp"
    inside = _send(desk, conv_id, "Within the window: fine.")
    assert inside["status"] == "applied", inside
    desk.wait_status(inside["message_id"], "sent")
    _age(desk, conv_id, ELEVEN_MONTHS)
    sent_before = len(desk.fakes.graph.requests)
    late = _send(desk, conv_id, "Eleven months later, free text.")
    assert late["status"] == "rejected", late
    assert late["reason"]["code"] == "window_closed"
    assert "24 hours" in late["reason"]["message"] and "template" in late["reason"]["message"]
    assert desk.agent.get(f"/api/v1/entities/message/{late['message_id']}").status_code == 404
    # An internal note never reaches the customer: always allowed.
    note = _send(desk, conv_id, "Customer went quiet; call them?", is_note=True)
    assert note["status"] == "applied", note
    assert len(desk.fakes.graph.requests) == sent_before


def test_just_inside_and_just_outside_the_window(desk: Desk) -> None:
    conv_id = _meta_conversation(desk)
    _age(desk, conv_id, timedelta(hours=23, minutes=58))
    assert _send(desk, conv_id, "Still in time.")["status"] == "applied"
    _age(desk, conv_id, timedelta(hours=24, minutes=1))
    late = _send(desk, conv_id, "Too late.")
    assert late["status"] == "rejected" and late["reason"]["code"] == "window_closed", late


def test_an_approved_template_is_still_allowed_after_the_window(desk: Desk) -> None:
    conv_id = _meta_conversation(desk)
    _age(desk, conv_id, ELEVEN_MONTHS)
    state = state_for(desk.db_url, desk.data_dir)
    vault = Vault(desk.data_dir)
    try:
        with state.writes() as s:
            cfg = config_store.load(s, vault, Provider.META)
            assert cfg is not None
            settings = {k: v for k, v in cfg.settings.items() if k != "secrets_set"}
            settings["waba_id"] = "102290129340398"
            config_store.save(s, vault, Provider.META, settings, dict(cfg.secrets))
            s.flush()
            template = Template("follow_up", "en_US", "UTILITY", "We have news for you.", "", "")
            wa_templates.save_cache(s, "102290129340398", [template], utcnow())
            s.commit()
    finally:
        state.engine.dispose()
    desk.fakes.graph.templates = [
        {
            "name": "follow_up",
            "language": "en_US",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "We have news for you."}],
        }
    ]
    result = _send(
        desk,
        conv_id,
        "(template)",
        template={"name": "follow_up", "language": "en_US", "parameters": []},
    )
    assert result["status"] == "applied", result
    sent = desk.wait_status(result["message_id"], "sent")
    assert sent["body_text"] == "We have news for you."


def test_twilio_whatsapp_free_text_after_the_window_is_refused(desk: Desk) -> None:
    conv_id = _twilio_conversation(desk)
    assert _channel_of(desk, conv_id) == "whatsapp"
    assert _send(desk, conv_id, "Within the window.")["status"] == "applied"
    _age(desk, conv_id, ELEVEN_MONTHS)
    late = _send(desk, conv_id, "Months later.")
    assert late["status"] == "rejected" and late["reason"]["code"] == "window_closed", late


def test_sms_has_no_window(desk: Desk) -> None:
    conv_id = _twilio_conversation(desk, channel_prefix="")
    assert _channel_of(desk, conv_id) == "sms"
    _age(desk, conv_id, ELEVEN_MONTHS)
    assert _send(desk, conv_id, "SMS has no such rule.")["status"] == "applied"


def test_a_failed_free_text_reply_cannot_be_retried_after_the_window(desk: Desk) -> None:
    conv_id = _meta_conversation(desk)
    desk.fakes.graph.fail(400, times=10)  # Meta refuses; the reply ends up failed
    result = _send(desk, conv_id, "This one fails.")
    assert result["status"] == "applied", result
    desk.wait_status(result["message_id"], "failed")
    _age(desk, conv_id, ELEVEN_MONTHS)
    desk.fakes.graph.clear()
    retry = desk.agent.push(("message.retry", {"message_id": result["message_id"]}))[0]
    assert retry["status"] == "rejected" and retry["reason"]["code"] == "window_closed", retry
    msg = wait_until(lambda: desk.entities("message").get(result["message_id"]))
    assert msg["delivery_status"] == "failed"
