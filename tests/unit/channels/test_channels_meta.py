"""Meta webhooks (WhatsApp Cloud API, Messenger, Instagram) and Graph API send requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from csdesk.domain.enums import Channel, DeliveryStatus, IdentityKind
from csdesk.server.channels import meta
from csdesk.server.channels.inbound import PayloadError

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"


def wa_webhook(value_extra: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    """The envelope of Meta's "messages" webhook reference."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
        **value_extra,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": field}]}],
    }


CONTACTS = [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}]


def wa_message(kind: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "from": "16505551234",
        "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        "timestamp": "1749416383",
        "type": kind,
        kind: body,
        **extra,
    }


def test_whatsapp_text_message() -> None:
    payload = wa_webhook(
        {
            "contacts": CONTACTS,
            "messages": [wa_message("text", {"body": "Does it come in another color?"})],
        }
    )
    batch = meta.parse_webhook(json.dumps(payload).encode())
    assert batch.ignored == 0 and batch.statuses == ()
    (msg,) = batch.messages
    assert msg.channel is Channel.WHATSAPP
    assert msg.sender_handle is not None
    assert msg.sender_handle.kind is IdentityKind.WHATSAPP
    assert msg.sender_handle.value == "+16505551234"
    assert msg.sender_name == "Sheena Nelson"
    assert msg.text == "Does it come in another color?"
    assert msg.sent_at == datetime.fromtimestamp(1749416383, UTC)
    assert msg.to == (PHONE_NUMBER_ID,)


def test_whatsapp_image_with_caption_and_reply_context() -> None:
    image = {
        "caption": "It arrived like this",
        "mime_type": "image/jpeg",
        "sha256": "o8zPfE4NhdCxtGnM3nUA2HFbHCRjZHBsf6HxeChbvRQ=",
        "id": "1003383421387256",
    }
    context = {
        "from": "15550783881",
        "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
    }
    batch = meta.parse_webhook(
        wa_webhook(
            {"contacts": CONTACTS, "messages": [wa_message("image", image, context=context)]}
        )
    )
    (msg,) = batch.messages
    assert msg.text == "It arrived like this"
    (att,) = msg.attachments
    assert att.provider_file_id == "1003383421387256"
    assert att.content_type == "image/jpeg" and att.filename.endswith(".jpg")
    assert msg.thread.reply_to_provider_id == context["id"]


def test_whatsapp_document_audio_location_interactive_button() -> None:
    messages = [
        wa_message(
            "document",
            {
                "caption": "invoice",
                "filename": "invoice-1042.pdf",
                "mime_type": "application/pdf",
                "sha256": "x",
                "id": "doc-1",
            },
        ),
        wa_message(
            "audio",
            {"mime_type": "audio/ogg; codecs=opus", "sha256": "y", "id": "aud-1", "voice": True},
        ),
        wa_message(
            "location",
            {
                "address": "1 Hacker Way, Menlo Park, CA 94025",
                "latitude": 37.483253,
                "longitude": -122.148974,
                "name": "Main office",
            },
        ),
        wa_message(
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "refund", "title": "Refund please"}},
        ),
        wa_message(
            "interactive",
            {
                "type": "list_reply",
                "list_reply": {"id": "opt-2", "title": "Exchange", "description": "Swap the size"},
            },
        ),
        wa_message("button", {"payload": "TRACK", "text": "Track my parcel"}),
    ]
    batch = meta.parse_webhook(wa_webhook({"contacts": CONTACTS, "messages": messages}))
    assert batch.ignored == 0
    doc, audio, loc, button, listed, quick = batch.messages
    assert doc.attachments[0].filename == "invoice-1042.pdf" and doc.text == "invoice"
    assert audio.attachments[0].content_type == "audio/ogg"
    assert audio.attachments[0].provider_file_id == "aud-1"
    assert "Main office" in loc.text and "37.483253, -122.148974" in loc.text
    assert button.text == "Refund please"
    assert listed.text == "Exchange"
    assert quick.text == "Track my parcel"


