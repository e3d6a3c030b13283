"""The SMTP half on its own: what each SMTP outcome means for the dispatcher's retries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from csdesk.server.channels.email_outbound import check_email_settings, send_smtp
from csdesk.server.channels.email_reply import build_reply
from tests.helpers.mail import SmtpSink
from tests.helpers.server import free_port

USER, PASSWORD = "relay", "relay-pass"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    running = SmtpSink(USER, PASSWORD).start()
    try:
        yield running
    finally:
        running.stop()


def _settings(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_user": USER,
        **extra,
    }


def _send(port: int, password: str = PASSWORD, **extra: Any) -> Any:
    mail = build_reply(
        from_addr="Store <support@store.example>",
        to=["ana@customer.example"],
        subject="Order",
        text="Hello",
        msgid_domain="store.example",
    )
    return send_smtp(
        _settings(port, **extra), password, mail, "support@store.example", ["ana@customer.example"]
    )


def test_a_sent_mail_reports_its_message_id(sink: SmtpSink) -> None:
    result = _send(sink.port)
    assert result.ok
    (got,) = sink.wait(1)
    assert result.provider_message_id == got.message["Message-ID"]


def test_a_refused_login_fails_at_once(sink: SmtpSink) -> None:
    result = _send(sink.port, password="wrong")
    assert not result.ok and not result.retryable
    assert "refused the login for 'relay'" in (result.error_message or "")
    assert "wrong" not in (result.error_message or "")


@pytest.mark.parametrize(("answer", "retryable"), [("550 5.1.1 No such user", False),
                                                   ("451 4.3.0 Try later", True)])  # fmt: skip
def test_permanent_and_temporary_refusals(sink: SmtpSink, answer: str, retryable: bool) -> None:
    sink.rcpt_answer = answer
    result = _send(sink.port)
    assert not result.ok and result.retryable is retryable
    assert answer.split(" ", 1)[1] in (result.error_message or "")
    assert sink.received == []


def test_an_unreachable_server_is_retryable() -> None:
    result = _send(free_port())
    assert not result.ok and result.retryable and result.error_code == "network"
    assert "could not reach the SMTP server 127.0.0.1:" in (result.error_message or "")


def test_settings_get_defaults_and_are_checked() -> None:
    out: dict[str, Any] = {
        "imap_host": "imap.store.example",
        "imap_user": "support",
        "smtp_host": "smtp.store.example",
        "from_address": "Store Support <support@store.example>",
        "msgid_domain": "store.example",
    }
    check_email_settings(out)
    assert out["imap_security"] == "ssl" and out["imap_port"] == 993
    assert out["smtp_security"] == "starttls" and out["smtp_port"] == 587
    assert out["mailbox"] == "INBOX"
    with pytest.raises(ValueError, match="--msgid-domain"):
        check_email_settings({**out, "msgid_domain": "<x@store.example>"})
    with pytest.raises(ValueError, match="--from"):
        check_email_settings({**out, "from_address": "Store Support"})
