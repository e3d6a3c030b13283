"""Email end to end: a real dovecot (IMAP, IDLE) and a real aiosmtpd sink around a live server.

Mail is delivered into the mailbox with IMAP APPEND, as a delivery agent would put it there,
and must show up in the agent's feed (``/api/v1/changes``); agents' replies must reach the SMTP
sink with headers that thread in the customer's mail client.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from csdesk.domain.html_bounds import depth_of
from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.conversations import conversation_token
from csdesk.server.channels.email_inbound import STATE_KEY
from csdesk.server.channels.html_sanitize import MAX_DEPTH
from csdesk.server.channels.vault import Vault
from tests.helpers.data import new_id
from tests.helpers.http import Raw
from tests.helpers.mail import Dovecot, SmtpSink
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import state_for, wait_until

IMAP_USER = "support"
IMAP_PASSWORD = "imap-pass-8d1e5a"
SMTP_USER = "desk-relay"
SMTP_PASSWORD = "smtp-pass-2b77c0"
FROM = "Store Support <support@store.example>"
DOMAIN = "store.example"


def channel_add(
    db_url: str, data_dir: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """``csdesk-server channel …`` as an operator runs it (secrets in the environment)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "csdesk.server.cli",
            "channel",
            *args,
            "--db",
            db_url,
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def email_args(imap_port: int, smtp_port: int, *extra: str) -> list[str]:
    return [
        "add", "email",
        "--imap-host", "127.0.0.1", "--imap-port", str(imap_port), "--imap-security", "none",
        "--imap-user", IMAP_USER, "--mailbox", "INBOX",
        "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--smtp-security", "none",
        "--smtp-user", SMTP_USER, "--from", FROM, "--msgid-domain", DOMAIN,
        "--poll-seconds", "30", "--max-attempts", "2", "--retry-seconds", "0.2",
        *extra,
    ]  # fmt: skip


@dataclass
class MailDesk:
    server: ServerProcess
    agent: Raw
    dovecot: Dovecot
    smtp: SmtpSink
    db_url: str
    data_dir: Path

    def deliver(self, raw: bytes) -> None:
        self.dovecot.deliver(IMAP_USER, raw)

    def entities(self, entity: str) -> dict[str, dict[str, Any]]:
        changes, _ = self.agent.pull_all()
        return {c["id"]: c["data"] for c in changes if c["entity"] == entity and c["data"]}

    def wait_message(self, provider_id: str, timeout: float = 15.0) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            for msg in self.entities("message").values():
                if msg["provider_message_id"] == provider_id:
                    return msg
            return None

        return wait_until(probe, timeout, f"message {provider_id}")

    def wait_subject(self, subject: str, timeout: float = 15.0) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            for msg in self.entities("message").values():
                if msg["subject"] == subject and msg["direction"] == "in":
                    return msg
            return None

        return wait_until(probe, timeout, f"message with subject {subject!r}")

    def conversation(self, conv_id: str) -> dict[str, Any]:
        return self.entities("conversation")[conv_id]

    def wait_status(self, message_id: str, status: str, timeout: float = 20.0) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            msg = self.entities("message").get(message_id)
            return msg if msg is not None and msg["delivery_status"] == status else None

        return wait_until(probe, timeout, f"message {message_id} to become {status}")

    def reply(self, conv_id: str, text: str) -> str:
        message_id = new_id()
        (result,) = self.agent.push(
            (
                "message.send",
                {"conversation_id": conv_id, "message_id": message_id, "body_text": text},
            )
        )
        assert result["status"] == "applied", result
        return message_id

    def log_text(self) -> str:
        assert self.server.log_path is not None
        return self.server.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def mail_desk(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MailDesk]:
    dovecot = Dovecot({IMAP_USER: IMAP_PASSWORD}).start()
    smtp = SmtpSink(SMTP_USER, SMTP_PASSWORD).start()
    proc: ServerProcess | None = None
    try:
        add_users(backend, list(shared_users.values()))
        data_dir = tmp_path_factory.mktemp("data")
        done = channel_add(
            backend,
            data_dir,
            *email_args(dovecot.port, smtp.port),
            CSDESK_IMAP_PASSWORD=IMAP_PASSWORD,
            CSDESK_SMTP_PASSWORD=SMTP_PASSWORD,
        )
        assert done.returncode == 0, done.stderr
        proc = ServerProcess(
            backend,
            log_path=tmp_path_factory.mktemp("log") / "server.log",
            extra_args=["--data-dir", str(data_dir)],
        )
        proc.start()
        desk = MailDesk(
            proc, Raw.signed_in(proc, shared_users["ann"]), dovecot, smtp, backend, data_dir
        )
        yield desk
        proc.stop()
        log = desk.log_text()
        assert "Traceback" not in log, log[-3000:]
        leaked = [s for s in (IMAP_PASSWORD, SMTP_PASSWORD) if s in log]
        assert not leaked, f"secrets in the server log: {leaked}"
    finally:
        if proc is not None:
            proc.stop()
        smtp.stop()
        dovecot.stop()