def test_whatsapp_unknown_message_types_are_counted_not_raised() -> None:
    messages = [
        wa_message("reaction", {"message_id": "wamid.X", "emoji": "\U0001f44d"}),
        wa_message("unsupported", {}, errors=[{"code": 131051, "title": "Message type unknown"}]),
        wa_message("text", {"body": "still here"}),
    ]
    batch = meta.parse_webhook(wa_webhook({"contacts": CONTACTS, "messages": messages}))
    assert batch.ignored == 2
    assert [m.text for m in batch.messages] == ["still here"]


def test_whatsapp_other_fields_ignored() -> None:
    payload = wa_webhook(
        {"event": "APPROVED", "message_template_id": 1}, field="message_template_status_update"
    )
    batch = meta.parse_webhook(payload)
    assert batch.ignored == 1 and batch.messages == () and batch.statuses == ()


def wa_status(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
        "status": status,
        "timestamp": "1750263773",
        "recipient_id": "16505551234",
        **extra,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sent", DeliveryStatus.SENT),
        ("delivered", DeliveryStatus.DELIVERED),
        ("read", DeliveryStatus.READ),
    ],
)
def test_whatsapp_statuses(raw: str, expected: DeliveryStatus) -> None:
    pricing = {"billable": True, "pricing_model": "PMP", "category": "utility"}
    batch = meta.parse_webhook(wa_webhook({"statuses": [wa_status(raw, pricing=pricing)]}))
    (update,) = batch.statuses
    assert update.status is expected and update.channel is Channel.WHATSAPP
    assert update.recipient == "+16505551234"
    assert update.at == datetime.fromtimestamp(1750263773, UTC)


def test_whatsapp_failed_status_carries_error() -> None:
    errors = [
        {
            "code": 131047,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": {
                "details": "Message failed to send because more than 24 hours "
                "have passed since the customer last replied."
            },
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }
    ]
    batch = meta.parse_webhook(
        wa_webhook({"statuses": [wa_status("failed", errors=errors), wa_status("deleted")]})
    )
    (update,) = batch.statuses
    assert batch.ignored == 1
    assert update.status is DeliveryStatus.FAILED and update.error_code == "131047"
    assert update.error_reason is not None
    assert update.error_reason.count("Re-engagement message") == 1
    assert "24 hours" in update.error_reason


def messaging(obj: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": obj,
        "entry": [{"id": "PAGE_ID_1", "time": 1458692752478, "messaging": events}],
    }


def mess_event(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "sender": {"id": "PSID_42"},
        "recipient": {"id": "PAGE_ID_1"},
        "timestamp": 1458692752478,
        "message": message,
    }


def test_messenger_text_and_attachments() -> None:
    events = [
        mess_event({"mid": "m_1", "text": "hello, world!"}),
        mess_event(
            {
                "mid": "m_2",
                "attachments": [
                    {
                        "type": "image",
                        "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1/123_n.png?x=1"},
                    },
                    {"type": "fallback", "payload": None, "title": "shared link"},
                ],
            }
        ),
        mess_event({"mid": "m_3", "text": "see above", "reply_to": {"mid": "m_1"}}),
    ]
    batch = meta.parse_webhook(messaging("page", events))
    first, second, third = batch.messages
    assert first.channel is Channel.MESSENGER
    assert first.sender_handle is not None
    assert first.sender_handle.kind is IdentityKind.MESSENGER
    assert first.sender_handle.value == "PSID_42"
    assert first.provider_message_id == "m_1" and first.text == "hello, world!"
    assert first.sent_at == datetime.fromtimestamp(1458692752.478, UTC)
    assert first.to == ("PAGE_ID_1",)
    assert [a.content_type for a in second.attachments] == ["image/png"]
    assert second.attachments[0].filename == "123_n.png"
    assert third.thread.reply_to_provider_id == "m_1"


