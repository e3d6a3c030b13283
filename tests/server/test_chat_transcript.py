"""Emailing the chat transcript: through the email channel to a real SMTP sink.

The mail server helpers and the operator's ``channel add email`` come from the email
channel's own tests, so the transcript leaves exactly as an agent's email reply does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet

from csdesk.server.channels.vault import ENV_KEY
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.types import utcnow
from tests.helpers.http import Raw
from tests.helpers.mail import Dovecot, Received, SmtpSink
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
from tests.server.test_chat_api import Visitor, delivery_status, entities, reply


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


def _text(mail: Received) -> str:
    msg = mail.message
    return str(msg.get_content()) if not msg.is_multipart() else str(msg)


def _token(mail: Received) -> str:
    found = re.search(r"/chat/confirm\?token=([A-Za-z0-9_-]+)", _text(mail))
    assert found is not None, _text(mail)
    return found.group(1)


def test_the_transcript_goes_only_to_an_address_the_visitor_proved(
    mail_server: tuple[ServerProcess, SmtpSink], users: dict[str, TestUser]
) -> None:
    server, smtp = mail_server
    agent = Raw.signed_in(server, users["ann"])
    assert requests.get(server.url + "/chat/api/status", timeout=10).json()["transcript_email"]
    visitor = Visitor.start(server.url)
    conv_id = visitor.say("My order 1042 is late. CHEAP PILLS at spam.example")["conversation_id"]
    reply(agent, conv_id, "It ships tomorrow, sorry!")
    address = f"kim.{uuid.uuid4().hex[:6]}@example.org"
    assert visitor.call("POST", "/chat/api/email", json={"email": address}).ok

    # First only a fixed-text link goes to the typed address: nothing the visitor wrote.
    r = visitor.call("POST", "/chat/api/transcript", json={"store": "Buy at spam.example"})
    assert r.status_code == 202 and r.json()["status"] == "confirm", r.text
    [proof] = smtp.wait(1)
    assert proof.rcpt_tos == [address]
    assert "spam.example" not in str(proof.message) and "1042" not in str(proof.message)
    token = _token(proof)

    # Opening the link (as mail scanners do by themselves) proves nothing and sends nothing.
    opened = requests.get(server.url + "/chat/confirm", params={"token": token}, timeout=10)
    assert opened.status_code == 200 and "<form method=post" in opened.text
    assert "Your chat transcript" not in [m["subject"] for m in entities(agent, "message").values()]
    # Its button proves the address: the transcript goes, once.
    pressed = requests.post(server.url + "/chat/confirm", data={"token": token}, timeout=10)
    assert pressed.status_code == 200 and "confirmed" in pressed.text
    transcript = smtp.wait(2)[1]
    assert transcript.rcpt_tos == [address]
    assert "My order 1042 is late" in _text(transcript)
    assert "It ships tomorrow, sorry!" in _text(transcript)
    assert "Your chat transcript" in str(transcript.message["Subject"])
    again = requests.post(server.url + "/chat/confirm", data={"token": token}, timeout=10)
    assert again.status_code == 410  # single use
    page = requests.get(server.url + "/chat/confirm", params={"token": token}, timeout=10)
    assert page.status_code == 410 and "<form" not in page.text

    # A proven address gets the transcript straight away, within its share per hour.
    r = visitor.call("POST", "/chat/api/transcript", json={})
    assert r.status_code == 202 and r.json()["status"] == "sent", r.text
    message_id = r.json()["message_id"]
    assert smtp.wait(3)[2].rcpt_tos == [address]
    wait_until(
        lambda: delivery_status(agent, message_id) == "sent" or None,
        10.0,
        "the transcript to be sent",
    )
    r = visitor.call("POST", "/chat/api/transcript", json={})
    assert r.status_code == 429 and "Too many emails" in r.json()["error"]["message"], r.text
    assert r.headers["retry-after"] == "3600"  # per recipient address, not the client's
    # The widget never shows the mails as chat messages.
    texts = [m["text"] for m in visitor.call("GET", "/chat/api/messages").json()["messages"]]
    assert texts == [
        "My order 1042 is late. CHEAP PILLS at spam.example",
        "It ships tomorrow, sorry!",
    ]


def test_an_expired_link_proves_nothing(
    mail_server: tuple[ServerProcess, SmtpSink], users: dict[str, TestUser], db_url: str
) -> None:
    server, smtp = mail_server
    agent = Raw.signed_in(server, users["ann"])
    visitor = Visitor.start(server.url)
    visitor.say("hello")
    refused = visitor.call("POST", "/chat/api/transcript", json={})
    assert refused.status_code == 409 and "email" in refused.json()["error"]["message"]
    assert visitor.call("POST", "/chat/api/email", json={"email": "lee@example.org"}).ok
    assert visitor.call("POST", "/chat/api/transcript", json={}).json()["status"] == "confirm"
    token = _token(smtp.wait(1)[0])
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.update(m.IdentityClaim).values(token_expires_at=utcnow() - timedelta(minutes=1))
            )
    finally:
        engine.dispose()
    r = requests.post(server.url + "/chat/confirm", data={"token": token}, timeout=10)
    assert r.status_code == 410
    subjects = [msg["subject"] for msg in entities(agent, "message").values()]
    assert "Your chat transcript" not in subjects
    hostile = "<script>alert(1)</script>"
    page = requests.get(server.url + "/chat/confirm", params={"token": hostile}, timeout=10)
    assert page.status_code == 410 and "<script>" not in page.text
    junk = requests.post(server.url + "/chat/confirm", data="a=1&" * 10, timeout=10)
    assert junk.status_code == 410


def test_without_an_email_channel_there_is_no_transcript(live: ServerProcess) -> None:
    assert (
        requests.get(live.url + "/chat/api/status", timeout=10).json()["transcript_email"] is False
    )
    visitor = Visitor.start(live.url)
    visitor.say("hello")
    r = visitor.call("POST", "/chat/api/transcript", json={})
    assert r.status_code == 503 and r.json()["error"]["code"] == "transcript_unavailable"
