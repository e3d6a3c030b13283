"""Emailing the chat transcript: through the email channel to a real SMTP sink.

The mail server helpers and the operator's ``channel add email`` come from the email
channel's own tests, so the transcript leaves exactly as an agent's email reply does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from csdesk.server.channels.vault import ENV_KEY
from tests.helpers.http import Raw
from tests.helpers.mail import Dovecot, SmtpSink
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import wait_until
from tests.server.channels.test_email_channel import (
    IMAP_PASSWORD,
    IMAP_USER,
    SMTP_PASSWORD,
    SMTP_USER,
    channel_add,
    email_args,
)
from tests.server.test_chat_api import Visitor, entities, reply


@pytest.fixture
def mail_server(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ServerProcess, SmtpSink]]:
    monkeypatch.setenv(ENV_KEY, Fernet.generate_key().decode())
    dovecot = Dovecot({IMAP_USER: IMAP_PASSWORD}).start()
    smtp = SmtpSink(SMTP_USER, SMTP_PASSWORD).start()
    proc: ServerProcess | None = None
    try:
        add_users(db_url, list(users.values()))
        done = channel_add(
            db_url,
            tmp_path,
            *email_args(dovecot.port, smtp.port),
            CSDESK_IMAP_PASSWORD=IMAP_PASSWORD,
            CSDESK_SMTP_PASSWORD=SMTP_PASSWORD,
        )
        assert done.returncode == 0, done.stderr
        proc = ServerProcess(
            db_url, log_path=tmp_path / "server.log", extra_args=["--data-dir", str(tmp_path)]
        ).start()
        yield proc, smtp
    finally:
        if proc is not None:
            proc.stop()
        smtp.stop()
        dovecot.stop()


def test_transcript_is_mailed_to_the_address_the_visitor_left(
    mail_server: tuple[ServerProcess, SmtpSink], users: dict[str, TestUser]
) -> None:
    server, smtp = mail_server
    agent = Raw.signed_in(server, users["ann"])
    assert requests.get(server.url + "/chat/api/status", timeout=10).json()["transcript_email"]
    visitor = Visitor.start(server.url)
    conv_id = visitor.say("My order 1042 is late")["conversation_id"]
    reply(agent, conv_id, "It ships tomorrow, sorry!")
    refused = visitor.call("POST", "/chat/api/transcript", json={})
    assert refused.status_code == 409 and "email" in refused.json()["error"]["message"]
    assert visitor.call("POST", "/chat/api/email", json={"email": "kim@example.org"}).ok
    r = visitor.call("POST", "/chat/api/transcript", json={"store": "Demo store"})
    assert r.status_code == 202, r.text
    [mail] = smtp.wait(1)
    assert mail.rcpt_tos == ["kim@example.org"]
    body = mail.message.get_content() if not mail.message.is_multipart() else str(mail.message)
    assert "My order 1042 is late" in body and "It ships tomorrow, sorry!" in body
    assert "Your chat transcript" in str(mail.message["Subject"])
    message_id = r.json()["message_id"]
    wait_until(
        lambda: entities(agent, "message")[message_id]["delivery_status"] == "sent" or None,
        10.0,
        "the transcript to be sent",
    )
    # The widget never shows the mail as a chat message.
    texts = [m["text"] for m in visitor.call("GET", "/chat/api/messages").json()["messages"]]
    assert texts == ["My order 1042 is late", "It ships tomorrow, sorry!"]


def test_without_an_email_channel_there_is_no_transcript(live: ServerProcess) -> None:
    assert (
        requests.get(live.url + "/chat/api/status", timeout=10).json()["transcript_email"] is False
    )
    visitor = Visitor.start(live.url)
    visitor.say("hello")
    r = visitor.call("POST", "/chat/api/transcript", json={})
    assert r.status_code == 503 and r.json()["error"]["code"] == "transcript_unavailable"
