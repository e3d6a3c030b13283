"""Replies with files leave on each channel the way its provider documents: Twilio fetches a
signed link, WhatsApp takes an upload then a media message, Messenger fetches a link, Telegram
takes a multipart upload.  The fakes check each request's shape and fetch the links anonymously.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import requests

from tests.helpers.data import new_id
from tests.helpers.fakes import FakeProvider
from tests.server.channels.support import (
    BUSINESS_NUMBER,
    META_ACCESS_TOKEN,
    META_PAGE_TOKEN,
    WHATSAPP_NUMBER_ID,
    Desk,
    messaging_event,
    new_sid,
    sms_params,
    telegram_update,
    whatsapp_message,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n" + bytes(range(255, -1, -1)) * 16


def _number() -> str:
    return f"+1415557{random.randrange(10_000):04d}"


def _upload(desk: Desk, data: bytes, name: str, content_type: str) -> dict[str, Any]:
    r = desk.agent.post(
        "/api/v1/attachments",
        params={"filename": name, "sha256": hashlib.sha256(data).hexdigest()},
        data=data,
        headers={"Content-Type": content_type},
    )
    assert r.status_code == 201, r.text
    ref: dict[str, Any] = r.json()
    return ref


def _reply(desk: Desk, conv_id: str, text: str, *files: dict[str, Any]) -> str:
    message_id = new_id()
    args = {"conversation_id": conv_id, "message_id": message_id, "body_text": text}
    (result,) = desk.agent.push(("message.send", {**args, "attachments": list(files)}))
    assert result["status"] == "applied", result
    return message_id


def _clean(fake: FakeProvider) -> None:
    assert fake.violations == [], fake.violations


def test_sms_with_files_is_an_mms_whose_media_twilio_fetches(desk: Desk) -> None:
    customer = _number()
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, "Photo?")).ok
    conv_id = desk.wait_message(sid)["conversation_id"]
    photo = _upload(desk, PNG, "label.png", "image/png")
    invoice = _upload(desk, PDF, "invoice.pdf", "application/pdf")
    message_id = _reply(desk, conv_id, "Here you go.", photo, invoice)

    (req,) = desk.fakes.twilio.wait_requests(1)
    _clean(desk.fakes.twilio)
    form = req.form()
    assert ("Body", "Here you go.") in form and ("From", BUSINESS_NUMBER) in form
    urls = [v for k, v in form if k == "MediaUrl"]
    assert len(urls) == 2
    assert all(u.startswith(desk.url("/public/attachments/")) for u in urls)
    fetched = {url: (ctype, data) for url, ctype, data in desk.fakes.twilio.fetched}
    assert fetched[urls[0]] == ("image/png", PNG)
    assert fetched[urls[1]] == ("application/pdf", PDF)
    desk.wait_status(message_id, "sent")

    # The link is the credential: altered, it opens nothing.
    token = urls[0].split("/public/attachments/")[1].split("/")[0]
    forged = urls[0].replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert requests.get(forged, timeout=10).status_code == 404


def _whatsapp_conversation(desk: Desk, wa_id: str) -> str:
    wamid = "wamid." + new_sid("HBg")
    assert desk.meta(whatsapp_message(wamid, wa_id, "Send me the invoice")).ok
    conv_id: str = desk.wait_message(wamid)["conversation_id"]
    return conv_id


def test_whatsapp_uploads_media_then_sends_media_messages(desk: Desk) -> None:
    wa_id = _number()[1:]
    conv_id = _whatsapp_conversation(desk, wa_id)
    ref = _upload(desk, PDF, "invoice 7.pdf", "application/pdf")
    message_id = _reply(desk, conv_id, "Attached, and a second line.\n" + "x" * 1100, ref)

    upload, text, document = desk.fakes.graph.wait_requests(3)
    _clean(desk.fakes.graph)
    assert upload.path.endswith(f"/{WHATSAPP_NUMBER_ID}/media")
    assert upload.headers["authorization"] == f"Bearer {META_ACCESS_TOKEN}"
    parts = {p.name: p for p in upload.multipart() or []}
    assert parts["messaging_product"].data == b"whatsapp"
    assert parts["file"].filename == "invoice 7.pdf" and parts["file"].data == PDF
    assert parts["file"].content_type == "application/pdf"
    # Too long for a caption (1024): the text goes first, the file after it.
    assert text.json()["type"] == "text"
    body = document.json()
    assert body["type"] == "document" and body["to"] == wa_id
    assert body["document"]["filename"] == "invoice 7.pdf" and "caption" not in body["document"]
    uploaded = desk.fakes.graph.uploaded[body["document"]["id"]]
    assert uploaded == ("invoice 7.pdf", "application/pdf", PDF)
    sent = desk.wait_status(message_id, "sent")
    assert sent["provider_message_id"].startswith("wamid.")


def test_whatsapp_image_with_short_text_is_one_captioned_message(desk: Desk) -> None:
    wa_id = _number()[1:]
    conv_id = _whatsapp_conversation(desk, wa_id)
    ref = _upload(desk, PNG, "label.png", "image/png")
    message_id = _reply(desk, conv_id, "Your label", ref)
    upload, image = desk.fakes.graph.wait_requests(2)
    _clean(desk.fakes.graph)
    assert upload.path.endswith("/media")
    body = image.json()
    assert body["type"] == "image"
    assert body["image"]["caption"] == "Your label"
    filename, mime, data = desk.fakes.graph.uploaded[body["image"]["id"]]
    assert (filename, mime, data) == ("label.png", "image/png", PNG)
    desk.wait_status(message_id, "sent")


def test_messenger_attachment_is_a_link_meta_fetches(desk: Desk) -> None:
    psid = str(random.randrange(10**15))
    mid = "m_" + new_sid("")
    assert desk.meta(messaging_event("page", psid, mid, "Hi shop")).ok
    conv_id = desk.wait_message(mid)["conversation_id"]
    ref = _upload(desk, PNG, "label.png", "image/png")
    message_id = _reply(desk, conv_id, "The label:", ref)

    text, attachment = desk.fakes.graph.wait_requests(2)
    _clean(desk.fakes.graph)
    assert text.json()["message"] == {"text": "The label:"}
    assert attachment.headers["authorization"] == f"Bearer {META_PAGE_TOKEN}"
    body = attachment.json()
    assert body["recipient"] == {"id": psid} and body["messaging_type"] == "RESPONSE"
    sent = body["message"]["attachment"]
    assert sent["type"] == "image" and sent["payload"]["is_reusable"] is False
    url = sent["payload"]["url"]
    assert (url, "image/png", PNG) in desk.fakes.graph.fetched
    desk.wait_status(message_id, "sent")


def test_telegram_uploads_the_files_as_multipart(desk: Desk) -> None:
    chat_id = random.randrange(10**9)
    assert desk.telegram(telegram_update(random.randrange(10**9), chat_id, 5, "Hallo")).ok
    conv_id = desk.wait_message(f"{chat_id}:5")["conversation_id"]
    photo = _upload(desk, PNG, "label.png", "image/png")
    message_id = _reply(desk, conv_id, "Your label", photo)
    (req,) = desk.fakes.telegram.wait_requests(1)
    _clean(desk.fakes.telegram)
    assert req.path.endswith("/sendPhoto")
    parts = {p.name: p for p in req.multipart() or []}
    assert parts["chat_id"].data == str(chat_id).encode()
    assert parts["caption"].data == b"Your label"
    assert parts["photo"].filename == "label.png" and parts["photo"].data == PNG
    desk.wait_status(message_id, "sent")

    desk.fakes.telegram.clear()
    invoice = _upload(desk, PDF, "invoice.pdf", "application/pdf")
    second = _reply(desk, conv_id, "Two files", photo, invoice)
    text, first_file, second_file = desk.fakes.telegram.wait_requests(3)
    _clean(desk.fakes.telegram)
    assert text.path.endswith("/sendMessage") and text.json()["text"] == "Two files"
    assert first_file.path.endswith("/sendPhoto")
    assert second_file.path.endswith("/sendDocument")
    doc = {p.name: p for p in second_file.multipart() or []}
    assert doc["document"].filename == "invoice.pdf" and doc["document"].data == PDF
    assert "caption" not in doc
    msg = desk.wait_status(second, "sent")
    assert msg["provider_message_id"].startswith(f"{chat_id}:")


def test_files_over_the_channels_limit_are_refused_at_push(desk: Desk) -> None:
    customer = _number()
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, "Big?")).ok
    conv_id = desk.wait_message(sid)["conversation_id"]
    big = _upload(desk, b"\x01" * (5 * 1024 * 1024 + 1), "scan.pdf", "application/pdf")
    args = {"conversation_id": conv_id, "message_id": new_id(), "body_text": "scan"}
    (result,) = desk.agent.push(("message.send", {**args, "attachments": [big]}))
    assert result["status"] == "rejected"
    assert "5 MB" in result["reason"]["message"]
    assert desk.fakes.twilio.requests == []


def test_whatsapp_through_twilio_sends_one_media_per_message(desk: Desk) -> None:
    customer = _number()
    sid = new_sid("SM")
    inbound = sms_params(
        sid, f"whatsapp:{customer}", "Both files?", To=f"whatsapp:{BUSINESS_NUMBER}"
    )
    assert desk.twilio("/webhooks/twilio/sms", inbound).ok
    conv_id = desk.wait_message(sid)["conversation_id"]
    photo = _upload(desk, PNG, "label.png", "image/png")
    invoice = _upload(desk, PDF, "invoice.pdf", "application/pdf")
    message_id = _reply(desk, conv_id, "Both attached.", photo, invoice)

    first, second = desk.fakes.twilio.wait_requests(2)
    _clean(desk.fakes.twilio)
    one, two = first.form(), second.form()
    assert ("To", f"whatsapp:{customer}") in one and ("Body", "Both attached.") in one
    assert [k for k, _ in one].count("MediaUrl") == 1
    assert [k for k, _ in two].count("MediaUrl") == 1 and "Body" not in dict(two)
    sent = desk.wait_status(message_id, "sent")
    assert sent["provider_message_id"].startswith("SM")


def test_the_desks_file_name_is_cleaned_before_it_reaches_a_provider(desk: Desk) -> None:
    customer = _number()
    sid = new_sid("SM")
    assert desk.twilio("/webhooks/twilio/sms", sms_params(sid, customer, "Invoice?")).ok
    conv_id = desk.wait_message(sid)["conversation_id"]
    ref = _upload(desk, PDF, "invoice.pdf", "application/pdf")
    sneaky = {**ref, "filename": "../../etc/in\r\nvoice.pdf"}
    message_id = _reply(desk, conv_id, "Here it is.", sneaky)
    sent = desk.entity("message", message_id)
    assert sent["attachments"][0]["filename"] == "in__voice.pdf"
    blank = {**ref, "filename": "/// ..."}
    args = {"conversation_id": conv_id, "message_id": new_id(), "body_text": "again"}
    (result,) = desk.agent.push(("message.send", {**args, "attachments": [blank]}))
    assert result["status"] == "rejected" and "rename the file" in result["reason"]["message"]