def test_messenger_echo_and_unknown_events_are_ignored() -> None:
    events = [
        mess_event(
            {"mid": "m_echo", "is_echo": True, "app_id": 1517776481860111, "text": "our own reply"}
        ),
        {
            "sender": {"id": "PSID_42"},
            "recipient": {"id": "PAGE_ID_1"},
            "timestamp": 1,
            "postback": {"title": "Get Started", "payload": "GET_STARTED"},
        },
        {
            "sender": {"id": "PSID_42"},
            "recipient": {"id": "PAGE_ID_1"},
            "timestamp": 1,
            "reaction": {"reaction": "love", "mid": "m_1", "action": "react"},
        },
    ]
    batch = meta.parse_webhook(messaging("page", events))
    assert batch.messages == () and batch.statuses == ()
    assert batch.ignored == 3


def test_messenger_delivery_with_mids_and_read_watermark() -> None:
    events = [
        {
            "sender": {"id": "PSID_42"},
            "recipient": {"id": "PAGE_ID_1"},
            "delivery": {
                "mids": ["mid.1458668856218:ed81099e15d3f4f233"],
                "watermark": 1458668856253,
            },
        },
        {
            "sender": {"id": "PSID_42"},
            "recipient": {"id": "PAGE_ID_1"},
            "timestamp": 1458668856463,
            "read": {"watermark": 1458668856253},
        },
        {
            "sender": {"id": "PSID_42"},
            "recipient": {"id": "PAGE_ID_1"},
            "delivery": {"watermark": 1458668856253},
        },
    ]
    batch = meta.parse_webhook(messaging("page", events))
    delivered, read, watermark_only = batch.statuses
    assert delivered.provider_message_id == "mid.1458668856218:ed81099e15d3f4f233"
    assert delivered.status is DeliveryStatus.DELIVERED and delivered.watermark is None
    assert read.status is DeliveryStatus.READ and read.provider_message_id == ""
    assert read.watermark == datetime.fromtimestamp(1458668856.253, UTC)
    assert read.recipient == "PSID_42"
    assert watermark_only.watermark is not None


def test_instagram_message() -> None:
    events = [
        {
            "sender": {"id": "IGSID_7"},
            "recipient": {"id": "IG_BUSINESS_1"},
            "timestamp": 1569262486134,
            "message": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxND", "text": "Hi!"},
        }
    ]
    batch = meta.parse_webhook(messaging("instagram", events))
    (msg,) = batch.messages
    assert msg.channel is Channel.INSTAGRAM
    assert msg.sender_handle is not None
    assert msg.sender_handle.kind is IdentityKind.INSTAGRAM and msg.sender_handle.value == "IGSID_7"


def test_unknown_object_is_ignored() -> None:
    batch = meta.parse_webhook({"object": "user", "entry": [{"id": "1", "changes": []}]})
    assert batch.ignored == 1 and batch.messages == ()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"entry": []}).encode(), "object"),
        (json.dumps({"object": "page", "entry": {"id": 1}}).encode(), "entry must be an array"),
        (
            json.dumps(messaging("page", [{"recipient": {"id": "P"}, "message": {}}])).encode(),
            "sender",
        ),
        (
            json.dumps(wa_webhook({"messages": [{"id": "wamid.1", "type": "text"}]})).encode(),
            "from",
        ),
        (
            json.dumps(
                wa_webhook(
                    {"messages": [wa_message("text", {"body": "x"}) | {"timestamp": "soon"}]}
                )
            ).encode(),
            "timestamp",
        ),
    ],
)
def test_malformed_payloads_raise_payload_error(body: bytes, fragment: str) -> None:
    with pytest.raises(PayloadError, match=fragment):
        meta.parse_webhook(body)


def test_build_whatsapp_text() -> None:
    req = meta.build_whatsapp_text(
        access_token="EAAG-token",
        phone_number_id=PHONE_NUMBER_ID,
        to="+16505551234",
        text="Your parcel ships today",
        reply_to="wamid.ABC",
        base_url="http://graph-mock",
        api_version="v20.0",
    )
    assert req.method == "POST"
    assert req.url == f"http://graph-mock/v20.0/{PHONE_NUMBER_ID}/messages"
    assert req.header("Authorization") == "Bearer EAAG-token"
    assert req.json_body() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        "type": "text",
        "text": {"preview_url": False, "body": "Your parcel ships today"},
        "context": {"message_id": "wamid.ABC"},
    }
    assert "EAAG-token" not in repr(req)


