"""Side conversations' sending edges (docs/side-conversations.md), on SQLite and PostgreSQL with
a real dovecot and SMTP sink around a live server whose mailbox sends at most 3,000 bytes of
files per mail: a forward that failed (the SMTP server down past the attempts) is sent again
by ``side.retry``; a forwarded thread carries its files, the newest first, as far as they fit,
and names the others in the mail (and in the text the desk shows)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from csdesk.domain import side_mail as rules
from tests.helpers.data import new_id
from tests.helpers.http import Raw
from tests.helpers.mail import Dovecot, SmtpSink
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels import test_email_channel as email_tests
from tests.server.channels.support import wait_until
from tests.server.channels.test_email_channel import MailDesk, mid

SUPPLIER = "claims@carrier.example"
LIMIT = 3000


@pytest.fixture(scope="module")
def small_desk(
    backend: str,
    shared_users: dict[str, TestUser],
    channel_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MailDesk]:
    """The email tests' desk, its mailbox limited to ``LIMIT`` bytes of files per mail."""
    dovecot = Dovecot({email_tests.IMAP_USER: email_tests.IMAP_PASSWORD}).start()
    smtp = SmtpSink(email_tests.SMTP_USER, email_tests.SMTP_PASSWORD).start()
    proc: ServerProcess | None = None
    try:
        add_users(backend, list(shared_users.values()))
        data_dir = tmp_path_factory.mktemp("data")
        done = email_tests.channel_add(
            backend,
            data_dir,
            *email_tests.email_args(dovecot.port, smtp.port, "--max-attachment-bytes", str(LIMIT)),
            CSDESK_IMAP_PASSWORD=email_tests.IMAP_PASSWORD,
            CSDESK_SMTP_PASSWORD=email_tests.SMTP_PASSWORD,
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
    finally:
        if proc is not None:
            proc.stop()
        smtp.stop()
        dovecot.stop()


@pytest.fixture
def desk(small_desk: MailDesk) -> MailDesk:
    small_desk.smtp.clear()
    return small_desk


def _file(name: str, size: int) -> tuple[str, bytes]:
    return name, bytes((n * 7 + len(name)) % 256 for n in range(size))


def _mail_with_files(
    message_id: str, subject: str, text: str, files: list[tuple[str, bytes]], headers: str = ""
) -> bytes:
    parts = [
        f"From: Ana Lima <ana@customer.example>\r\nTo: {email_tests.FROM}\r\n"
        f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n{headers}MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    ]
    for name, data in files:
        parts.append(
            "--b\r\nContent-Type: application/octet-stream\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(data).decode().replace("\n", "\r\n")
        )
    parts.append("--b--\r\n")
    return "".join(parts).encode()


def _forward(desk: MailDesk, conv_id: str) -> tuple[str, str, dict[str, Any]]:
    side_id, out_id = new_id(), new_id()
    args = {"side_id": side_id, "out_id": out_id, "conversation_id": conv_id,
            "to_address": SUPPLIER, "note": "Damage claim, see below."}  # fmt: skip
    (result,) = desk.agent.push(("side.forward", args))
    return side_id, out_id, result


def _side_message(desk: MailDesk, out_id: str, status: str, timeout: float = 60) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        row = desk.entities("side_message").get(out_id)
        return row if row is not None and row["status"] == status else None

    return wait_until(probe, timeout, f"side mail {out_id} {status}")


def test_a_failed_forward_is_sent_again_by_retry(desk: MailDesk) -> None:
    first = mid()
    desk.deliver(email_tests.mail(first, "Parcel crushed", "The box arrived crushed."))
    conv_id = desk.wait_message(first, timeout=60)["conversation_id"]
    desk.smtp.stop()
    try:
        _side, out_id, result = _forward(desk, conv_id)
        assert result["status"] == "applied", result
        failed = _side_message(desk, out_id, "failed")  # after the backoff's 2 attempts
        assert "SMTP" in failed["failure_reason"]
    finally:
        desk.smtp.start()
    (early,) = desk.agent.push(("side.retry", {"side_message_id": "no-such-mail"}))
    assert early["status"] == "rejected" and early["reason"]["code"] == "not_found"
    (again,) = desk.agent.push(("side.retry", {"side_message_id": out_id}))
    assert again["status"] == "applied", again
    (got,) = desk.smtp.wait(1, timeout=60)
    assert got.rcpt_tos == [SUPPLIER]
    assert "The box arrived crushed." in got.message.get_content()
    sent = _side_message(desk, out_id, "sent")
    assert sent["failure_reason"] is None
    assert got.message["Message-ID"] == sent["provider_message_id"]
    # Sent now: nothing to retry (a clear refusal, no second mail).
    (twice,) = desk.agent.push(("side.retry", {"side_message_id": out_id}))
    assert twice["status"] == "rejected" and twice["reason"]["code"] == "conflict"
    assert "has not failed" in twice["reason"]["message"]


def test_a_forwarded_thread_carries_the_files_that_fit_and_names_the_others(
    desk: MailDesk,
) -> None:
    old, newer, small = _file("old-photo.bin", 2000), _file("label.bin", 1500), _file("a.bin", 400)
    first = mid()
    desk.deliver(_mail_with_files(first, "Broken vase", "Photo of the vase.", [old]))
    conv_id = desk.wait_message(first, timeout=60)["conversation_id"]
    second = mid()
    desk.deliver(
        _mail_with_files(second, "Re: Broken vase", "And the label.", [newer, small],
                         headers=f"In-Reply-To: {first}\r\n")
    )  # fmt: skip
    assert desk.wait_message(second)["conversation_id"] == conv_id
    _side, out_id, result = _forward(desk, conv_id)
    assert result["status"] == "applied", result
    (got,) = desk.smtp.wait(1, timeout=60)
    mail = got.message
    attached = {p.get_filename(): p.get_content() for p in mail.iter_attachments()}
    # The newest message's files fit (1,900 bytes); the older 2,000 would pass 3,000.
    assert attached == {newer[0]: newer[1], small[0]: small[1]}
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Photo of the vase." in text and "And the label." in text
    assert f"({rules.FILES_LEFT_OUT}, over the " in text
    tail = text[text.index(rules.FILES_LEFT_OUT) :]
    assert "old-photo.bin" in tail and "label.bin" not in tail
    # The desk's copy says the same (it shows what went out).
    sent = _side_message(desk, out_id, "sent")
    assert rules.FILES_LEFT_OUT in sent["body_text"] and "old-photo.bin" in sent["body_text"]


def test_a_thread_within_the_limit_carries_all_its_files_and_no_warning(desk: MailDesk) -> None:
    one = _file("receipt.bin", 900)
    first = mid()
    desk.deliver(_mail_with_files(first, "Refund", "Receipt attached.", [one]))
    conv_id = desk.wait_message(first, timeout=60)["conversation_id"]
    _side, out_id, result = _forward(desk, conv_id)
    assert result["status"] == "applied", result
    (got,) = desk.smtp.wait(1, timeout=60)
    assert [(p.get_filename(), p.get_content()) for p in got.message.iter_attachments()] == [one]
    assert rules.FILES_LEFT_OUT not in got.message.get_body(("plain",)).get_content()
    assert rules.FILES_LEFT_OUT not in _side_message(desk, out_id, "sent")["body_text"]
