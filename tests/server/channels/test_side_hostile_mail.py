"""Hostile mail and side conversations, end to end against the email tests' live server,
dovecot and aiosmtpd sink (SQLite and PostgreSQL); found by an outside review.

1. A subject with a Unicode line separator (U+2028/U+2029, or VT/FF/FS/GS/RS/NEL from a
   customer's encoded-word subject) made ``email.policy.SMTP`` refuse the header: the forward,
   and every reply to that customer, was never mailed. Now it is one line (``one_line``).
2. Forwarding one message that was misread on arrival mailed the customer's raw original
   (``original-message.eml``: their address, Received headers) to the outside address; it
   is left out now.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from tests.helpers.data import new_id
from tests.server.channels import test_email_channel as email_tests
from tests.server.channels.support import wait_until
from tests.server.channels.test_email_channel import FROM, MailDesk, mid

mail_desk = email_tests.mail_desk
SUPPLIER = "orders@supplier.example"


@pytest.fixture
def desk(mail_desk: MailDesk) -> MailDesk:
    mail_desk.smtp.clear()
    return mail_desk


def _status(desk: MailDesk, out_id: str) -> dict[str, Any] | None:
    row = desk.entities("side_message").get(out_id)
    return row if row and row["status"] in ("sent", "failed") else None


def test_a_customer_subject_with_a_line_separator_is_still_forwarded(desk: MailDesk) -> None:
    first = mid()
    subject = "Kettle\u2028broken " + uuid.uuid4().hex[:6]  # as a customer's mail client sent it
    encoded = base64.b64encode(subject.encode()).decode()
    desk.deliver(
        (
            f"From: Ana Lima <ana@customer.example>\r\nTo: {FROM}\r\n"
            f"Subject: =?UTF-8?B?{encoded}?=\r\nMessage-ID: {first}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
        ).encode()
    )
    conv_id = desk.wait_message(first, timeout=60)["conversation_id"]
    out_id = new_id()
    (result,) = desk.agent.push(
        ("side.forward", {"side_id": new_id(), "out_id": out_id, "conversation_id": conv_id,
                          "to_address": SUPPLIER})
    )  # fmt: skip
    assert result["status"] == "applied", result
    row = wait_until(lambda: _status(desk, out_id), 60, "the side mail sent or failed")
    assert row["status"] == "sent", row["failure_reason"]


def test_a_misread_message_forwarded_does_not_mail_the_customers_original(
    desk: MailDesk,
) -> None:
    subject = f"Broken {uuid.uuid4().hex[:8]}"
    desk.deliver(
        f"From: carl@customer.example\r\nTo: {FROM}\r\nSubject: {subject}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        "--never-closed\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\n"
        "Caf\xe9 order 1234\r\n".encode("latin-1")
    )
    msg = desk.wait_subject(subject)
    assert msg["attachments"][-1]["filename"] == "original-message.eml"
    (result,) = desk.agent.push(
        ("side.forward", {"side_id": new_id(), "out_id": new_id(),
                          "conversation_id": msg["conversation_id"], "to_address": SUPPLIER,
                          "scope": "message", "message_id": msg["id"]})
    )  # fmt: skip
    assert result["status"] == "applied", result
    got = wait_until(
        lambda: next((r for r in desk.smtp.received if r.rcpt_tos == [SUPPLIER]), None),
        60,
        "the forward at the sink",
    )
    names = [p.get_filename() for p in got.message.iter_attachments()]
    assert "original-message.eml" not in names
    assert "carl@customer.example" not in got.message.as_string()


def test_a_reply_to_that_customer_is_sent_too(desk: MailDesk) -> None:
    """The same separator breaks the ordinary reply (``email_reply.reply_subject``)."""
    first = mid()
    subject = "Lid\u2029cracked " + uuid.uuid4().hex[:6]
    encoded = base64.b64encode(subject.encode()).decode()
    desk.deliver(
        (
            f"From: Ana Lima <ana@customer.example>\r\nTo: {FROM}\r\n"
            f"Subject: =?UTF-8?B?{encoded}?=\r\nMessage-ID: {first}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
        ).encode()
    )
    conv_id = desk.wait_message(first, timeout=60)["conversation_id"]
    reply_id = desk.reply(conv_id, "We are on it.")

    def done() -> dict[str, Any] | None:
        row = desk.entities("message").get(reply_id)
        return row if row and row["delivery_status"] in ("sent", "delivered", "failed") else None

    row = wait_until(done, 60, "the reply sent or failed")
    assert row["delivery_status"] != "failed", row.get("failure_reason")