def test_build_whatsapp_template() -> None:
    req = meta.build_whatsapp_template(
        access_token="t",
        phone_number_id=PHONE_NUMBER_ID,
        to="16505551234",
        template="order_update",
        language="en_US",
        components=[meta.template_body_component("Ann", "#1042")],
    )
    body = req.json_body()
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "#1042"}],
            }
        ],
    }
    assert (
        req.url
        == f"https://graph.facebook.com/{meta.DEFAULT_GRAPH_VERSION}/{PHONE_NUMBER_ID}/messages"
    )


def test_build_messenger_text() -> None:
    req = meta.build_messenger_text(page_access_token="PAGE", recipient_id="PSID_42", text="Hi")
    assert req.url.endswith("/me/messages")
    assert req.json_body() == {
        "recipient": {"id": "PSID_42"},
        "message": {"text": "Hi"},
        "messaging_type": "RESPONSE",
    }
    tagged = meta.build_messenger_text(
        page_access_token="PAGE", recipient_id="PSID_42", text="Hi", human_agent=True
    ).json_body()
    assert tagged["messaging_type"] == "MESSAGE_TAG" and tagged["tag"] == "HUMAN_AGENT"
    with pytest.raises(ValueError, match="2000"):
        meta.build_messenger_text(page_access_token="P", recipient_id="R", text="x" * 2001)
    with pytest.raises(ValueError, match="token"):
        meta.build_messenger_text(page_access_token="", recipient_id="R", text="x")


def test_parse_graph_send_responses() -> None:
    wa_ok: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
        "messages": [{"id": "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}],
    }
    result = meta.parse_send_response(200, json.dumps(wa_ok))
    assert result.ok and result.provider_message_id == wa_ok["messages"][0]["id"]
    ms_ok = meta.parse_send_response(
        200, json.dumps({"recipient_id": "PSID_42", "message_id": "m_AG5Hz2U"})
    )
    assert ms_ok.ok and ms_ok.provider_message_id == "m_AG5Hz2U"
    error = {
        "error": {
            "message": "(#131030) Recipient phone number not in allowed list",
            "type": "OAuthException",
            "code": 131030,
            "error_data": {
                "messaging_product": "whatsapp",
                "details": "Recipient phone number not in allowed list",
            },
            "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
        }
    }
    failed = meta.parse_send_response(400, json.dumps(error))
    assert not failed.ok and failed.error_code == "131030" and not failed.retryable
    assert failed.error_message == "Recipient phone number not in allowed list"
    throttled = meta.parse_send_response(
        400, json.dumps({"error": {"message": "Rate limit hit", "code": 130429}})
    )
    assert throttled.retryable


def test_documented_events_a_re_review_found_refused_are_read() -> None:
    """Instagram's read receipt names the message and carries no watermark; a Messenger opt-in
    names its sender by ``user_ref`` alone. Both answered 400, which failed the whole batched
    delivery (real messages in it too) and made Meta redeliver it."""
    from csdesk.server.channels import meta

    instagram = {"object": "instagram", "entry": [{"id": "1", "time": 1, "messaging": [
        {"sender": {"id": "123"}, "recipient": {"id": "456"}, "timestamp": 1733650000000,
         "read": {"mid": "aWdfZAG1"}},
    ]}]}  # fmt: skip
    (read,) = meta.parse_webhook(instagram).statuses
    assert read.provider_message_id == "aWdfZAG1" and read.watermark is None
    optin = {"object": "page", "entry": [{"id": "1", "time": 1, "messaging": [
        {"sender": {"user_ref": "abc"}, "recipient": {"id": "456"}, "timestamp": 1733650000000,
         "optin": {"ref": "x", "user_ref": "abc"}},
        {"sender": {"id": "999"}, "recipient": {"id": "456"}, "timestamp": 1733650000000,
         "message": {"mid": "m1", "text": "hi"}},
    ]}]}  # fmt: skip
    batch = meta.parse_webhook(optin)
    assert [m.text for m in batch.messages] == ["hi"] and batch.ignored == 1
