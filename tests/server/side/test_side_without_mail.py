"""Side conversations on a server with no email connection (docs/side-conversations.md), on
SQLite and PostgreSQL: the forward is kept and its mail fails saying why (nothing is lost,
nothing pretends to be sent); on the demo server (``--simulate-customers``) it is marked sent
with no mail, as replies to simulated customers are. ``side.reply`` follows the same rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csdesk.server.side.mailer import NO_EMAIL
from tests.helpers.data import make_conversations, new_id
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import wait_until


def _side_message(agent: Raw, out_id: str, status: str) -> dict[str, Any] | None:
    changes, _ = agent.pull_all()
    for c in changes:
        if c["entity"] == "side_message" and c["id"] == out_id and c["data"]:
            return c["data"] if c["data"]["status"] == status else None
    return None


def test_with_no_email_connection_the_mail_fails_saying_why(
    live: ServerProcess, shared_users: dict[str, TestUser], backend: str
) -> None:
    (made,) = make_conversations(backend)
    ann = Raw.signed_in(live, shared_users["ann"])
    side_id, out_id = new_id(), new_id()
    (result,) = ann.push(
        ("side.forward", {"side_id": side_id, "out_id": out_id,
                          "conversation_id": made.conversation_id,
                          "to_address": "orders@supplier.example"})
    )  # fmt: skip
    assert result["status"] == "applied", result
    failed = wait_until(lambda: _side_message(ann, out_id, "failed"), 30, "the mail to fail")
    assert failed["failure_reason"] == NO_EMAIL
    assert "Where is my order 0?" in failed["body_text"]  # the forwarded thread is kept
    (again,) = ann.push(
        ("side.reply", {"side_id": side_id, "out_id": new_id(), "body_text": "a\x01b"})
    )
    assert again["status"] == "rejected" and again["reason"]["code"] == "invalid"
    (unknown,) = ann.push(
        ("side.reply", {"side_id": new_id(), "out_id": new_id(), "body_text": "Hello"})
    )
    assert unknown["status"] == "rejected" and unknown["reason"]["code"] == "not_found"


def test_the_demo_server_marks_it_sent_without_mail(
    db_url: str, shared_users: dict[str, TestUser], tmp_path: Path
) -> None:
    add_users(db_url, [shared_users["ann"]])  # a database of its own: one server sends
    (made,) = make_conversations(db_url)
    server = ServerProcess(
        db_url, log_path=tmp_path / "server.log", extra_args=["--simulate-customers", "3600"]
    ).start()
    try:
        ann = Raw.signed_in(server, shared_users["ann"])
        out_id = new_id()
        (result,) = ann.push(
            ("side.forward", {"side_id": new_id(), "out_id": out_id,
                              "conversation_id": made.conversation_id,
                              "to_address": "orders@supplier.example"})
        )  # fmt: skip
        assert result["status"] == "applied", result
        sent = wait_until(lambda: _side_message(ann, out_id, "sent"), 30, "the mail marked sent")
        assert sent["provider_message_id"].endswith("@simulated.invalid>")
    finally:
        server.stop()
