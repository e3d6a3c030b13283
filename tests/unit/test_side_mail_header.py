"""``domain/side_mail`` rules that let a forward be accepted and then fail at the mailer (found by
an outside review): line breaks Python's email package refuses, an address only SMTPUTF8 takes."""

from __future__ import annotations

import pytest

from csdesk.domain import side_mail as rules
from csdesk.server.channels.email_reply import build_reply


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"])
def test_a_clean_subject_can_always_be_a_mail_header(sep: str) -> None:
    """``clean_subject`` promises one line, but keeps what ``str.splitlines`` (and so
    ``email.policy.SMTP``) treats as a line break: the mailer then fails the forward."""
    subject = rules.subject_with_token(rules.clean_subject(f"Kettle{sep}broken"), "SABCDEF012345")
    build_reply(
        from_addr="support@shop.example", to=["orders@supplier.example"], subject=subject,
        text="hi", msgid_domain="shop.example",
    )  # fmt: skip


def test_an_idn_address_is_kept_in_its_ascii_form() -> None:
    """The domain is checked as punycode but kept in Unicode: the SMTP envelope then needs
    SMTPUTF8, and a relay without it fails the forward for good ("smtp_unsupported")."""
    assert rules.check_address("orders@bücher.example") == "orders@xn--bcher-kva.example"
