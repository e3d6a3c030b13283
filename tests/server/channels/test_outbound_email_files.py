"""An email reply with files is multipart/mixed: the text first, each file as an attachment.

Uses the live mail desk of ``test_email_channel`` (Dovecot for the customer's mail, an SMTP
sink for ours) rather than building a second one.
"""

from __future__ import annotations

import hashlib

from tests.helpers.data import new_id
from tests.server.channels.test_email_channel import (  # noqa: F401 (mail_desk is a fixture)
    MailDesk,
    mail,
    mail_desk,
    mid,
)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 32
CSV = b"sku;qty\nA-1;2\n"


def _upload(desk: MailDesk, data: bytes, name: str, content_type: str) -> dict[str, object]:
    r = desk.agent.post(
        "/api/v1/attachments",
        params={"filename": name, "sha256": hashlib.sha256(data).hexdigest()},
        data=data,
        headers={"Content-Type": content_type},
    )
    assert r.status_code == 201, r.text
    ref: dict[str, object] = r.json()
    return ref


def test_an_email_reply_carries_its_files_as_mime_attachments(mail_desk: MailDesk) -> None:  # noqa: F811
    desk = mail_desk
    desk.smtp.clear()
    first = mid()
    desk.deliver(mail(first, "Invoice please", sender="Eva <eva@customer.example>"))
    conv_id = desk.wait_message(first)["conversation_id"]
    files = [
        _upload(desk, PDF, "Rechnung März.pdf", "application/pdf"),
        _upload(desk, CSV, "items.csv", "text/csv"),
    ]
    message_id = new_id()
    args = {"conversation_id": conv_id, "message_id": message_id, "body_text": "Attached."}
    (result,) = desk.agent.push(("message.send", {**args, "attachments": files}))
    assert result["status"] == "applied", result

    (got,) = desk.smtp.wait(1)
    sent = got.message
    assert sent.get_content_type() == "multipart/mixed"
    body = sent.get_body(("plain",))
    assert body is not None and "Attached." in body.get_content()
    attached = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in
                sent.iter_attachments()]  # fmt: skip
    assert attached[0] == ("Rechnung März.pdf", "application/pdf", PDF)
    assert attached[1][:2] == ("items.csv", "text/csv")
    assert attached[1][2].replace("\r\n", "\n") == CSV.decode()
    desk.wait_status(message_id, "sent")
