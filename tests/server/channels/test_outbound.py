"""Agents' replies leave on the customer's channel through the provider's API, and come back
with delivery receipts; a provider outage ends in retries, a visible failure and a re-send."""

from __future__ import annotations

import base64
import random
from typing import Any

from tests.helpers.data import new_id
from tests.helpers.fakes import DROP
from tests.server.channels.support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BUSINESS_NUMBER,
    META_ACCESS_TOKEN,
    META_PAGE_TOKEN,
    WHATSAPP_NUMBER_ID,
    Desk,
    messaging_event,
    new_sid,
    sms_params,
    status_params,
    telegram_update,
    whatsapp_message,
    whatsapp_status,
)


def _number() -> str:
    return f"+1415556{random.randrange(10_000):04d}"


def _reply(desk: Desk, conversation_id: str, text: str) -> str:
    message_id = new_id()
    result = desk.agent.push(
        (
            "message.send",
            {"conversation_id": conversation_id, "message_id": message_id, "body_text": text},
        )
    )[0]
    assert result["status"] == "applied", result
    return message_id


def _sms_conversation(desk: Desk, sender: str) -> str:
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, sender, "Hello?")).ok
    conv_id: str = desk.wait_message(sid)["conversation_id"]
    return conv_id


def test_sms_reply_reaches_twilio_then_is_sent_and_delivered(desk: Desk) -> None:
    customer = _number()
    conv_id = _sms_conversation(desk, customer)
    message_id = _reply(desk, conv_id, "Your parcel ships today.")

    (req,) = desk.fakes.twilio.wait_requests(1)
    assert desk.fakes.twilio.violations == []  # recorded once answered, violations included
    assert req.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    basic = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert req.headers["authorization"] == f"Basic {basic}"
    form = req.form_dict()
    assert form["To"] == customer and form["From"] == BUSINESS_NUMBER
    assert form["Body"] == "Your parcel ships today."
    assert form["StatusCallback"] == desk.url("/webhooks/twilio/sms")

    sent = desk.wait_status(message_id, "sent")
    sid = sent["provider_message_id"]
    assert sid.startswith("SM") and sent["sent_at"] is not None
    callback = status_params(sid, "delivered", customer)
    assert desk.twilio("/webhooks/twilio/sms", callback).status_code == 200
    desk.wait_status(message_id, "delivered")
    # A late "sent" callback does not move it back.
    assert desk.twilio("/webhooks/twilio/sms", status_params(sid, "sent", customer)).ok
    assert desk.twilio("/webhooks/twilio/sms", status_params(sid, "sending", customer)).ok
    assert desk.entity("message", message_id)["delivery_status"] == "delivered"


def test_carrier_failure_reason_reaches_the_agent(desk: Desk) -> None:
    customer = _number()
    message_id = _reply(desk, _sms_conversation(desk, customer), "Hello again")
    sid = desk.wait_status(message_id, "sent")["provider_message_id"]
    failed = status_params(sid, "undelivered", customer, ErrorCode="30003")
    assert desk.twilio("/webhooks/twilio/sms", failed).ok
    msg = desk.wait_status(message_id, "failed")
    assert "unreachable" in msg["failure_reason"]


def _whatsapp_conversation(desk: Desk, wa_id: str) -> str:
    wamid = "wamid." + new_sid("HBg")
    assert desk.meta(whatsapp_message(wamid, wa_id, "Do you ship to Lisbon?")).ok
    conv_id: str = desk.wait_message(wamid)["conversation_id"]
    return conv_id


def test_whatsapp_reply_through_graph_and_statuses_never_move_backwards(desk: Desk) -> None:
    wa_id = _number()[1:]
    message_id = _reply(desk, _whatsapp_conversation(desk, wa_id), "Yes, in 3 days.")
    (req,) = desk.fakes.graph.wait_requests(1)
    assert desk.fakes.graph.violations == []
    assert req.path.endswith(f"/{WHATSAPP_NUMBER_ID}/messages")
    assert req.headers["authorization"] == f"Bearer {META_ACCESS_TOKEN}"
    body: dict[str, Any] = req.json()
    assert body["messaging_product"] == "whatsapp" and body["to"] == wa_id
    assert body["text"]["body"] == "Yes, in 3 days."

    wamid = desk.wait_status(message_id, "sent")["provider_message_id"]
    assert wamid.startswith("wamid.")
    assert desk.meta(whatsapp_status(wamid, wa_id, "read")).ok
    desk.wait_status(message_id, "read")
    assert desk.meta(whatsapp_status(wamid, wa_id, "delivered")).ok  # late
    failed = whatsapp_status(
        wamid, wa_id, "failed", errors=[{"code": 131026, "title": "Message undeliverable"}]
    )
    assert desk.meta(failed).ok  # after read, a failure cannot be true
    assert desk.meta(whatsapp_status(wamid, wa_id, "sent")).ok
    msg = desk.entity("message", message_id)
    assert msg["delivery_status"] == "read" and msg["failure_reason"] is None


def test_status_before_the_send_is_recorded_is_not_lost(desk: Desk) -> None:
    """Meta may call back before we stored the id; the receipt is applied once we have it."""
    wa_id = _number()[1:]
    conv_id = _whatsapp_conversation(desk, wa_id)
    early = desk.fakes.graph.upcoming_whatsapp_id()
    desk.fakes.graph.hold()  # the send is in flight ...
    message_id = _reply(desk, conv_id, "Early bird")
    desk.fakes.graph.wait_arrived(1)
    # ... when the receipt for the id the provider is about to return arrives.
    assert desk.meta(whatsapp_status(early, wa_id, "delivered")).ok
    desk.fakes.graph.release()
    msg = desk.wait_status(message_id, "delivered")
    assert msg["provider_message_id"] == early


