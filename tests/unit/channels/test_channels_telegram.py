"""Telegram Bot API: Update parsing and send requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from csdesk.domain.enums import Channel, DeliveryStatus, IdentityKind
from csdesk.server.channels import telegram
from csdesk.server.channels.inbound import PayloadError

FROM = {
    "id": 1111111,
    "is_bot": False,
    "first_name": "Test",
    "last_name": "Lastname",
    "username": "Testusername",
    "language_code": "en",
}
CHAT = {
    "id": 1111111,
    "first_name": "Test",
    "last_name": "Lastname",
    "username": "Testusername",
    "type": "private",
}


def update(kind: str = "message", /, **message: Any) -> dict[str, Any]:
    """An Update as the Bot API documents it (and as Telegram's webhook examples show)."""
    body = {"message_id": 1365, "from": FROM, "chat": CHAT, "date": 1441645532, **message}
    return {"update_id": 10000, kind: body}


def test_text_message() -> None:
    batch = telegram.parse_update(json.dumps(update(text="/start")).encode())
    (msg,) = batch.messages
    assert msg.channel is Channel.TELEGRAM
    assert msg.provider_message_id == "1111111:1365"
    assert msg.sender_handle is not None
    assert (msg.sender_handle.kind, msg.sender_handle.value) == (IdentityKind.TELEGRAM, "1111111")
    assert msg.sender_name == "Test Lastname"
    assert msg.text == "/start"
    assert msg.sent_at == datetime.fromtimestamp(1441645532, UTC)
    assert not msg.edited


def test_edited_message_is_flagged() -> None:
    batch = telegram.parse_update(update("edited_message", text="fixed typo", edit_date=1441645600))
    (msg,) = batch.messages
    assert msg.edited and msg.text == "fixed typo"
    assert msg.provider_message_id == "1111111:1365"


def test_photo_takes_largest_size_and_caption() -> None:
    photo = [
        {
            "file_id": "AgAD-small",
            "file_unique_id": "AQADs",
            "file_size": 1434,
            "width": 90,
            "height": 67,
        },
        {
            "file_id": "AgAD-large",
            "file_unique_id": "AQADl",
            "file_size": 84324,
            "width": 1280,
            "height": 960,
        },
        {
            "file_id": "AgAD-medium",
            "file_unique_id": "AQADm",
            "file_size": 21123,
            "width": 320,
            "height": 240,
        },
    ]
    (msg,) = telegram.parse_update(update(photo=photo, caption="Broken screen")).messages
    assert msg.text == "Broken screen"
    (att,) = msg.attachments
    assert att.provider_file_id == "AgAD-large"
    assert att.size == 84324 and att.content_type == "image/jpeg"


def test_document_and_reply() -> None:
    document = {
        "file_name": "receipt.pdf",
        "mime_type": "application/pdf",
        "file_id": "BQACAgIAAxkBAAIBY2",
        "file_unique_id": "AgADsw",
        "file_size": 53212,
    }
    reply = {"message_id": 1300, "chat": CHAT, "date": 1441645000, "text": "earlier"}
    (msg,) = telegram.parse_update(update(document=document, reply_to_message=reply)).messages
    (att,) = msg.attachments
    assert (att.filename, att.content_type, att.size) == ("receipt.pdf", "application/pdf", 53212)
    assert att.provider_file_id == "BQACAgIAAxkBAAIBY2"
    assert msg.thread.reply_to_provider_id == "1111111:1300"


def test_name_falls_back_to_username() -> None:
    sender = {"id": 5, "is_bot": False, "first_name": "", "username": "anon"}
    (msg,) = telegram.parse_update(update(text="hi", **{"from": sender})).messages
    assert msg.sender_name == "@anon"


@pytest.mark.parametrize(
    "body",
    [
        {
            "update_id": 10001,
            "callback_query": {
                "id": "4382bfdwdsb323b2d9",
                "from": FROM,
                "data": "Data from button callback",
                "chat_instance": "2342",
            },
        },
        {"update_id": 10002, "my_chat_member": {"chat": CHAT, "from": FROM, "date": 1}},
        {
            "update_id": 10003,
            "channel_post": {"message_id": 1, "chat": CHAT, "date": 1, "text": "news"},
        },
        update(
            sticker={
                "file_id": "CAAD",
                "file_unique_id": "x",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        ),
        update(new_chat_members=[FROM]),
        update(text="from a bot", **{"from": {**FROM, "is_bot": True}}),
    ],
)
def test_other_updates_are_ignored(body: dict[str, Any]) -> None:
    batch = telegram.parse_update(body)
    assert batch.messages == () and batch.ignored == 1


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"nope", "not JSON"),
        (b"[]", "JSON object"),
        (json.dumps({"message": {}}).encode(), "update_id"),
        (json.dumps({"update_id": 1, "message": "text"}).encode(), "message must be"),
        (json.dumps({"update_id": 1, "message": {"message_id": 1, "date": 1}}).encode(), "chat"),
        (json.dumps(update(text="x", date="yesterday")).encode(), "date"),
    ],
)
def test_malformed_updates_raise(body: bytes, fragment: str) -> None:
    with pytest.raises(PayloadError, match=fragment):
        telegram.parse_update(body)


TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


def test_build_send_message() -> None:
    req = telegram.build_send_message(
        token=TOKEN,
        chat_id=1111111,
        text="*Hi* <b>",
        reply_to_message_id=1365,
        base_url="http://tg-mock/",
    )
    assert req.method == "POST"
    assert req.url == f"http://tg-mock/bot{TOKEN}/sendMessage"
    assert req.json_body() == {
        "chat_id": 1111111,
        "text": "*Hi* <b>",
        "reply_parameters": {"message_id": 1365, "allow_sending_without_reply": True},
    }
    assert "parse_mode" not in req.json_body()
    assert TOKEN not in repr(req)


def test_build_send_photo_and_document() -> None:
    photo = telegram.build_send_photo(
        token=TOKEN, chat_id="42", photo="AgAD-large", caption="Label"
    )
    assert photo.url == f"https://api.telegram.org/bot{TOKEN}/sendPhoto"
    assert photo.json_body() == {"chat_id": "42", "photo": "AgAD-large", "caption": "Label"}
    doc = telegram.build_send_document(
        token=TOKEN, chat_id=42, document="https://desk.example/f/invoice.pdf"
    )
    assert doc.url.endswith("/sendDocument")
    assert doc.json_body() == {"chat_id": 42, "document": "https://desk.example/f/invoice.pdf"}
    with pytest.raises(ValueError, match="1024"):
        telegram.build_send_photo(token=TOKEN, chat_id=1, photo="x", caption="c" * 1025)
    with pytest.raises(ValueError, match="token"):
        telegram.build_send_message(token="", chat_id=1, text="hi")
    with pytest.raises(ValueError, match="4096"):
        telegram.build_send_message(token=TOKEN, chat_id=1, text="x" * 4097)


def test_parse_send_response() -> None:
    ok = telegram.parse_send_response(
        200,
        json.dumps(
            {"ok": True, "result": {"message_id": 1400, "chat": CHAT, "date": 1, "text": "Hi"}}
        ),
        1111111,
    )
    assert ok.ok and ok.provider_message_id == "1111111:1400" and ok.status is DeliveryStatus.SENT
    blocked = telegram.parse_send_response(
        403,
        json.dumps(
            {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        ),
        1111111,
    )
    assert not blocked.ok and not blocked.retryable and blocked.error_code == "403"
    assert blocked.error_message is not None and "blocked" in blocked.error_message
    limited = telegram.parse_send_response(
        429,
        json.dumps(
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            }
        ),
        1,
    )
    assert limited.retryable and limited.retry_after == 7.0
