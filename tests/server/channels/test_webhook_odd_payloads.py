"""Signed deliveries no real provider sends (impossible timestamps, bodies nested thousands of
levels deep, ids and addresses longer than our columns, absurd call lengths) used to answer
500, which a provider redelivers forever, or on SQLite were stored over-long.  Now they are
refused with 400 ``invalid_payload`` naming the field and write nothing, or, for a field the
desk can do without (a file's size, a voicemail's length), have that field ignored."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from csdesk.server.channels.signatures import meta_signature
from csdesk.storage import models as m
from tests.server.channels.support import (
    META_APP_SECRET,
    TELEGRAM_SECRET,
    Desk,
    messaging_event,
    new_sid,
    sms_params,
    telegram_update,
    voice_params,
    wait_until,
    whatsapp_message,
)

_TABLES = (
    m.Customer,
    m.CustomerIdentity,
    m.Conversation,
    m.ConversationRoute,
    m.Message,
    m.Call,
    m.EarlyStatus,
)


def _number() -> str:
    return f"+1415555{random.randrange(10_000):04d}"


def _counts(desk: Desk) -> dict[str, int]:
    engine = sa.create_engine(desk.db_url)
    try:
        with engine.connect() as db:
            return {
                t.__tablename__: db.scalar(sa.select(sa.func.count()).select_from(t)) or 0
                for t in _TABLES
            }
    finally:
        engine.dispose()


def _meta_raw(desk: Desk, body: bytes) -> requests.Response:
    """A Meta delivery of exactly ``body``, signed as Meta signs it."""
    return requests.post(
        desk.url("/webhooks/meta"),
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(META_APP_SECRET, body),
        },
        timeout=30,
    )


def _telegram_raw(desk: Desk, body: bytes) -> requests.Response:
    return requests.post(
        desk.url("/webhooks/telegram"),
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
        },
        timeout=30,
    )


def _refused(desk: Desk, send: Callable[[], requests.Response], field: str) -> None:
    """``send`` answers 400 ``invalid_payload`` naming ``field``, and no row was written."""
    before = _counts(desk)
    r = send()
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_payload", error
    assert field in error["message"], error
    assert _counts(desk) == before


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["nan", "inf", "1e20", "-99999999999999"])
def test_whatsapp_message_with_an_impossible_timestamp_is_refused(desk: Desk, stamp: str) -> None:
    payload = whatsapp_message("wamid." + new_sid("HBg"), _number()[1:], "Hello")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = stamp
    body = json.dumps(payload).encode()
    _refused(desk, lambda: _meta_raw(desk, body), "messages[].timestamp")


@pytest.mark.parametrize("stamp", ["1e30", "NaN"], ids=["1e30", "nan"])
def test_messenger_message_with_an_impossible_timestamp_is_refused(desk: Desk, stamp: str) -> None:
    payload = messaging_event("page", str(random.randrange(10**15)), new_sid("m_"), "Hello")
    payload["entry"][0]["messaging"][0]["timestamp"] = "@STAMP@"
    # A JSON number (1e30) or the NaN that Python's and JavaScript's encoders write.
    body = json.dumps(payload).replace('"@STAMP@"', stamp).encode()
    _refused(desk, lambda: _meta_raw(desk, body), "messaging[].timestamp")


def test_whatsapp_status_with_an_impossible_timestamp_is_refused(desk: Desk) -> None:
    payload = whatsapp_message("wamid." + new_sid("HBg"), _number()[1:], "Hello")
    value = payload["entry"][0]["changes"][0]["value"]
    value["statuses"] = [{"id": "wamid.x", "status": "read", "timestamp": "1e20"}]
    del value["messages"]
    body = json.dumps(payload).encode()
    _refused(desk, lambda: _meta_raw(desk, body), "statuses[].timestamp")


def test_telegram_message_dated_before_the_epoch_is_refused(desk: Desk) -> None:
    update = telegram_update(random.randrange(10**9), random.randrange(10**9), 7, "Hello")
    update["message"]["date"] = -(10**15)
    body = json.dumps(update).encode()
    _refused(desk, lambda: _telegram_raw(desk, body), "message.date")


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [900, 50_000])
def test_meta_body_nested_too_deeply_is_refused(desk: Desk, depth: int) -> None:
    body = f'{{"object":"page","entry":[],"x":{_nested(depth)}}}'.encode()
    _refused(desk, lambda: _meta_raw(desk, body), "nested")


@pytest.mark.parametrize("depth", [900, 50_000])
def test_telegram_update_nested_too_deeply_is_refused(desk: Desk, depth: int) -> None:
    body = f'{{"update_id":1,"x":{_nested(depth)}}}'.encode()
    _refused(desk, lambda: _telegram_raw(desk, body), "nested")


def test_real_payloads_are_not_too_deep(desk: Desk) -> None:
    """The bound leaves room for what providers really send (a reply quoting a message)."""
    chat_id = random.randrange(10**9)
    update = telegram_update(random.randrange(10**9), chat_id, 9, "It arrived broken")
    update["message"]["reply_to_message"] = {
        **telegram_update(1, chat_id, 8, "Where is it?")["message"],
        "entities": [{"type": "bold", "offset": 0, "length": 5}],
    }
    assert desk.telegram(update).status_code == 200
    assert desk.wait_message(f"{chat_id}:9")["body_text"] == "It arrived broken"


# --- values longer than their columns ------------------------------------------------------------


def test_sms_from_longer_than_a_phone_number_is_refused(desk: Desk) -> None:
    params = sms_params(new_sid("SM"), "+" + "1" * 200, "Hello")
    _refused(desk, lambda: desk.twilio("/webhooks/twilio/sms", params), "From")


def test_whatsapp_through_twilio_from_longer_than_a_phone_number_is_refused(desk: Desk) -> None:
    params = sms_params(new_sid("SM"), "whatsapp:+" + "1" * 40, "Hello")
    _refused(desk, lambda: desk.twilio("/webhooks/twilio/sms", params), "From")


def test_sms_with_a_message_sid_longer_than_any_id_is_refused(desk: Desk) -> None:
    params = sms_params("SM" + "a" * 4998, _number(), "Hello")
    _refused(desk, lambda: desk.twilio("/webhooks/twilio/sms", params), "MessageSid")


def test_whatsapp_from_longer_than_a_phone_number_is_refused(desk: Desk) -> None:
    payload = whatsapp_message("wamid." + new_sid("HBg"), "1" * 5000, "Hello")
    _refused(desk, lambda: desk.meta(payload), "messages[].from")


def test_whatsapp_message_id_longer_than_any_id_is_refused(desk: Desk) -> None:
    payload = whatsapp_message("wamid." + "x" * 5000, _number()[1:], "Hello")
    _refused(desk, lambda: desk.meta(payload), "messages[].id")


def test_messenger_sender_longer_than_any_address_is_refused(desk: Desk) -> None:
    payload = messaging_event("page", "7" * 400, new_sid("m_"), "Hello")
    _refused(desk, lambda: desk.meta(payload), "sender.id")


def test_telegram_chat_id_beyond_64_bits_is_refused(desk: Desk) -> None:
    update = telegram_update(random.randrange(10**9), 10**300, 1, "Hello")
    body = json.dumps(update).encode()
    _refused(desk, lambda: _telegram_raw(desk, body), "message.chat.id")


def test_call_we_placed_to_a_number_longer_than_a_phone_number_is_refused(desk: Desk) -> None:
    """On a call we placed, the To number becomes the customer's phone."""
    params = voice_params(
        new_sid("CA"), "+14155550100", "ringing", Direction="outbound-api", To="+" + "1" * 40
    )
    _refused(desk, lambda: desk.twilio("/webhooks/twilio/voice", params), "To")