def test_messenger_and_telegram_replies(desk: Desk) -> None:
    psid = str(random.randrange(10**15))
    mid = "m_" + new_sid("")
    assert desk.meta(messaging_event("page", psid, mid, "Hi shop")).ok
    fb_reply = _reply(desk, desk.wait_message(mid)["conversation_id"], "Hi! How can we help?")
    (req,) = desk.fakes.graph.wait_requests(1)
    assert req.path.endswith("/me/messages")
    assert req.headers["authorization"] == f"Bearer {META_PAGE_TOKEN}"
    assert req.json() == {
        "recipient": {"id": psid},
        "message": {"text": "Hi! How can we help?"},
        "messaging_type": "RESPONSE",
    }
    assert desk.wait_status(fb_reply, "sent")["provider_message_id"].startswith("m_FAKE")

    chat_id = random.randrange(10**9)
    assert desk.telegram(telegram_update(random.randrange(10**9), chat_id, 3, "Hallo")).ok
    conv_id = desk.wait_message(f"{chat_id}:3")["conversation_id"]
    tg_reply = _reply(desk, conv_id, "Hello *Tomas* <3")
    (req,) = desk.fakes.telegram.wait_requests(1)
    assert desk.fakes.telegram.violations == []
    assert req.path.endswith("/sendMessage")
    assert req.json() == {"chat_id": chat_id, "text": "Hello *Tomas* <3"}
    msg = desk.wait_status(tg_reply, "sent")
    assert msg["provider_message_id"].startswith(f"{chat_id}:")


def test_provider_down_retries_then_fails_and_retry_sends_it(desk: Desk) -> None:
    conv_id = _sms_conversation(desk, _number())
    desk.fakes.twilio.down(500)
    message_id = _reply(desk, conv_id, "Are you there?")
    failed = desk.wait_status(message_id, "failed", timeout=30)
    assert len(desk.fakes.twilio.requests) == 3  # max_attempts in the test configuration
    assert "Twilio could not be reached after 3 attempts" in failed["failure_reason"]

    desk.fakes.twilio.down(None)
    result = desk.agent.push(("message.retry", {"message_id": message_id}))[0]
    assert result["status"] == "applied", result
    sent = desk.wait_status(message_id, "sent")
    assert sent["failure_reason"] is None and len(desk.fakes.twilio.requests) == 4
    again = desk.agent.push(("message.retry", {"message_id": message_id}))[0]
    assert again["status"] == "rejected" and again["reason"]["code"] == "conflict"


def test_transient_errors_are_retried_until_sent(desk: Desk) -> None:
    conv_id = _sms_conversation(desk, _number())
    desk.fakes.twilio.fail(DROP)  # connection reset
    desk.fakes.twilio.fail(429)  # rate limited, with Retry-After
    message_id = _reply(desk, conv_id, "Third time lucky")
    desk.wait_status(message_id, "sent", timeout=30)
    assert len(desk.fakes.twilio.requests) == 3


def test_a_refusal_fails_at_once_with_the_providers_reason(desk: Desk) -> None:
    conv_id = _sms_conversation(desk, _number())
    desk.fakes.twilio.fail(400)
    message_id = _reply(desk, conv_id, "Refused")
    failed = desk.wait_status(message_id, "failed")
    assert len(desk.fakes.twilio.requests) == 1
    assert failed["failure_reason"].startswith("Twilio refused the message")
    assert "21211" in failed["failure_reason"]


def test_too_long_for_the_channel_fails_without_calling_the_provider(desk: Desk) -> None:
    conv_id = _sms_conversation(desk, _number())
    message_id = _reply(desk, conv_id, "x" * 1601)
    failed = desk.wait_status(message_id, "failed")
    assert "1600" in failed["failure_reason"]
    assert desk.fakes.twilio.requests == []


def test_chat_and_notes_are_not_dispatched_and_email_needs_a_connection(desk: Desk) -> None:
    from csdesk.domain.enums import Channel
    from tests.helpers.data import make_conversations

    (chat,) = make_conversations(desk.db_url, 1, channel=Channel.CHAT)
    (email,) = make_conversations(desk.db_url, 1, channel=Channel.EMAIL)
    chat_reply = _reply(desk, chat.conversation_id, "chat reply")
    email_reply = _reply(desk, email.conversation_id, "email reply")
    note = new_id()
    sms_conv = _sms_conversation(desk, _number())
    desk.agent.push(
        (
            "message.send",
            {"conversation_id": sms_conv, "message_id": note, "body_text": "n", "is_note": True},
        )
    )
    # The dispatcher takes queued messages oldest first: once this SMS is sent, it has seen
    # the chat reply and left it alone.  Email is dispatched (over SMTP), and this server has
    # no email connection, so the reply fails at once with the reason.
    desk.wait_status(_reply(desk, sms_conv, "sms reply"), "sent")
    assert desk.entity("message", chat_reply)["delivery_status"] == "queued"
    failed = desk.entity("message", email_reply)
    assert failed["delivery_status"] == "failed"
    assert "No provider for email is configured" in failed["failure_reason"]
    assert len(desk.fakes.twilio.requests) == 1  # the note went nowhere