@pytest.fixture
def desk(mail_desk: MailDesk) -> MailDesk:
    mail_desk.smtp.clear()
    return mail_desk


def mid(tag: str = "c") -> str:
    return f"<{tag}.{uuid.uuid4().hex}@customer.example>"


def mail(
    message_id: str | None,
    subject: str,
    body: str = "Hello, where is my order?",
    *,
    sender: str = "Ana Lima <ana@customer.example>",
    headers: str = "",
    ahead: float = 0.0,
) -> bytes:
    """A plain mail dated now (``ahead`` seconds later: Date has whole seconds only)."""
    head = f"From: {sender}\r\nTo: {FROM}\r\nSubject: {subject}\r\n"
    when = datetime.now(UTC) + timedelta(seconds=ahead)
    head += f"Date: {format_datetime(when)}\r\n"  # threads sort by it
    if message_id:
        head += f"Message-ID: {message_id}\r\n"
    head += headers
    head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    return (head + body + "\r\n").encode()


# --- inbound -------------------------------------------------------------------------------


def test_awkward_mail_arrives_as_conversations(desk: MailDesk) -> None:
    encoded = mid("enc")
    desk.deliver(
        (
            "From: =?ISO-8859-1?Q?Jos=E9_Garc=EDa?= <jose@customer.example>\r\n"
            f"To: {FROM}\r\n"
            "Subject: =?UTF-8?B?w4lsw6lwaGFudCDwn5CYIGNhc3NlIMOgIGxhIGxpdnJhaXNvbg==?=\r\n"
            f"Message-ID: {encoded}\r\n"
            "Date: Sun, 22 Nov 2026 10:00:00 +0100\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=iso-8859-1\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Le colis est arriv=E9 ab=EEm=E9.\r\n"
        ).encode("ascii")
    )
    html = mid("html")
    desk.deliver(
        (
            f"From: bo@customer.example\r\nTo: {FROM}\r\nSubject: Photo of the damage\r\n"
            f"Message-ID: {html}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
            '--outer\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
            "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the photo.\r\n"
            "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            "<p>See the <b>photo</b>.<script>alert(1)</script>"
            '<img src="https://tracker.example/p.gif"></p>\r\n'
            "--alt--\r\n"
            "--outer\r\nContent-Type: image/png\r\n"
            "Content-Disposition: attachment; filename*=UTF-8''d%C3%A9g%C3%A2t.png\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
            "--outer--\r\n"
        ).encode()
    )
    broken_subject = f"Broken {uuid.uuid4().hex[:8]}"
    desk.deliver(
        f"From: carl@customer.example\r\nSubject: {broken_subject}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        "--never-closed\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\n"
        "Caf\xe9 \x00 order 1234\r\n".encode("latin-1")
    )

    first = desk.wait_message(encoded)
    assert first["subject"] == "Éléphant 🐘 casse à la livraison"
    assert "arrivé abîmé" in first["body_text"]
    assert first["author_name"] == "José García"
    assert first["direction"] == "in" and first["channel"] == "email"
    conv = desk.conversation(first["conversation_id"])
    assert conv["status"] == "open" and conv["channel"] == "email"
    customer = desk.entities("customer")[conv["customer_id"]]
    assert customer["name"] == "José García"

    second = desk.wait_message(html)
    assert second["body_text"] == "See the photo."
    assert "<script" not in (second["body_html"] or "")
    assert ' src="https://tracker.example' not in second["body_html"]  # blocked, not loaded
    assert 'data-blocked-src="https://tracker.example/p.gif"' in second["body_html"]
    (attachment,) = second["attachments"]
    assert attachment["filename"] == "dégât.png" and attachment["content_type"] == "image/png"
    png = desk.agent.get(f"/api/v1/messages/{second['id']}/attachments/0")
    assert png.status_code == 200 and png.content == base64.b64decode("iVBORw0KGgo=")

    broken = desk.wait_subject(broken_subject)
    assert "order 1234" in broken["body_text"]
    assert broken["failure_reason"].startswith("This email could not be read completely: ")
    assert "x-unknown-42" in broken["failure_reason"]
    # A made-up Message-ID loses nothing of the mail: not a reading problem.
    assert "missing Message-ID" not in broken["failure_reason"]
    assert broken["provider_message_id"].startswith("sha256:")
    # The mail as received is attached, so the agent can open what the parser misread.
    original = broken["attachments"][-1]
    assert original["filename"] == "original-message.eml"
    index = len(broken["attachments"]) - 1
    got = desk.agent.get(f"/api/v1/messages/{broken['id']}/attachments/{index}")
    assert got.status_code == 200
    # Byte for byte as the mailbox holds it (dovecot itself turns the NUL into 0x80).
    assert got.content.startswith(b"From: carl@customer.example\r\n")
    assert b"Caf\xe9 \x80 order 1234" in got.content