def test_telegram_file_size_beyond_any_file_is_stored_as_unknown(desk: Desk) -> None:
    """Not a reason to refuse the message, but not a number the desk's sync can encode."""
    chat_id = random.randrange(10**9)
    update = telegram_update(random.randrange(10**9), chat_id, 3, "See attached")
    update["message"]["document"] = {
        "file_id": "BQACAgQAAxkBAAIB",
        "file_unique_id": "AgADBgAD",
        "file_name": "invoice.pdf",
        "file_size": 10**30,
    }
    update["message"]["caption"] = update["message"].pop("text")
    assert _telegram_raw(desk, json.dumps(update).encode()).status_code == 200
    msg = desk.wait_message(f"{chat_id}:3")
    assert [a["filename"] for a in msg["attachments"]] == ["invoice.pdf"]
    assert msg["attachments"][0]["size"] is None


# --- calls -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", ["99999999999999999999", "-5"], ids=["huge", "negative"])
def test_call_duration_that_no_call_lasts_is_refused(desk: Desk, seconds: str) -> None:
    params = voice_params(new_sid("CA"), _number(), "completed", CallDuration=seconds)
    _refused(desk, lambda: desk.twilio("/webhooks/twilio/voice", params), "CallDuration")


def test_call_duration_refused_leaves_the_ringing_call_as_it_was(desk: Desk) -> None:
    sid, caller = new_sid("CA"), _number()
    ringing = voice_params(sid, caller, "ringing")
    assert desk.twilio("/webhooks/twilio/voice", ringing).status_code == 200

    def synced() -> dict[str, Any] | None:
        return next((c for c in desk.entities("call").values() if c["call_sid"] == sid), None)

    before = wait_until(synced, what="the synced call")
    params = voice_params(sid, caller, "completed", CallDuration="99999999999999999999")
    _refused(desk, lambda: desk.twilio("/webhooks/twilio/voice", params), "CallDuration")
    after = synced()
    assert after is not None
    assert (after["outcome"], after["duration_seconds"]) == (before["outcome"], None)
    done = voice_params(sid, caller, "completed", CallDuration="42")
    assert desk.twilio("/webhooks/twilio/voice", done).status_code == 200
    wait_until(lambda: (synced() or {}).get("duration_seconds") == 42 or None, what="42 s")


@pytest.mark.parametrize("seconds", ["99999999999999999999", "\u00b2"], ids=["huge", "superscript"])
def test_voicemail_length_that_is_no_length_is_kept_as_unknown(desk: Desk, seconds: str) -> None:
    """A RecordingDuration that is not a number of seconds was always ignored (the voicemail
    matters more than its length); one too big for the desk's sync to encode is ignored too."""
    sid = new_sid("CA")
    params = voice_params(
        sid,
        _number(),
        "completed",
        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        RecordingDuration=seconds,
    )
    assert desk.twilio("/webhooks/twilio/voice", params).status_code == 200
    msg = desk.wait_message(sid)
    assert [a["duration_seconds"] for a in msg["attachments"]] == [None]
