"""Twilio: documented webhook parameters in, normalized data out; TwiML; REST request/response."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest

from csdesk.domain.enums import Channel, DeliveryStatus, Direction, IdentityKind
from csdesk.server.channels import twilio
from csdesk.server.channels.inbound import PayloadError

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "AC" + "a" * 32

# Shaped as Twilio's "incoming message webhook" request parameters.
SMS_WEBHOOK = {
    "ToCountry": "US",
    "ToState": "CA",
    "SmsMessageSid": "SM" + "1" * 32,
    "NumMedia": "0",
    "ToCity": "SAN FRANCISCO",
    "FromZip": "94105",
    "SmsSid": "SM" + "1" * 32,
    "FromState": "CA",
    "SmsStatus": "received",
    "FromCity": "SAN FRANCISCO",
    "Body": "Where is my order #1042?",
    "FromCountry": "US",
    "To": "+14155552345",
    "MessagingServiceSid": "MG" + "2" * 32,
    "ToZip": "94105",
    "NumSegments": "1",
    "MessageSid": "SM" + "1" * 32,
    "AccountSid": ACCOUNT,
    "From": "+14155550100",
    "ApiVersion": "2010-04-01",
}

MMS_WEBHOOK = {
    **SMS_WEBHOOK,
    "Body": "Here is the broken part",
    "NumMedia": "2",
    "MediaContentType0": "image/jpeg",
    "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/"
    "MM" + "3" * 32 + "/Media/ME" + "4" * 32,
    "MediaContentType1": "application/pdf",
    "MediaUrl1": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/"
    "MM" + "3" * 32 + "/Media/ME" + "5" * 32,
}


def test_parse_sms() -> None:
    msg = twilio.parse_sms(SMS_WEBHOOK, received_at=NOW)
    assert msg.channel is Channel.SMS
    assert msg.provider_message_id == "SM" + "1" * 32
    assert msg.sender_handle is not None
    assert (msg.sender_handle.kind, msg.sender_handle.value) == (IdentityKind.PHONE, "+14155550100")
    assert msg.text == "Where is my order #1042?"
    assert msg.sent_at == NOW
    assert msg.to == ("+14155552345", "MG" + "2" * 32)
    assert msg.attachments == ()
    assert msg.parse_warning is None


def test_parse_mms_media_become_attachment_references() -> None:
    msg = twilio.parse_sms(MMS_WEBHOOK, received_at=NOW)
    assert [a.content_type for a in msg.attachments] == ["image/jpeg", "application/pdf"]
    assert msg.attachments[0].provider_file_id == MMS_WEBHOOK["MediaUrl0"]
    assert msg.attachments[0].filename.endswith(".jpg")
    assert msg.attachments[1].filename == "ME" + "5" * 32 + ".pdf"
    assert all(a.data is None for a in msg.attachments)


def test_parse_sms_national_number_with_region_and_short_code() -> None:
    msg = twilio.parse_sms(
        {**SMS_WEBHOOK, "From": "(415) 555-0100"}, default_region="US", received_at=NOW
    )
    assert msg.sender_handle is not None and msg.sender_handle.value == "+14155550100"
    short = twilio.parse_sms({**SMS_WEBHOOK, "From": "22395"}, received_at=NOW)
    assert short.sender_handle is not None and short.sender_handle.value == "22395"
    assert short.parse_warning is not None and "E.164" in short.parse_warning


def test_parse_whatsapp_via_twilio() -> None:
    msg = twilio.parse_sms(
        {
            **SMS_WEBHOOK,
            "From": "whatsapp:+447911123456",
            "To": "whatsapp:+14155238886",
            "ProfileName": "Ann",
        },
        received_at=NOW,
    )
    assert msg.channel is Channel.WHATSAPP
    assert msg.sender_handle is not None
    assert msg.sender_handle.kind is IdentityKind.WHATSAPP
    assert msg.sender_handle.value == "+447911123456"
    assert msg.sender_name == "Ann"


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_parse_sms_missing_required(missing: str) -> None:
    params = {k: v for k, v in SMS_WEBHOOK.items() if k != missing}
    with pytest.raises(PayloadError, match=missing):
        twilio.parse_sms(params)


def test_parse_sms_media_count_without_urls_is_malformed() -> None:
    with pytest.raises(PayloadError, match="MediaUrl0"):
        twilio.parse_sms({**SMS_WEBHOOK, "NumMedia": "1"})
    with pytest.raises(PayloadError, match="NumMedia"):
        twilio.parse_sms({**SMS_WEBHOOK, "NumMedia": "lots"})


STATUS_CALLBACK = {
    "AccountSid": ACCOUNT,
    "ApiVersion": "2010-04-01",
    "ErrorCode": "30003",
    "From": "+14155552345",
    "MessageSid": "SM" + "9" * 32,
    "MessageStatus": "undelivered",
    "SmsSid": "SM" + "9" * 32,
    "SmsStatus": "undelivered",
    "To": "+14155550100",
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("queued", DeliveryStatus.QUEUED),
        ("sending", DeliveryStatus.QUEUED),
        ("sent", DeliveryStatus.SENT),
        ("delivered", DeliveryStatus.DELIVERED),
        ("read", DeliveryStatus.READ),
        ("undelivered", DeliveryStatus.FAILED),
        ("failed", DeliveryStatus.FAILED),
    ],
)
def test_status_callback_vocabulary(raw: str, expected: DeliveryStatus) -> None:
    params = {**STATUS_CALLBACK, "MessageStatus": raw, "ErrorCode": ""}
    update = twilio.parse_status_callback(params, received_at=NOW)
    assert update is not None
    assert update.status is expected
    assert update.error_code is None


def test_status_callback_error_reason() -> None:
    update = twilio.parse_status_callback(STATUS_CALLBACK, received_at=NOW)
    assert update is not None
    assert update.provider_message_id == "SM" + "9" * 32
    assert update.error_code == "30003"
    assert update.error_reason is not None and "unreachable" in update.error_reason
    assert update.at == NOW and update.channel is Channel.SMS


def test_status_callback_unknown_status_is_ignored_not_raised() -> None:
    assert (
        twilio.parse_status_callback(
            {**STATUS_CALLBACK, "MessageStatus": "teleported", "SmsStatus": ""}
        )
        is None
    )


VOICE_WEBHOOK = {
    "AccountSid": ACCOUNT,
    "ApiVersion": "2010-04-01",
    "CallSid": "CA" + "6" * 32,
    "CallStatus": "ringing",
    "Called": "+14155552345",
    "Caller": "+14155550100",
    "Direction": "inbound",
    "From": "+14155550100",
    "FromCity": "SAN FRANCISCO",
    "FromCountry": "US",
    "To": "+14155552345",
}


def test_parse_voice_answer_request() -> None:
    call = twilio.parse_voice(VOICE_WEBHOOK)
    assert call.call_sid == "CA" + "6" * 32
    assert call.from_number == "+14155550100"
    assert call.direction is Direction.IN and call.provider_direction == "inbound"
    assert call.status == "ringing"
    assert call.duration_seconds is None


def test_parse_voice_status_callback_with_duration_and_anonymous_caller() -> None:
    call = twilio.parse_voice(
        {
            **VOICE_WEBHOOK,
            "CallStatus": "completed",
            "CallDuration": "97",
            "From": "anonymous",
            "Direction": "outbound-dial",
        }
    )
    assert call.duration_seconds == 97
    assert call.from_number is None and call.from_raw == "anonymous"
    assert call.direction is Direction.OUT


def test_parse_voice_malformed() -> None:
    with pytest.raises(PayloadError, match="CallStatus"):
        twilio.parse_voice({**VOICE_WEBHOOK, "CallStatus": "exploded"})
    with pytest.raises(PayloadError, match="CallDuration"):
        twilio.parse_voice({**VOICE_WEBHOOK, "CallDuration": "1.5m"})
    with pytest.raises(PayloadError, match="CallSid"):
        twilio.parse_voice({k: v for k, v in VOICE_WEBHOOK.items() if k != "CallSid"})


def test_twiml_say_and_enqueue_is_valid_and_escaped() -> None:
    xml = twilio.voice_answer("Hi <Ann> & co", queue="support", voice="alice", language="en-US")
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml.split("?>", 1)[1])
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Say", "Enqueue"]
    assert root[0].text == "Hi <Ann> & co"
    assert root[0].attrib == {"voice": "alice", "language": "en-US"}
    assert root[1].text == "support"


def test_twiml_dial_numbers_and_clients() -> None:
    dial = twilio.Dial(
        numbers=["+14155550111"],
        clients=["agent-7"],
        timeout=15,
        action="https://desk.example/voice/after-dial",
        record=True,
    )
    root = ET.fromstring(twilio.voice_answer("Connecting you", dial=dial).split("?>", 1)[1])
    dial_el = root.find("Dial")
    assert dial_el is not None
    assert dial_el.attrib["timeout"] == "15"
    assert dial_el.attrib["record"] == "record-from-answer"
    assert [(c.tag, c.text) for c in dial_el] == [("Number", "+14155550111"), ("Client", "agent-7")]


def test_twiml_voicemail() -> None:
    xml = twilio.voice_answer("Leave a message", voicemail_action="https://desk.example/vm")
    root = ET.fromstring(xml.split("?>", 1)[1])
    assert [c.tag for c in root] == ["Say", "Record", "Hangup"]
    record = root[1].attrib
    assert record["action"] == "https://desk.example/vm"
    assert record["playBeep"] == "true" and record["maxLength"] == "120"


def test_twiml_refuses_ambiguous_or_empty_routes() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        twilio.voice_answer("Hi")
    with pytest.raises(ValueError, match="exactly one"):
        twilio.voice_answer("Hi", queue="q", voicemail_action="https://x/vm")
    with pytest.raises(ValueError, match="Dial"):
        twilio.build_twiml(twilio.Dial())


def test_build_send_sms_request() -> None:
    req = twilio.build_send_sms(
        account_sid=ACCOUNT,
        auth_token="tok",
        to="+14155550100",
        body="Your refund is on its way",
        messaging_service_sid="MG" + "2" * 32,
        from_number="+14155552345",
        status_callback="https://desk.example/hooks/twilio/status",
        media_urls=["https://desk.example/files/label.pdf"],
        base_url="http://twilio-mock:8080/",
    )
    assert req.method == "POST"
    assert req.url == f"http://twilio-mock:8080/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert req.header("content-type") == "application/x-www-form-urlencoded"
    auth = req.header("Authorization")
    assert auth is not None and base64.b64decode(auth.split()[1]) == f"{ACCOUNT}:tok".encode()
    fields = parse_qsl(req.body.decode())
    assert ("MessagingServiceSid", "MG" + "2" * 32) in fields
    assert all(k != "From" for k, _ in fields)  # the service chooses the sender
    assert ("Body", "Your refund is on its way") in fields
    assert ("StatusCallback", "https://desk.example/hooks/twilio/status") in fields
    assert ("MediaUrl", "https://desk.example/files/label.pdf") in fields
    assert "tok" not in repr(req)


def test_build_send_sms_from_number_and_validation() -> None:
    req = twilio.build_send_sms(
        account_sid=ACCOUNT, auth_token="t", to="+1415", body="hi", from_number="+14155552345"
    )
    assert req.url.startswith("https://api.twilio.com/2010-04-01/")
    assert ("From", "+14155552345") in parse_qsl(req.body.decode())
    with pytest.raises(ValueError, match="From"):
        twilio.build_send_sms(account_sid=ACCOUNT, auth_token="t", to="+1", body="hi")
    with pytest.raises(ValueError, match="empty"):
        twilio.build_send_sms(
            account_sid=ACCOUNT, auth_token="t", to="+1", body=" ", from_number="+1"
        )
    with pytest.raises(ValueError, match="1600"):
        twilio.build_send_sms(
            account_sid=ACCOUNT, auth_token="t", to="+1", body="x" * 1601, from_number="+1"
        )


def test_parse_send_response_success() -> None:
    body = json.dumps(
        {
            "account_sid": ACCOUNT,
            "api_version": "2010-04-01",
            "body": "Hi",
            "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": "+14155552345",
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "sid": "SM" + "7" * 32,
            "status": "queued",
            "to": "+14155550100",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/SM{'7' * 32}.json",
        }
    )
    result = twilio.parse_send_response(201, body)
    assert result.ok and result.provider_message_id == "SM" + "7" * 32
    assert result.status is DeliveryStatus.QUEUED


def test_parse_send_response_errors() -> None:
    body = json.dumps(
        {
            "code": 21211,
            "message": "The 'To' number 5551234 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        }
    )
    result = twilio.parse_send_response(400, body)
    assert not result.ok and result.error_code == "21211" and not result.retryable
    assert result.error_message is not None and "not a valid phone" in result.error_message
    throttled = twilio.parse_send_response(429, json.dumps({"code": 20429, "message": "Too many"}))
    assert throttled.retryable
    gateway = twilio.parse_send_response(502, b"<html>Bad gateway</html>")
    assert not gateway.ok and gateway.retryable and gateway.error_code == "http_502"
