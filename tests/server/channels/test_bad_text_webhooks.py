"""Provider payloads with text no database can store (NUL, lone surrogates) are stored with
those code points replaced (U+FFFD) and a warning, never answered 500: a provider redelivers
a 500 forever.  What an agent sends (a call-script trail) is refused with 422 instead."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import requests

from csdesk.server.channels.signatures import meta_signature
from tests.helpers.http import Raw
from tests.helpers.server import TestUser
from tests.server.channels.support import (
    META_APP_SECRET,
    TELEGRAM_SECRET,
    Desk,
    new_sid,
    sms_params,
    telegram_update,
    voice_params,
    wait_until,
    whatsapp_message,
)

BAD = [pytest.param("\x00", id="nul"), pytest.param("\ud800", id="surrogate")]


def _number() -> str:
    return f"+1415555{random.randrange(10_000):04d}"


def _post(desk: Desk, path: str, payload: dict[str, Any], headers: dict[str, str]) -> Any:
    # json.dumps escapes both (orjson, which the other tests use, refuses a surrogate).
    body = json.dumps(payload).encode()
    if path == "/webhooks/meta":
        headers = {**headers, "X-Hub-Signature-256": meta_signature(META_APP_SECRET, body)}
    return requests.post(
        desk.url(path),
        data=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=20,
    )


@pytest.mark.parametrize("bad", BAD)
def test_meta_message_is_stored_with_the_bad_text_replaced(desk: Desk, bad: str) -> None:
    wamid = "wamid." + new_sid("HBg")
    payload = whatsapp_message(wamid, _number()[1:], f"Is it{bad} in stock?", f"Ana{bad}")
    r = _post(desk, "/webhooks/meta", payload, {})
    assert r.status_code == 200, r.text
    msg = desk.wait_message(wamid)
    assert msg["body_text"] == "Is it\ufffd in stock?"
    conv = desk.entity("conversation", msg["conversation_id"])
    assert desk.entity("customer", conv["customer_id"])["name"] == "Ana\ufffd"
    assert "meta webhook: replaced 2 code point(s)" in desk.log_text()


@pytest.mark.parametrize("bad", BAD)
def test_telegram_message_is_stored_with_the_bad_text_replaced(desk: Desk, bad: str) -> None:
    chat_id = random.randrange(10**9)
    update = telegram_update(random.randrange(10**9), chat_id, 5, f"Size{bad} M")
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    r = _post(desk, "/webhooks/telegram", update, headers)
    assert r.status_code == 200, r.text
    assert desk.wait_message(f"{chat_id}:5")["body_text"] == "Size\ufffd M"
    assert "telegram webhook: replaced 1 code point(s)" in desk.log_text()


def test_twilio_sms_is_stored_with_a_nul_replaced(desk: Desk) -> None:
    sid = new_sid("SM")
    r = desk.twilio("/webhooks/twilio/sms", sms_params(sid, _number(), "Where\x00 is it?"))
    assert r.status_code == 200, r.text
    assert desk.wait_message(sid)["body_text"] == "Where\ufffd is it?"
    assert "twilio webhook: replaced 1 code point(s)" in desk.log_text()


@pytest.mark.parametrize("bad", BAD)
def test_a_call_script_trail_with_bad_text_is_refused(
    desk: Desk, shared_users: dict[str, TestUser], bad: str
) -> None:
    sid = new_sid("CA")
    r = desk.twilio("/webhooks/twilio/voice", voice_params(sid, _number(), "ringing"))
    assert r.status_code == 200, r.text
    call = wait_until(
        lambda: next((c for c in desk.entities("call").values() if c["call_sid"] == sid), None),
        what="the synced call",
    )
    ann = Raw.signed_in(desk.server, shared_users["ann"])
    assert ann.push(("call.take", {"call_id": call["id"]}))[0]["status"] == "applied"
    wrap = {
        "call_id": call["id"],
        "disposition": "resolved",
        "notes": "Sorted.",
        "trail": [{"step": f"greet{bad}", "choice": None}],
        "script_id": None,
    }
    body = {"mutations": [{"id": new_sid("m"), "type": "call.wrap_up", "args": wrap}]}
    r = requests.post(
        ann.base + "/api/v1/push",
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {ann.token}", "Content-Type": "application/json"},
        timeout=20,
    )
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and "mutations.0.args.trail.0.step" in err["message"]
    wrap["trail"] = [{"step": "greet", "choice": None}]
    assert ann.push(("call.wrap_up", wrap))[0]["status"] == "applied"