@pytest.mark.timeout(240)
def test_deeply_nested_html_is_filed_quickly_with_its_text_and_the_original(
    desk: MailDesk,
) -> None:
    """100,000 nested <div> took the mailbox worker 216 s, again after every restart (issue 9,
    item 5); now the formatting is flattened, the text kept and the raw mail attached."""
    deep = mid("deep")
    levels = 100_000
    body = "<div>" * levels + "Where is my parcel?" + "</div>" * levels
    desk.deliver(
        (
            f"From: Ana Lima <ana@customer.example>\r\nTo: {FROM}\r\nSubject: Nested\r\n"
            f"Message-ID: {deep}\r\nDate: {format_datetime(datetime.now(UTC))}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            f"{body}\r\n"
        ).encode()
    )
    got = desk.wait_message(deep, timeout=60)
    assert got["body_text"] == "Where is my parcel?"
    html = got["body_html"] or ""
    assert "Where is my parcel?" in html
    assert depth_of(html) <= MAX_DEPTH
    assert "formatting simplified: nested too deeply" in got["failure_reason"]
    assert got["attachments"][-1]["filename"] == "original-message.eml"


def test_a_reply_threads_by_in_reply_to_then_by_the_subject_token(desk: MailDesk) -> None:
    first = mid()
    desk.deliver(mail(first, "Order 1001 late"))
    conv_id = desk.wait_message(first)["conversation_id"]

    answer = mid()
    desk.deliver(
        mail(answer, "totally different subject", headers=f"In-Reply-To: {first}\r\n"),
    )
    assert desk.wait_message(answer)["conversation_id"] == conv_id

    from_elsewhere = mid()
    token = conversation_token(conv_id)
    desk.deliver(
        mail(from_elsewhere, f"Fwd: Order 1001 late [#{token}]", sender="bo@other.example")
    )
    assert desk.wait_message(from_elsewhere)["conversation_id"] == conv_id

    fresh = mid()
    desk.deliver(mail(fresh, "A new question"))
    assert desk.wait_message(fresh)["conversation_id"] != conv_id


