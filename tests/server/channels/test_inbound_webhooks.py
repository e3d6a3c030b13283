"""Signed provider deliveries over real HTTP end up as messages on the right customer."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.server.channels.support import (
    META_VERIFY_TOKEN,
    Desk,
    messaging_event,
    new_sid,
    sms_params,
    telegram_update,
    wait_until,
    whatsapp_message,
)


def _number() -> str:
    return f"+1415555{random.randrange(10_000):04d}"


def _identities_of(desk: Desk, customer_id: str) -> set[tuple[str, str]]:
    return {
        (i["kind"], i["value"])
        for i in desk.entities("identity").values()
        if i["customer_id"] == customer_id
    }


def test_sms_becomes_a_message_on_a_new_customer(desk: Desk) -> None:
    sid, sender = new_sid("SM"), _number()
    national = f"({sender[2:5]}) {sender[5:8]}-{sender[8:]}"  # how a US caller writes it
    r = desk.twilio("/webhooks/twilio/sms", sms_params(sid, national, "Where is my order?"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml")
    assert ET.fromstring(r.content).tag == "Response"  # empty TwiML: no automatic reply
    msg = desk.wait_message(sid)
    assert msg["body_text"] == "Where is my order?"
    assert msg["direction"] == "in" and msg["channel"] == "sms"
    assert msg["delivery_status"] == "received"
    conv = desk.entity("conversation", msg["conversation_id"])
    assert conv["channel"] == "sms" and conv["status"] == "open"
    assert conv["message_count"] == 1 and conv["preview"] == "Where is my order?"
    assert conv["waiting_since"] is not None and conv["last_inbound_at"] is not None
    assert conv["first_response_due_at"] is not None and conv["resolution_due_at"] is not None
    # The national spelling was normalised with the channel's default region.
    assert ("phone", sender) in _identities_of(desk, conv["customer_id"])
    assert desk.entity("customer", conv["customer_id"])["phone"] == sender


def test_second_sms_continues_the_open_conversation(desk: Desk) -> None:
    sender = _number()
    first, second = new_sid("SM"), new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(first, sender, "Hi")).status_code == 200
    assert (
        desk.twilio("/webhooks/twilio/sms", sms_params(second, sender, "Anyone?")).status_code
        == 200
    )
    a, b = desk.wait_message(first), desk.wait_message(second)
    assert a["conversation_id"] == b["conversation_id"]
    conv = desk.entity("conversation", a["conversation_id"])
    assert conv["message_count"] == 2 and conv["preview"] == "Anyone?"


def test_replayed_deliveries_are_stored_once(desk: Desk) -> None:
    sid, sender = new_sid("SM"), _number()
    params = sms_params(sid, sender, "Once only")
    for _ in range(3):
        assert desk.twilio("/webhooks/twilio/sms", params).status_code == 200
    wamid = "wamid." + new_sid("HBg")
    payload = whatsapp_message(wamid, _number()[1:], "Olá")
    for _ in range(2):
        assert desk.meta(payload).status_code == 200
    update = telegram_update(random.randrange(10**9), random.randrange(10**9), 7, "hello")
    for _ in range(2):
        assert desk.telegram(update).status_code == 200
    messages = desk.entities("message").values()
    for pid in (sid, wamid, f"{update['message']['chat']['id']}:7"):
        stored = [m for m in messages if m["provider_message_id"] == pid]
        assert len(stored) == 1, pid
        conv = desk.entity("conversation", stored[0]["conversation_id"])
        assert conv["message_count"] == 1


def test_whatsapp_messenger_and_instagram_through_one_meta_webhook(desk: Desk) -> None:
    wa_id = _number()[1:]
    wamid = "wamid." + new_sid("HBg")
    psid, igsid = str(random.randrange(10**15)), str(random.randrange(10**15))
    mid_fb, mid_ig = "m_" + new_sid(""), "aWdf" + new_sid("")
    assert desk.meta(whatsapp_message(wamid, wa_id, "Is it in stock?", "Ana Lima")).ok
    assert desk.meta(messaging_event("page", psid, mid_fb, "Hello from Messenger")).ok
    assert desk.meta(messaging_event("instagram", igsid, mid_ig, "Hello from Instagram")).ok

    wa = desk.wait_message(wamid)
    assert wa["channel"] == "whatsapp" and wa["body_text"] == "Is it in stock?"
    wa_conv = desk.entity("conversation", wa["conversation_id"])
    assert desk.entity("customer", wa_conv["customer_id"])["name"] == "Ana Lima"
    assert ("whatsapp", f"+{wa_id}") in _identities_of(desk, wa_conv["customer_id"])

    fb, ig = desk.wait_message(mid_fb), desk.wait_message(mid_ig)
    assert (fb["channel"], ig["channel"]) == ("messenger", "instagram")
    fb_conv = desk.entity("conversation", fb["conversation_id"])
    ig_conv = desk.entity("conversation", ig["conversation_id"])
    assert ("messenger", psid) in _identities_of(desk, fb_conv["customer_id"])
    assert ("instagram", igsid) in _identities_of(desk, ig_conv["customer_id"])
    assert len({wa_conv["customer_id"], fb_conv["customer_id"], ig_conv["customer_id"]}) == 3


def test_whatsapp_and_sms_from_one_number_are_one_customer(desk: Desk) -> None:
    number = _number()
    sid, wamid = new_sid("SM"), "wamid." + new_sid("HBg")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, number, "by SMS")).ok
    assert desk.meta(whatsapp_message(wamid, number[1:], "by WhatsApp")).ok
    by_sms, by_wa = desk.wait_message(sid), desk.wait_message(wamid)
    sms_conv = desk.entity("conversation", by_sms["conversation_id"])
    wa_conv = desk.entity("conversation", by_wa["conversation_id"])
    assert sms_conv["id"] != wa_conv["id"]  # one conversation per channel ...
    assert sms_conv["customer_id"] == wa_conv["customer_id"]  # ... on one customer


def test_telegram_message_and_edit(desk: Desk) -> None:
    chat_id = random.randrange(10**9)
    update = telegram_update(random.randrange(10**9), chat_id, 42, "Size M please")
    r = desk.telegram(update)
    assert r.status_code == 200 and r.json() == {"ok": True}
    msg = desk.wait_message(f"{chat_id}:42")
    assert msg["channel"] == "telegram" and msg["author_name"] == "Tomas"
    edited = {"update_id": update["update_id"] + 1, "edited_message": update["message"]}
    edited["edited_message"] = {**update["message"], "text": "Size L please", "edit_date": 1}
    assert desk.telegram(edited).status_code == 200
    wait_until(
        lambda: desk.entity("message", msg["id"])["body_text"] == "Size L please" or None,
        what="the edit",
    )
    conv = desk.entity("conversation", msg["conversation_id"])
    assert conv["message_count"] == 1  # an edit is not a new message


@pytest.mark.parametrize(
    "event",
    [
        # A postback and a reaction: well-formed Messenger events csdesk does not handle.
        {"postback": {"title": "Get started", "payload": "START"}},
        {"reaction": {"mid": "m_1", "action": "react", "emoji": "👍"}},
    ],
)
def test_unknown_meta_events_are_acknowledged_and_ignored(
    desk: Desk, event: dict[str, Any]
) -> None:
    before = len(desk.entities("message"))
    payload = messaging_event("page", "998877", "m_unused", "x")
    messaging = payload["entry"][0]["messaging"][0]
    del messaging["message"]
    messaging.update(event)
    assert desk.meta(payload).status_code == 200
    unknown_object = {"object": "permissions", "entry": [{"id": "1", "time": 1, "changes": []}]}
    assert desk.meta(unknown_object).status_code == 200
    callback_query = {"update_id": 5, "callback_query": {"id": "1", "data": "x"}}
    assert desk.telegram(callback_query).status_code == 200
    sticker_only = telegram_update(6, 4242, 1, "")
    assert desk.telegram(sticker_only).status_code == 200
    assert len(desk.entities("message")) == before


def test_malformed_payloads_are_400(desk: Desk) -> None:
    r = desk.twilio("/webhooks/twilio/sms", {"From": "+14155550199", "Body": "no sid"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_payload"
    r = desk.meta({"object": "page", "entry": "not a list"})
    assert r.status_code == 400 and "entry" in r.json()["error"]["message"]
    assert desk.telegram({"no": "update_id"}).status_code == 400


def test_meta_verification_handshake(desk: Desk) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": META_VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    r = desk.agent.get("/webhooks/meta", params=params)
    assert r.status_code == 200 and r.text == "1158201444"
    r = desk.agent.get("/webhooks/meta", params={**params, "hub.verify_token": "guess"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "bad_signature"
    r = desk.agent.get("/webhooks/meta", params={**params, "hub.mode": "unsubscribe"})
    assert r.status_code == 403


def test_oversized_bodies_are_refused(desk: Desk) -> None:
    huge = sms_params(new_sid("SM"), _number(), "x" * 300_000)
    r = desk.twilio("/webhooks/twilio/sms", huge)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    r = desk.meta({"object": "page", "entry": [], "pad": "x" * 300_000})
    assert r.status_code == 413


def test_webhooks_are_in_the_openapi_document(desk: Desk) -> None:
    paths = desk.agent.get("/openapi.json").json()["paths"]
    assert "post" in paths["/webhooks/twilio/sms"]
    assert "post" in paths["/webhooks/twilio/voice"]
    assert {"get", "post"} <= set(paths["/webhooks/meta"])
    assert "post" in paths["/webhooks/telegram"]
