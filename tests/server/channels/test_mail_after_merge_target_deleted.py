"""Mail for a merged conversation over the real IMAP path (dovecot, a live server, SQLite and
PostgreSQL; docs/merge-split.md): while the conversation it was merged into lives, the
customer's answer lands there; once an administrator deleted that one, the answer opens a
new, visible conversation of the customer instead of vanishing into the hidden merged-away
conversation."""

from __future__ import annotations

from typing import Any

import pytest

from csdesk.protocol import MutationType
from csdesk.server.channels.conversations import conversation_token
from tests.helpers.http import Raw
from tests.helpers.server import TestUser
from tests.server.channels import test_email_channel as email_tests
from tests.server.channels.test_email_channel import MailDesk, mail, mid

#: The email tests' live server, dovecot and SMTP sink, one per module and database.
mail_desk = email_tests.mail_desk
SENDER = "Rosa Vidal <rosa.vidal@customer.example>"


@pytest.fixture
def desk(mail_desk: MailDesk) -> MailDesk:
    mail_desk.smtp.clear()
    return mail_desk


def _messages_in(desk: MailDesk, conv_id: str) -> list[dict[str, Any]]:
    return [v for v in desk.entities("message").values() if v["conversation_id"] == conv_id]


def test_mail_for_a_merged_conversation_follows_it_and_survives_a_deleted_target(
    desk: MailDesk, shared_users: dict[str, TestUser]
) -> None:
    first = mid()
    desk.deliver(mail(first, "Order 7001 late", "Where is order 7001?", sender=SENDER))
    source = desk.wait_message(first, timeout=60)["conversation_id"]
    other = mid()
    desk.deliver(mail(other, "Invoice address", "Please change my invoice.", sender=SENDER))
    target = desk.wait_message(other)["conversation_id"]
    assert target != source
    (merged,) = desk.agent.push(
        (
            MutationType.CONVERSATION_MERGE.value,
            {"source_conversation_id": source, "target_conversation_id": target},
        )
    )
    assert merged["status"] == "applied", merged

    # The merge target lives: an answer to the merged-away mail lands in it.
    follow_up = mid()
    desk.deliver(
        mail(follow_up, "Re: Order 7001 late", "Any news?", sender=SENDER,
             headers=f"In-Reply-To: {first}\r\nReferences: {first}\r\n")
    )  # fmt: skip
    assert desk.wait_message(follow_up)["conversation_id"] == target

    # An administrator deletes the conversation it was merged into.
    admin = Raw.signed_in(desk.server, shared_users["adm"])
    (deleted,) = admin.push((MutationType.CONVERSATION_DELETE.value, {"conversation_id": target}))
    assert deleted["status"] == "applied", deleted

    # The customer answers the old mail again (its In-Reply-To and the merged-away
    # conversation's token): a new conversation the inbox shows, not the hidden one.
    again = mid()
    token = conversation_token(source)
    desk.deliver(
        mail(again, f"Re: Order 7001 late [#{token}]", "Still nothing arrived!", sender=SENDER,
             headers=f"In-Reply-To: {first}\r\nReferences: {first} {follow_up}\r\n")
    )  # fmt: skip
    landed = desk.wait_message(again)
    fresh = landed["conversation_id"]
    assert fresh not in (source, target)
    conv = desk.conversation(fresh)
    assert conv["status"] == "open" and conv["deleted_at"] is None
    assert conv["merged_into_id"] is None
    assert conv["customer_id"] == desk.conversation(source)["customer_id"]
    assert conv["preview"] == "Still nothing arrived!"
    assert [m["body_text"] for m in _messages_in(desk, fresh)] == ["Still nothing arrived!"]
    assert _messages_in(desk, source) == []  # nothing went into the hidden one
    assert desk.conversation(source)["merged_into_id"] == target

    # The next answer threads into the new conversation (by its own token, as usual).
    more = mid()
    desk.deliver(
        mail(more, f"Re: Order 7001 late [#{conversation_token(fresh)}]", "Hello?",
             sender=SENDER, headers=f"In-Reply-To: {again}\r\n")
    )  # fmt: skip
    assert desk.wait_message(more)["conversation_id"] == fresh

    # A reply to the new conversation goes back to the customer by mail.
    reply_id = desk.reply(fresh, "Sorry, it ships today.")
    (sent,) = desk.smtp.wait(1)
    assert sent.rcpt_tos == ["rosa.vidal@customer.example"]
    assert desk.wait_status(reply_id, "sent")["conversation_id"] == fresh