def test_an_auto_reply_is_filed_without_reopening_a_resolved_conversation(
    desk: MailDesk,
) -> None:
    first = mid()
    desk.deliver(mail(first, "Refund please", sender="dora@customer.example"))
    conv_id = desk.wait_message(first)["conversation_id"]
    (done,) = desk.agent.push(
        ("conversation.set_status", {"conversation_id": conv_id, "status": "resolved"})
    )
    assert done["status"] == "applied", done

    auto = mid("ooo")
    desk.deliver(
        mail(
            auto,
            "Out of office: Refund please",
            "I am away until Monday.",
            sender="dora@customer.example",
            headers=f"In-Reply-To: {first}\r\nAuto-Submitted: auto-replied\r\n",
        )
    )
    filed = desk.wait_message(auto)
    assert filed["conversation_id"] == conv_id
    assert desk.conversation(conv_id)["status"] == "resolved"

    assert filed["is_auto"] and filed["auto_kind"] == "auto_reply"

    # A mailer daemon's mail that reports nothing we know is not filed (and is no customer).
    bounce, after = mid("bounce"), mid()
    desk.deliver(
        mail(
            bounce,
            "Undelivered Mail Returned to Sender",
            "This is the mail system.",
            sender="MAILER-DAEMON@mx.customer.example",
        )
    )
    desk.deliver(mail(after, "Next mail", sender="dora@customer.example"))
    desk.wait_message(after)  # imported in UID order: the bounce was handled before it
    assert bounce not in {m["provider_message_id"] for m in desk.entities("message").values()}
    names = {c["name"] for c in desk.entities("customer").values()}
    assert not [n for n in names if "mailer-daemon" in n.lower()]
    # Nothing was sent back to either machine.
    assert desk.smtp.received == []


def test_the_import_cursor_is_stored_and_the_mailbox_left_untouched(desk: MailDesk) -> None:
    marker = mid()
    desk.deliver(mail(marker, "Cursor check"))
    desk.wait_message(marker)
    imap = desk.dovecot.connect(IMAP_USER)
    try:
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", "ALL")
        highest = max(int(x) for x in data[0].split())
    finally:
        imap.logout()

    def cursor() -> int | None:
        state = state_for(desk.db_url, desk.data_dir)
        try:
            with state.reads() as s:
                cfg = config_store.load(s, Vault(desk.data_dir), Provider.EMAIL)
        finally:
            state.engine.dispose()
        assert cfg is not None
        (entry,) = cfg.settings[STATE_KEY].values()
        return entry["uid"] if entry["uid"] >= highest else None

    assert wait_until(cursor, 10, "the IMAP cursor") == highest
    # The mailbox is left as it was: nothing flagged as read, moved or deleted.
    imap = desk.dovecot.connect(IMAP_USER)
    try:
        imap.select("INBOX", readonly=True)
        _, unseen = imap.uid("SEARCH", "UNSEEN")
        assert len(unseen[0].split()) == highest
    finally:
        imap.logout()


# --- outbound ------------------------------------------------------------------------------


def test_an_agent_reply_reaches_smtp_threaded_and_the_answer_comes_back(desk: MailDesk) -> None:
    earlier, first = mid("r0"), mid()
    desk.deliver(
        mail(first, "Wrong size", sender="Eva <eva@customer.example>",
             headers=f"References: {earlier}\r\nReply-To: eva.home@customer.example\r\n")
    )  # fmt: skip
    conv_id = desk.wait_message(first)["conversation_id"]
    message_id = desk.reply(conv_id, "We will send the right size today.\nAnna")

    (got,) = desk.smtp.wait(1)
    assert got.login == SMTP_USER
    assert got.mail_from == "support@store.example"
    assert got.rcpt_tos == ["eva.home@customer.example"]
    sent = got.message
    token = conversation_token(conv_id)
    assert sent["Subject"] == f"Re: Wrong size [#{token}]"
    assert sent["From"] == FROM
    assert sent["To"] == "eva.home@customer.example"
    assert sent["In-Reply-To"] == first
    # The chain of the conversation's mail we hold (the customer's own earlier ids, here
    # ``earlier``, are not stored; In-Reply-To is what clients thread by).
    assert sent["References"].split() == [first]
    assert sent["Message-ID"] == f"<{message_id}@{DOMAIN}>"
    assert "Auto-Submitted" not in sent
    body = sent.get_body(("plain",))
    assert body is not None and "right size today" in body.get_content()

    stored = desk.wait_status(message_id, "sent")
    assert stored["provider_message_id"] == f"<{message_id}@{DOMAIN}>"

    # The customer's client answers our Message-ID: back in the same conversation.
    answer = mid()
    raw = mail(answer, f"Re: Wrong size [#{token}]", sender="eva.home@customer.example",
               headers=f"In-Reply-To: {sent['Message-ID']}\r\n", ahead=1)  # fmt: skip
    desk.deliver(raw)
    assert desk.wait_message(answer)["conversation_id"] == conv_id
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["In-Reply-To"] == f"<{message_id}@{DOMAIN}>"

    # The next reply answers that mail and carries the whole chain, oldest first.
    second_id = desk.reply(conv_id, "Tracking number follows.")
    second = desk.smtp.wait(2)[1].message
    assert second["In-Reply-To"] == answer
    assert second["References"].split() == [first, f"<{message_id}@{DOMAIN}>", answer]
    assert second["Subject"] == f"Re: Wrong size [#{token}]"
    desk.wait_status(second_id, "sent")


