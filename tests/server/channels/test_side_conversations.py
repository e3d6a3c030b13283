"""Side conversations end to end (docs/side-conversations.md), on SQLite and PostgreSQL: a real
dovecot (IMAP) and a real aiosmtpd sink around a live server.

An agent forwards a customer's conversation (or one message) to a supplier through the push;
the sink must receive one well-formed mail with our own Message-ID and the side token, and the
supplier's answer, delivered into the mailbox as a delivery agent would, must land in the side
conversation: never in the customer's thread, never as a new conversation. Hostile arguments
get a clear 4xx or a refusal, never a 5xx.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from csdesk.domain import side_mail as rules
from csdesk.server.channels.conversations import conversation_token
from tests.helpers.data import new_id
from tests.helpers.http import Raw
from tests.helpers.mail import Received
from tests.helpers.server import TestUser
from tests.server.channels import test_email_channel as email_tests
from tests.server.channels.support import wait_until
from tests.server.channels.test_email_channel import DOMAIN, MailDesk, mail, mid

#: The email tests' live server, dovecot and SMTP sink, one per module and database.
mail_desk = email_tests.mail_desk

SUPPLIER = "orders@supplier.example"


@pytest.fixture
def desk(mail_desk: MailDesk) -> MailDesk:
    mail_desk.smtp.clear()
    return mail_desk


def _forward(desk: MailDesk, conv_id: str, **extra: Any) -> tuple[str, str, dict[str, Any]]:
    side_id, out_id = new_id(), new_id()
    args = {
        "side_id": side_id,
        "out_id": out_id,
        "conversation_id": conv_id,
        "to_address": SUPPLIER,
        "note": "Could you check the stock of the blue kettle?",
    } | extra
    (result,) = desk.agent.push(("side.forward", args))
    return side_id, out_id, result


def _customer_conversation(desk: MailDesk, subject: str, body: str) -> tuple[str, str]:
    first = mid()
    desk.deliver(mail(first, subject, body))
    msg = desk.wait_message(first, timeout=60)  # the first mail waits for the IMAP login
    return msg["conversation_id"], msg["id"]


def _outside(desk: MailDesk) -> list[list[str]]:
    """Recipients of mail that went anywhere but to a customer (another test's reply to its
    customer may still arrive at the shared sink)."""
    return [
        r.rcpt_tos
        for r in desk.smtp.received
        if not all(a.endswith("@customer.example") for a in r.rcpt_tos)
    ]


def _to_supplier(desk: MailDesk, count: int, timeout: float = 60) -> list[Received]:
    """The first ``count`` mails the sink took for the supplier (waiting for them)."""

    def probe() -> list[Received] | None:
        found = [r for r in desk.smtp.received if r.rcpt_tos == [SUPPLIER]]
        return found if len(found) >= count else None

    return wait_until(probe, timeout, f"{count} mails to the supplier")


def _side_rows(desk: MailDesk, side_id: str) -> list[dict[str, Any]]:
    return [
        row
        for row in desk.entities("side_message").values()
        if row["side_conversation_id"] == side_id
    ]


def test_a_forwarded_thread_is_mailed_and_the_answer_lands_beside_it(desk: MailDesk) -> None:
    conv_id, _ = _customer_conversation(desk, "Kettle arrived broken", "The lid is cracked.")
    side_id, out_id, result = _forward(desk, conv_id)
    assert result["status"] == "applied", result

    (got,) = _to_supplier(desk, 1)
    sent = got.message
    assert got.rcpt_tos == [SUPPLIER]
    assert sent["To"] == SUPPLIER and "support@store.example" in sent["From"]
    assert sent["Message-ID"] == f"<side.{out_id}@{DOMAIN}>"
    token = rules.token_for(side_id)
    assert sent["Subject"] == f"Fwd: Kettle arrived broken [#{token}]"
    # The customer's own conversation token never goes to the supplier.
    assert conversation_token(conv_id) not in sent["Subject"]
    text = sent.get_content()
    assert text.startswith("Could you check the stock of the blue kettle?")
    assert "---------- Forwarded conversation ----------" in text
    assert "The lid is cracked." in text

    def status() -> dict[str, Any] | None:
        rows = [r for r in _side_rows(desk, side_id) if r["id"] == out_id]
        return rows[0] if rows and rows[0]["status"] == "sent" else None

    out = wait_until(status, 60, "the side mail marked sent")
    assert out["direction"] == "out" and out["provider_message_id"] == sent["Message-ID"]
    side = desk.entities("side_conversation")[side_id]
    assert side["conversation_id"] == conv_id and side["to_address"] == SUPPLIER
    assert side["reply_count"] == 0
    messages_before = {
        k for k, v in desk.entities("message").items() if v["conversation_id"] == conv_id
    }
    conversations_before = set(desk.entities("conversation"))

    # The supplier answers (In-Reply-To our mail): kept in the side conversation.
    answer = mid("supplier")
    desk.deliver(
        mail(
            answer,
            f"Re: {sent['Subject']}",
            "We have 4 in stock; a new one leaves today.",
            sender=f"Supplier Orders <{SUPPLIER}>",
            headers=f"In-Reply-To: {sent['Message-ID']}\r\nReferences: {sent['Message-ID']}\r\n",
        )
    )

    def reply() -> dict[str, Any] | None:
        found = [r for r in _side_rows(desk, side_id) if r["direction"] == "in"]
        return found[0] if found else None

    got_in = wait_until(reply, 60, "the supplier's answer in the side conversation")
    assert got_in["body_text"] == "We have 4 in stock; a new one leaves today."
    assert got_in["from_address"] == SUPPLIER and got_in["status"] == "received"
    assert got_in["author_name"] == "Supplier Orders"
    assert desk.entities("side_conversation")[side_id]["reply_count"] == 1

    # A mail client that dropped the headers: the subject's token is enough.
    again = mid("supplier")
    desk.deliver(
        mail(again, f"About your kettle [#{token}]", "Tracking: 1Z999.", sender="bo@supplier.ex")
    )
    wait_until(
        lambda: len([r for r in _side_rows(desk, side_id) if r["direction"] == "in"]) == 2 or None,
        20,
        "the token-only answer in the side conversation",
    )
    # The agent writes back: threaded under the supplier's answer, the same token.
    desk.smtp.clear()
    (blank,) = desk.agent.push(
        ("side.reply", {"side_id": side_id, "out_id": new_id(), "body_text": "  \n "})
    )
    assert blank["status"] == "rejected" and "blank" in blank["reason"]["message"]
    back_id = new_id()
    (wrote,) = desk.agent.push(
        ("side.reply", {"side_id": side_id, "out_id": back_id, "body_text": "Thanks, send it."})
    )
    assert wrote["status"] == "applied", wrote
    back = _to_supplier(desk, 1)[-1].message
    assert back["Message-ID"] == f"<side.{back_id}@{DOMAIN}>"
    assert back["Subject"] == f"Re: Fwd: Kettle arrived broken [#{token}]"
    assert back["In-Reply-To"] in (answer, again)  # the newest answer of the two
    assert sent["Message-ID"] in back["References"]
    assert back.get_content().strip() == "Thanks, send it."
    # Never in the customer's thread, never a new conversation.
    after = desk.entities("message")
    assert {k for k, v in after.items() if v["conversation_id"] == conv_id} == messages_before
    assert all(v["provider_message_id"] not in (answer, again) for v in after.values())
    assert set(desk.entities("conversation")) == conversations_before


def test_one_message_is_forwarded_but_never_a_note(desk: MailDesk) -> None:
    conv_id, first_id = _customer_conversation(desk, "Wrong size", "I ordered a 42, got a 40.")
    desk.reply(conv_id, "Sorry about that, we are on it.")
    note_id = new_id()
    (noted,) = desk.agent.push(
        (
            "message.send",
            {
                "conversation_id": conv_id,
                "message_id": note_id,
                "body_text": "Internal: supplier X again",
                "is_note": True,
            },
        )
    )
    assert noted["status"] == "applied"
    _, _, refused = _forward(desk, conv_id, scope="message", message_id=note_id)
    assert refused["status"] == "rejected"
    assert "internal note" in refused["reason"]["message"]

    side_id, _, result = _forward(
        desk, conv_id, scope="message", message_id=first_id, note="", subject="Size 42 please"
    )
    assert result["status"] == "applied", result
    sent = wait_until(
        lambda: next((r.message for r in desk.smtp.received if r.rcpt_tos == [SUPPLIER]), None),
        20,
        "the forwarded message at the sink",
    )
    assert sent["Subject"] == f"Size 42 please [#{rules.token_for(side_id)}]"
    text = sent.get_content()
    assert "---------- Forwarded message ----------" in text
    assert "I ordered a 42, got a 40." in text
    assert "we are on it" not in text and "Internal" not in text


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("orders@supplier.example\r\nBcc: victim@else.example", "line break"),
        ("orders@supplier.example\nSubject: hi", "line break"),
        ("a@supplier.example, b@supplier.example", "one plain address"),
        ("Orders <orders@supplier.example>", "one plain address"),
        ("not-an-address", "not an email address"),
        ("x" * 300 + "@supplier.example", "Invalid to_address"),
    ],
)
def test_a_hostile_address_is_refused(desk: MailDesk, address: str, problem: str) -> None:
    conv_id, _ = _customer_conversation(desk, f"Hostile {uuid.uuid4().hex[:6]}", "Hello")
    _, _, result = _forward(desk, conv_id, to_address=address)
    assert result["status"] == "rejected", result
    assert problem in result["reason"]["message"]
    assert _outside(desk) == []


def test_nul_bytes_huge_subjects_and_the_sandbox_get_clear_refusals(
    desk: MailDesk, shared_users: dict[str, TestUser]
) -> None:
    conv_id, _ = _customer_conversation(desk, "Hostile text", "Hello")
    for bad in ({"note": "a\x00b"}, {"to_address": "a\x00@b.example"}, {"subject": "x\x00"}):
        args = {"side_id": new_id(), "out_id": new_id(), "conversation_id": conv_id,
                "to_address": SUPPLIER} | bad  # fmt: skip
        answer = desk.agent.post(
            "/api/v1/push",
            json={"mutations": [{"id": new_id(), "type": "side.forward", "args": args}]},
        )
        assert 400 <= answer.status_code < 500, answer.text
    huge = {"side_id": new_id(), "out_id": new_id(), "conversation_id": conv_id,
            "to_address": SUPPLIER, "subject": "s" * 10_000_000}  # fmt: skip
    answer = desk.agent.post(
        "/api/v1/push",
        json={"mutations": [{"id": new_id(), "type": "side.forward", "args": huge}]},
    )
    assert 400 <= answer.status_code < 500, answer.status_code
    long_subject = {"subject": "s" * (rules.MAX_SUBJECT + 1)}
    _, _, result = _forward(desk, conv_id, **long_subject)
    assert result["status"] == "rejected" and "subject" in result["reason"]["message"]
    _, _, unknown = _forward(desk, str(uuid.uuid4()))
    assert unknown["status"] == "rejected" and unknown["reason"]["code"] == "not_found"
    # A trainee works in the sandbox: no mail to an outside address from there.
    trainee = Raw.signed_in(desk.server, shared_users["tia"])
    (sandbox,) = trainee.push(
        ("side.forward", {"side_id": new_id(), "out_id": new_id(), "conversation_id": conv_id,
                          "to_address": SUPPLIER})
    )  # fmt: skip
    assert sandbox["status"] == "rejected" and sandbox["reason"]["code"] == "forbidden"
    assert _outside(desk) == []


def test_a_conversation_has_at_most_so_many_side_conversations(desk: MailDesk) -> None:
    conv_id, _ = _customer_conversation(desk, "Many suppliers", "Hello")
    for _n in range(rules.MAX_PER_CONVERSATION):
        _, _, result = _forward(desk, conv_id)
        assert result["status"] == "applied", result
    _, _, refused = _forward(desk, conv_id)
    assert refused["status"] == "rejected"
    assert "the most it may have" in refused["reason"]["message"]
    assert len(_to_supplier(desk, rules.MAX_PER_CONVERSATION)) == rules.MAX_PER_CONVERSATION


def test_one_forwarded_message_carries_its_files(desk: MailDesk) -> None:
    first = mid()
    png = base64.b64decode("iVBORw0KGgo=")
    desk.deliver(
        (
            f"From: Ana Lima <ana@customer.example>\r\nTo: {email_tests.FROM}\r\n"
            f"Subject: Damaged lid\r\nMessage-ID: {first}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPhoto attached.\r\n"
            "--b\r\nContent-Type: image/png\r\n"
            'Content-Disposition: attachment; filename="lid.png"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
        ).encode()
    )
    msg = desk.wait_message(first, timeout=60)
    _, _, result = _forward(desk, msg["conversation_id"], scope="message", message_id=msg["id"])
    assert result["status"] == "applied", result
    sent = wait_until(
        lambda: next((r.message for r in desk.smtp.received if r.rcpt_tos == [SUPPLIER]), None),
        60,
        "the forwarded message at the sink",
    )
    (part,) = list(sent.iter_attachments())
    assert part.get_filename() == "lid.png" and part.get_content() == png
    body = sent.get_body(("plain",))
    assert body is not None and "(Files attached: lid.png)" in body.get_content()
