"""Click-to-call (issue 11): ``call.place`` rings the agent's phone through Twilio's Calls API
(checked by the fake against Twilio's documented format), the answer hook bridges to the
customer with the shop's number as caller id, the Dial's result and the call's end are filed
like an inbound call's, every hook is signed, bad input is a 4xx or a typed rejection."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from csdesk.server.channels.config_store import Provider
from tests.helpers.http import Raw
from tests.helpers.server import TestUser
from tests.server.channels.support import (
    ACCOUNT_SID,
    BUSINESS_NUMBER,
    Desk,
    Fakes,
    live_desk,
    new_sid,
    sms_params,
    wait_until,
)

ANN_PHONE = "+14155550199"
CALLOUT = "/webhooks/twilio/voice/callout"


@pytest.fixture(scope="module")
def shop(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    fakes: Fakes,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    with live_desk(backend, shared_users, fakes, tmp_path_factory, (Provider.TWILIO,)) as desk:
        yield desk


def _customer(desk: Desk) -> tuple[str, str]:
    """A customer who texted in from a new number: (customer id, number)."""
    number = "+1415557" + str(uuid.uuid4().int)[:4]
    sid = new_sid("SM")
    r = desk.twilio("/webhooks/twilio/sms", sms_params(sid, number, "Please call me"))
    assert r.status_code == 200, r.text
    msg = desk.wait_message(sid)
    conv = desk.entity("conversation", msg["conversation_id"])
    return conv["customer_id"], number


def _call_params(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": BUSINESS_NUMBER,
        "To": ANN_PHONE,
        "CallStatus": status,
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def _hook_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _reason(result: dict[str, Any]) -> str:
    assert result["status"] == "rejected", result
    return str(result["reason"]["message"])


def test_a_call_rings_the_agent_then_bridges_to_the_customer(
    shop: Desk, shared_users: dict[str, TestUser]
) -> None:
    shop.fakes.clear()
    ann = shop.agent
    customer_id, number = _customer(shop)
    call_id = str(uuid.uuid4())
    place = {"call_id": call_id, "customer_id": customer_id, "number": number}

    # No phone to ring yet: refused, with what to do.
    assert "phone to ring" in _reason(ann.push(("call.place", place))[0])
    assert "international" in _reason(ann.push(("user.set_call_phone", {"call_phone": "555"}))[0])
    assert ann.push(("user.set_call_phone", {"call_phone": ANN_PHONE}))[0]["status"] == "applied"
    # Only the customer's own phones.
    stranger = {**place, "number": "+14155550142"}
    assert "not one of the customer's" in _reason(ann.push(("call.place", stranger))[0])

    assert ann.push(("call.place", place))[0]["status"] == "applied"
    request = wait_until(lambda: shop.fakes.twilio.calls_created() or None, what="Calls create")
    assert shop.fakes.twilio.violations == []
    form = request[0]
    assert form["To"] == ANN_PHONE and form["From"] == BUSINESS_NUMBER
    assert form["Method"] == "POST" and form["StatusCallbackMethod"] == "POST"
    assert parse_qs(urlsplit(form["Url"]).query) == {"call": [call_id], "step": ["answer"]}
    assert parse_qs(urlsplit(form["StatusCallback"]).query)["step"] == ["status"]
    assert form["Url"].startswith(shop.url(CALLOUT))

    def placed() -> dict[str, Any] | None:
        call = shop.entity("call", call_id)
        return call if call["call_sid"].startswith("CA") else None

    call = wait_until(placed, what="the call's sid from Twilio")
    ann_id = shop.entities("user")
    assert call["direction"] == "out" and call["outcome"] == "ringing"
    assert call["to_number"] == number and call["agent_id"] in ann_id
    msg = shop.entity("message", call["message_id"])
    assert msg["body_text"].startswith(f"Calling {number}")
    sid = call["call_sid"]

    # Ann's phone answers: Twilio asks what to do, and is told to dial the customer.
    answer = _hook_path(form["Url"])
    forged = shop.twilio(
        answer.replace(call_id, str(uuid.uuid4())),
        _call_params(sid, "in-progress"),
        signed_url=form["Url"],
    )
    assert forged.status_code == 403
    unsigned = shop.twilio(answer, _call_params(sid, "in-progress"), signature="bad")
    assert unsigned.status_code == 403
    r = shop.twilio(answer, _call_params(sid, "in-progress"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    dial = ET.fromstring(r.content).find("Dial")
    assert dial is not None and dial.get("callerId") == BUSINESS_NUMBER
    target = dial.find("Number")
    assert target is not None and target.text == number
    dialed = dial.get("action") or ""
    assert parse_qs(urlsplit(dialed).query) == {"call": [call_id], "step": ["dialed"]}

    # The customer talked for 42 s; then the agent's leg ended.
    r = shop.twilio(
        _hook_path(dialed),
        _call_params(sid, "in-progress", DialCallStatus="completed", DialCallDuration="42"),
    )
    assert r.status_code == 200
    r = shop.twilio(
        _hook_path(form["StatusCallback"]), _call_params(sid, "completed", CallDuration="50")
    )
    assert r.status_code == 200
    call = shop.entity("call", call_id)
    assert call["outcome"] == "answered" and call["duration_seconds"] == 42
    assert call["ended_at"] is not None and call["wrapped_up_at"] is None
    assert shop.entity("message", call["message_id"])["body_text"].startswith(f"Call to {number}")

    # Wrapped up like an inbound call.
    wrap = {"call_id": call_id, "disposition": "resolved", "notes": "Sorted the address."}
    assert ann.push(("call.wrap_up", wrap))[0]["status"] == "applied"
    assert "Notes: Sorted the address." in shop.entity("message", call["message_id"])["body_text"]

    # Wrapped up again as "callback scheduled": a callback task for Ann, tied to the call;
    # wrapped up once more without it: that task is cancelled.
    when = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    again = {**wrap, "disposition": "callback_scheduled", "callback_at": when.isoformat()}
    assert ann.push(("call.wrap_up", again))[0]["status"] == "applied"
    tasks = [c for c in shop.entities("callback").values() if c["call_id"] == call_id]
    assert len(tasks) == 1 and tasks[0]["status"] == "scheduled"
    assert datetime.fromisoformat(tasks[0]["due_at"]) == when and tasks[0]["phone"] == number
    assert tasks[0]["assignee_id"] == call["agent_id"]
    assert ann.push(("call.wrap_up", wrap))[0]["status"] == "applied"
    assert shop.entity("callback", tasks[0]["id"])["status"] == "cancelled"


def test_an_unanswered_agent_phone_or_customer_is_a_missed_call(shop: Desk) -> None:
    shop.fakes.clear()
    ann = shop.agent
    assert ann.push(("user.set_call_phone", {"call_phone": ANN_PHONE}))[0]["status"] == "applied"
    customer_id, number = _customer(shop)
    call_id = str(uuid.uuid4())
    place = {"call_id": call_id, "customer_id": customer_id, "number": number}
    assert ann.push(("call.place", place))[0]["status"] == "applied"
    form = wait_until(lambda: shop.fakes.twilio.calls_created() or None, what="create")[0]
    r = shop.twilio(_hook_path(form["StatusCallback"]), _call_params(new_sid("CA"), "no-answer"))
    assert r.status_code == 200
    call = shop.entity("call", call_id)
    assert call["outcome"] == "missed" and call["ended_at"] is not None
    assert shop.entity("message", call["message_id"])["body_text"].startswith("Unanswered call")


def test_twilio_refusing_the_call_fails_it_with_the_reason(shop: Desk) -> None:
    shop.fakes.clear()
    ann = shop.agent
    assert ann.push(("user.set_call_phone", {"call_phone": ANN_PHONE}))[0]["status"] == "applied"
    customer_id, number = _customer(shop)
    shop.fakes.twilio.fail(400)
    call_id = str(uuid.uuid4())
    place = {"call_id": call_id, "customer_id": customer_id, "number": number}
    assert ann.push(("call.place", place))[0]["status"] == "applied"

    def failed() -> dict[str, Any] | None:
        call = shop.entity("call", call_id)
        return call if call["provider_status"] == "failed" else None

    call = wait_until(failed, what="the refused call")
    assert call["outcome"] == "missed" and call["ended_at"] is not None
    msg = shop.entity("message", call["message_id"])
    assert "Not placed: Twilio error" in msg["body_text"] and msg["delivery_status"] == "failed"


def test_bad_hook_requests_are_4xx(shop: Desk) -> None:
    sid = new_sid("CA")
    bad_step = shop.twilio(
        f"{CALLOUT}?call={uuid.uuid4()}&step=hangup", _call_params(sid, "ringing")
    )
    assert bad_step.status_code == 400
    bad_id = shop.twilio(f"{CALLOUT}?call=%00x&step=answer", _call_params(sid, "ringing"))
    assert 400 <= bad_id.status_code < 500  # the edge refuses a NUL before the route
    unknown = shop.twilio(
        f"{CALLOUT}?call={uuid.uuid4()}&step=answer", _call_params(sid, "ringing")
    )
    assert unknown.status_code == 404
    no_sid = shop.twilio(f"{CALLOUT}?call={uuid.uuid4()}&step=status", {"CallStatus": "completed"})
    assert no_sid.status_code == 400


def test_bad_call_requests_are_refused(shop: Desk, shared_users: dict[str, TestUser]) -> None:
    ann = shop.agent
    customer_id, number = _customer(shop)
    base = {"call_id": str(uuid.uuid4()), "customer_id": customer_id, "number": number}
    for bad in (
        {**base, "number": "+1" + "9" * 40},
        {**base, "number": "not a number"},
        {**base, "customer_id": str(uuid.uuid4())},
        {**base, "call_id": ""},
        {**base, "extra": 1},
    ):
        results = ann.push(("call.place", bad))
        assert results[0]["status"] == "rejected", bad
    # A trainee works in the sandbox: no real calls.
    tia = Raw.signed_in(shop.server, shared_users["tia"])
    assert tia.push(("call.place", base))[0]["status"] == "rejected"
    # A NUL byte is refused at the edge with a clear 4xx, never a 500.
    r = ann.post(
        "/api/v1/push",
        json={"mutations": [{"id": "x", "type": "call.place", "args": {**base, "number": "\x00"}}]},
    )
    assert r.status_code in (400, 422) and "NUL" in r.text