def test_smtp_down_fails_with_a_reason_and_retry_sends_it(desk: MailDesk) -> None:
    first = mid()
    desk.deliver(mail(first, "Is anyone there?", sender="finn@customer.example"))
    conv_id = desk.wait_message(first)["conversation_id"]
    desk.smtp.stop()
    try:
        message_id = desk.reply(conv_id, "Yes, sorry for the wait.")
        failed = desk.wait_status(message_id, "failed")
        assert "could not reach the SMTP server" in failed["failure_reason"]
        assert "after 2 attempts" in failed["failure_reason"]
    finally:
        desk.smtp.start()

    (retried,) = desk.agent.push(("message.retry", {"message_id": message_id}))
    assert retried["status"] == "applied", retried
    (got,) = desk.smtp.wait(1)
    assert got.message["In-Reply-To"] == first
    assert desk.wait_status(message_id, "sent")["failure_reason"] is None


# --- configuration and failure ---------------------------------------------------------------


def test_channel_list_shows_email_without_secrets(desk: MailDesk) -> None:
    listed = channel_add(desk.db_url, desk.data_dir, "list")
    assert listed.returncode == 0, listed.stderr
    assert "email (enabled)" in listed.stdout
    assert "imap_host=127.0.0.1" in listed.stdout
    assert "imap_password, smtp_password (encrypted)" in listed.stdout
    assert IMAP_PASSWORD not in listed.stdout and STATE_KEY not in listed.stdout


