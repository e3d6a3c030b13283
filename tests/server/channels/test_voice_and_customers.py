"""Calls in the history, missed calls as callback tasks, one customer across channels, merges."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from csdesk.domain.enums import Channel, IdentityKind
from csdesk.server.channels.inbound import Handle, InboundMessage
from csdesk.server.channels.ingest import ingest_message
from tests.server.channels.support import (
    Desk,
    new_sid,
    sms_params,
    state_for,
    telegram_update,
    voice_params,
    wait_until,
)


def _number() -> str:
    return f"+1415557{random.randrange(10_000):04d}"


def _twiml(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == "Response"
    return root


def test_missed_call_answers_twiml_and_becomes_a_callback_task(desk: Desk) -> None:
    caller, sid = _number(), new_sid("CA")
    r = desk.twilio("/webhooks/twilio/voice", voice_params(sid, caller, "ringing"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    root = _twiml(r.content)
    verbs = [child.tag for child in root]
    assert verbs == ["Say", "Record", "Hangup"]  # no agent phones configured: voicemail
    assert root.find("Record").get("action") == desk.url("/webhooks/twilio/voice")  # type: ignore[union-attr]
    call = desk.wait_message(sid)
    assert call["channel"] == "phone" and call["direction"] == "in"
    assert call["body_text"] == f"Incoming call from {caller}"

    # The caller hangs up without leaving a message: Twilio's final status callback.
    final = voice_params(sid, caller, "completed", CallDuration="9")
    r = desk.twilio("/webhooks/twilio/voice", final)
    assert r.status_code == 200 and list(_twiml(r.content)) == []
    wait_until(
        lambda: desk.entity("message", call["id"])["body_text"].startswith("Missed call") or None,
        what="the missed call",
    )
    conv = desk.entity("conversation", call["conversation_id"])
    assert "callback" in conv["tags"] and conv["status"] == "open"
    assert conv["waiting_since"] is not None
    assert desk.entity("message", call["id"])["body_text"] == f"Missed call from {caller} (9 s)"
    # A retried callback changes nothing and adds nothing.
    assert desk.twilio("/webhooks/twilio/voice", final).ok
    assert desk.entity("conversation", call["conversation_id"])["message_count"] == 1


def test_withheld_number_still_gets_a_callback_conversation(desk: Desk) -> None:
    sid = new_sid("CA")
    assert desk.twilio("/webhooks/twilio/voice", voice_params(sid, "anonymous", "ringing")).ok
    busy = voice_params(sid, "anonymous", "no-answer")
    assert desk.twilio("/webhooks/twilio/voice", busy).ok

    def missed() -> dict[str, Any] | None:
        found = desk.message_by_provider_id(sid)
        return found if found is not None and "Missed" in found["body_text"] else None

    msg = wait_until(missed, what="the missed call")
    assert msg["body_text"] == "Missed call from a withheld number"
    conv = desk.entity("conversation", msg["conversation_id"])
    assert "callback" in conv["tags"]
    assert desk.entity("customer", conv["customer_id"])["name"] == "Withheld number"


def test_voicemail_is_attached_and_flagged_for_callback(desk: Desk) -> None:
    caller, sid = _number(), new_sid("CA")
    assert desk.twilio("/webhooks/twilio/voice", voice_params(sid, caller, "ringing")).ok
    recording = f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{new_sid('RE')}"
    params = voice_params(sid, caller, "completed", RecordingUrl=recording, RecordingDuration="14")
    r = desk.twilio("/webhooks/twilio/voice", params)
    assert [c.tag for c in _twiml(r.content)] == ["Say", "Hangup"]
    msg = wait_until(
        lambda: ((m := desk.message_by_provider_id(sid)) and m["attachments"] and m) or None,
        what="the voicemail",
    )
    assert msg["attachments"][0]["provider_file_id"] == recording
    assert msg["body_text"].startswith(f"Voicemail from {caller}")
    assert "callback" in desk.entity("conversation", msg["conversation_id"])["tags"]


def test_chat_then_sms_then_call_is_one_customer_once_an_agent_links_them(desk: Desk) -> None:
    phone = _number()
    email = f"mia.{random.randrange(10**6)}@Example.COM"
    visitor = new_sid("visitor-")
    chat = InboundMessage(
        channel=Channel.CHAT,
        provider_message_id=new_sid("chat-"),
        sender_handle=Handle(IdentityKind.CHAT_VISITOR, visitor),
        sender_name="Mia Kovač",
        text="My jacket has not arrived",
        sent_at=datetime.now(UTC),
    )
    state = state_for(desk.db_url, desk.data_dir)
    try:
        with state.writes() as s:
            # The widget later passes the contact details the visitor typed in.
            chatted = ingest_message(
                s,
                chat,
                extra_handles=[
                    Handle(IdentityKind.EMAIL, email),
                    Handle(IdentityKind.PHONE, phone),
                ],
            )
            s.commit()
    finally:
        state.engine.dispose()
    assert chatted.created and chatted.conversation_created

    # Typed details are claims: an SMS and a call from that number land on their own customer.
    sms_sid, call_sid = new_sid("SM"), new_sid("CA")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sms_sid, phone, "Any news?")).ok
    assert desk.twilio("/webhooks/twilio/voice", voice_params(call_sid, phone, "ringing")).ok
    sms, call = desk.wait_message(sms_sid), desk.wait_message(call_sid)
    texter = desk.entity("conversation", sms["conversation_id"])["customer_id"]
    assert texter != chatted.customer_id
    assert desk.entity("conversation", call["conversation_id"])["customer_id"] == texter
    typed = {
        c["kind"]: c
        for c in desk.entities("identity_claim").values()
        if c["customer_id"] == chatted.customer_id
    }
    assert typed["email"]["value"] == email.lower() and typed["email"]["match_customer_id"] is None
    assert typed["phone"]["match_customer_id"] == texter  # the number proved by the SMS

    # The agent links them: the visitor's profile folds into the customer who texted.
    [done] = desk.agent.push(
        (
            "customer.link_match",
            {"claim_id": typed["phone"]["id"], "conversation_id": chatted.conversation_id},
        )
    )
    assert done["status"] == "applied", done
    convs = {
        c["id"]: c for c in desk.entities("conversation").values() if c["customer_id"] == texter
    }
    assert set(convs) == {chatted.conversation_id, sms["conversation_id"], call["conversation_id"]}
    assert {c["channel"] for c in convs.values()} == {"chat", "sms", "phone"}
    history = [
        m["body_text"]
        for m in sorted(desk.entities("message").values(), key=lambda m: m["created_at"])
        if m["conversation_id"] in convs
    ]
    assert history == ["My jacket has not arrived", "Any news?", f"Incoming call from {phone}"]
    customer = desk.entity("customer", texter)
    assert customer["phone"] == phone and customer["email"] is None  # typed: never filled in
    kinds = {i["kind"] for i in desk.entities("identity").values() if i["customer_id"] == texter}
    assert kinds == {"chat_visitor", "phone"}


def test_caller_id_names_a_customer_who_has_no_name_and_never_renames_one(desk: Desk) -> None:
    phone = _number()
    texted = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(texted, phone, "Hello?")).ok
    customer_id, _conv = _customer_of(desk, texted)
    assert desk.entity("customer", customer_id)["name"] == phone  # a number is all we know

    # Carriers' non-names and numbers are no names.
    for junk in ("WIRELESS CALLER", phone, "ceo@store.example"):
        sid = new_sid("CA")
        params = voice_params(sid, phone, "ringing", CallerName=junk)
        assert desk.twilio("/webhooks/twilio/voice", params).ok
        desk.wait_message(sid)
        assert desk.entity("customer", customer_id)["name"] == phone

    hostile = "<b>Jo Park</b>"
    sid = new_sid("CA")
    params = voice_params(sid, phone, "ringing", CallerName=hostile)
    assert desk.twilio("/webhooks/twilio/voice", params).ok
    desk.wait_message(sid)
    assert desk.entity("customer", customer_id)["name"] == hostile  # kept as plain text

    sid = new_sid("CA")
    params = voice_params(sid, phone, "ringing", CallerName="Someone Else")
    assert desk.twilio("/webhooks/twilio/voice", params).ok
    desk.wait_message(sid)
    assert desk.entity("customer", customer_id)["name"] == hostile  # a name stays


def _customer_of(desk: Desk, provider_id: str) -> tuple[str, str]:
    msg = desk.wait_message(provider_id)
    conv = desk.entity("conversation", msg["conversation_id"])
    return conv["customer_id"], conv["id"]


def test_merge_moves_everything_and_undo_restores_it(desk: Desk) -> None:
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, _number(), "SMS me")).ok
    chat_id = random.randrange(10**9)
    assert desk.telegram(telegram_update(random.randrange(10**9), chat_id, 1, "It's me")).ok
    keep, keep_conv = _customer_of(desk, sid)
    dup, dup_conv = _customer_of(desk, f"{chat_id}:1")
    assert keep != dup

    merged = desk.agent.push(
        ("customer.merge", {"source_customer_id": dup, "target_customer_id": keep})
    )[0]
    assert merged["status"] == "applied", merged
    assert desk.entity("customer", dup)["merged_into_id"] == keep
    assert desk.entity("conversation", dup_conv)["customer_id"] == keep
    identities = desk.entities("identity").values()
    assert ("telegram", str(chat_id), keep) in {
        (i["kind"], i["value"], i["customer_id"]) for i in identities
    }
    # New Telegram messages now land on the surviving customer.
    assert desk.telegram(telegram_update(random.randrange(10**9), chat_id, 2, "again")).ok
    assert _customer_of(desk, f"{chat_id}:2")[0] == keep

    twice = desk.agent.push(
        ("customer.merge", {"source_customer_id": dup, "target_customer_id": keep})
    )[0]
    assert twice["status"] == "rejected" and twice["reason"]["code"] == "deleted"
    itself = desk.agent.push(
        ("customer.merge", {"source_customer_id": keep, "target_customer_id": keep})
    )[0]
    assert itself["reason"]["code"] == "invalid"

    undone = desk.agent.push(("customer.unmerge", {"customer_id": dup}))[0]
    assert undone["status"] == "applied", undone
    assert desk.entity("customer", dup)["merged_into_id"] is None
    assert desk.entity("conversation", dup_conv)["customer_id"] == dup
    assert desk.entity("conversation", keep_conv)["customer_id"] == keep
    identity = next(i for i in desk.entities("identity").values() if i["value"] == str(chat_id))
    assert identity["customer_id"] == dup
    again = desk.agent.push(("customer.unmerge", {"customer_id": dup}))[0]
    assert again["status"] == "rejected" and again["reason"]["code"] == "conflict"


def test_link_conversation_to_another_customer(desk: Desk) -> None:
    a_sid, b_sid = new_sid("SM"), new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(a_sid, _number(), "from a")).ok
    assert desk.twilio("/webhooks/twilio/sms", sms_params(b_sid, _number(), "from b")).ok
    a_cust, a_conv = _customer_of(desk, a_sid)
    b_cust, _ = _customer_of(desk, b_sid)
    linked = desk.agent.push(
        ("conversation.link_customer", {"conversation_id": a_conv, "customer_id": b_cust})
    )[0]
    assert linked["status"] == "applied", linked
    assert desk.entity("conversation", a_conv)["customer_id"] == b_cust
    missing = desk.agent.push(
        ("conversation.link_customer", {"conversation_id": a_conv, "customer_id": "nope"})
    )[0]
    assert missing["reason"]["code"] == "not_found"
    assert a_cust != b_cust