def test_channel_add_email_refuses_incomplete_settings(
    db_url: str, tmp_path: Path, channel_key: str
) -> None:
    add_users(db_url, [])
    done = channel_add(
        db_url, tmp_path, "add", "email", "--imap-user", "x", CSDESK_IMAP_PASSWORD="p"
    )
    assert done.returncode == 2 and "--imap-host is required" in done.stderr
    args = email_args(1, 2, "--imap-security", "tls")
    done = channel_add(db_url, tmp_path, *args, CSDESK_IMAP_PASSWORD="p")
    assert done.returncode == 2 and "--imap-security must be one of" in done.stderr
    env = {k: v for k, v in os.environ.items() if k != "CSDESK_IMAP_PASSWORD"}
    done = subprocess.run(
        [sys.executable, "-m", "csdesk.server.cli", "channel", *email_args(1, 2), "--db",
         db_url, "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "CSDESK_IMAP_PASSWORD" in done.stderr


def test_a_wrong_imap_password_is_logged_and_retried_without_harm(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, channel_key: str
) -> None:
    # Its own dovecot: after a failed login dovecot delays the next one from the same address.
    dovecot = Dovecot({IMAP_USER: IMAP_PASSWORD}).start()
    proc = ServerProcess(
        db_url, log_path=tmp_path / "server.log", extra_args=["--data-dir", str(tmp_path)]
    )
    try:
        add_users(db_url, list(users.values()))
        done = channel_add(
            db_url, tmp_path, *email_args(dovecot.port, 1),
            CSDESK_IMAP_PASSWORD="not-the-password",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        dovecot.deliver(IMAP_USER, mail(mid(), "Never imported"))
        proc.start()
        log_path = tmp_path / "server.log"
        wait_until(
            lambda: True if "the IMAP server support@127.0.0.1 refused" in log_path.read_text()
            else None,
            20,
            "the wrong-password log line",
        )  # fmt: skip
        assert requests.get(proc.url + "/healthz", timeout=5).ok
        agent = Raw.signed_in(proc, users["ann"])
        changes, _ = agent.pull_all()
        assert not [c for c in changes if c["entity"] == "message"]
    finally:
        proc.stop()
        dovecot.stop()
    log = (tmp_path / "server.log").read_text()
    assert "retrying in" in log
    assert "Traceback" not in log and "not-the-password" not in log


def test_without_idle_the_mailbox_is_polled(
    db_url: str, users: dict[str, TestUser], tmp_path: Path, channel_key: str
) -> None:
    # This dovecot does not list IDLE after login, so the worker must poll.
    dovecot = Dovecot(
        {IMAP_USER: IMAP_PASSWORD}, extra_config="imap_capability = IMAP4rev1 LITERAL+ UIDPLUS\n"
    ).start()
    proc = ServerProcess(
        db_url, log_path=tmp_path / "server.log", extra_args=["--data-dir", str(tmp_path)]
    )
    try:
        imap = dovecot.connect(IMAP_USER)
        try:
            _, caps = imap.capability()
            assert b"IDLE" not in caps[0].split()
        finally:
            imap.logout()
        add_users(db_url, list(users.values()))
        args = [a if a != "30" else "1" for a in email_args(dovecot.port, 1)]  # --poll-seconds 1
        done = channel_add(db_url, tmp_path, *args, CSDESK_IMAP_PASSWORD=IMAP_PASSWORD)
        assert done.returncode == 0, done.stderr
        early = mid()
        dovecot.deliver(IMAP_USER, mail(early, "Before the server started"))
        proc.start()
        agent = Raw.signed_in(proc, users["ann"])

        def provider_ids() -> set[str]:
            changes, _ = agent.pull_all()
            return {
                c["data"]["provider_message_id"]
                for c in changes
                if c["entity"] == "message" and c["data"]
            }

        wait_until(lambda: True if early in provider_ids() else None, 15, "the first mail")
        late = mid()
        dovecot.deliver(IMAP_USER, mail(late, "While it runs"))
        wait_until(lambda: True if late in provider_ids() else None, 15, "the polled mail")
        # A restart continues after the last UID: both mails are there once, nothing else.
        proc.stop()
        proc.start()
        last = mid()
        dovecot.deliver(IMAP_USER, mail(last, "After the restart"))
        wait_until(lambda: True if last in provider_ids() else None, 15, "the mail after restart")
        changes, _ = agent.pull_all()
        messages = [c for c in changes if c["entity"] == "message" and c["data"]]
        assert len({c["id"] for c in messages}) == 3
    finally:
        proc.stop()
        dovecot.stop()
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_a_conversation_started_by_email_reaches_smtp_and_the_answer_comes_back(
    desk: MailDesk,
) -> None:
    """The shop writes first by email (conversation.start): the mail leaves through SMTP to
    the customer's verified address with the conversation's token in the subject, and the
    customer's answer files into that conversation, not a new one."""
    from tests.server.outreach import seed

    address = f"start-{uuid.uuid4().hex[:8]}@customer.example"
    state = state_for(desk.db_url, desk.data_dir)
    try:
        with state.writes() as s:
            cid = seed.customer(s, "Ines Start", kinds=(("email", address, True),))
            s.commit()
    finally:
        state.engine.dispose()
    conv_id, message_id = new_id(), new_id()
    (result,) = desk.agent.push(
        (
            "conversation.start",
            {
                "conversation_id": conv_id,
                "message_id": message_id,
                "customer_id": cid,
                "channel": "email",
                "subject": "Your order 1042 is delayed",
                "body_text": "Your parcel leaves the warehouse on Monday.\nAnna",
            },
        )
    )
    assert result["status"] == "applied", result
    (got,) = desk.smtp.wait(1)
    assert got.rcpt_tos == [address]
    sent = got.message
    token = conversation_token(conv_id)
    assert sent["Subject"] == f"Your order 1042 is delayed [#{token}]"
    assert sent["From"] == FROM and sent["To"] == address
    assert sent["Message-ID"] == f"<{message_id}@{DOMAIN}>"
    assert "In-Reply-To" not in sent  # nothing to answer: the shop wrote first
    body = sent.get_body(("plain",))
    assert body is not None and "leaves the warehouse on Monday" in body.get_content()
    desk.wait_status(message_id, "sent")

    answer = mid()
    desk.deliver(
        mail(answer, f"Re: Your order 1042 is delayed [#{token}]", body="Thank you!",
             sender=f"Ines <{address}>", headers=f"In-Reply-To: {sent['Message-ID']}\r\n",
             ahead=1)
    )  # fmt: skip
    assert desk.wait_message(answer)["conversation_id"] == conv_id
