"""Mail a machine sent, sender checks and parse defects (issue 9, items 18, 19, 21, 24)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from csdesk.server.channels.email_parse import parse_email
from csdesk.server.channels.inbound import BouncedRecipient, InboundMessage
from tests.unit.channels.conftest import CORPUS, RECEIVED

Load = Callable[[str], InboundMessage]


# --- bounces (item 18) -------------------------------------------------------------------------


def test_a_dsn_names_the_failed_recipient_status_and_the_returned_ids(eml: Load) -> None:
    msg = eml("17-dsn-rfc822-headers.eml")
    assert msg.is_auto and msg.auto_kind == "delivery_report"
    report = msg.report
    assert report is not None
    assert report.failed == (
        BouncedRecipient(
            "gone@customer.example",
            "failed",
            "5.1.1",
            "550 5.1.1 <gone@customer.example>: Recipient address rejected: User unknown",
        ),
    )
    assert [r.action for r in report.recipients] == ["failed", "delayed"]
    # Our Message-ID first, then what it answered: the bounce is filed by these.
    assert report.original_ids == (
        "<reply-17@store.example>",
        "<c-17@customer.example>",
        "<c-16@customer.example>",
    )
    assert report.original_subject == "Re: Wrong size [#K7Q2MX]"


def test_a_dsn_with_the_whole_returned_message(eml: Load) -> None:
    msg = eml("10-bounce-report.eml")
    assert msg.auto_kind == "delivery_report" and msg.report is not None
    assert msg.report.original_ids == ("<orig-reply@shop.example>",)
    assert [(r.recipient, r.status) for r in msg.report.failed] == [
        ("nobody@example.invalid", "5.1.1")
    ]


# --- auto-replies (item 19) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ("Auto-Submitted: auto-replied\n", "auto_reply"),
        ("Auto-Submitted: auto-generated; owner-email=a@b.example\n", "auto_reply"),
        ("Auto-Submitted: no\n", None),
        ("X-Autoreply: yes\n", "auto_reply"),
        ("X-Autorespond: Out of office\n", "auto_reply"),
        ("Precedence: auto_reply\n", "auto_reply"),
        ("Precedence: bulk\n", "bulk"),
        ("Precedence: junk\n", "bulk"),
        # A person writing through a group address carries these: not automatic.
        ("Precedence: list\n", None),
        ("X-Auto-Response-Suppress: All\n", None),
        ("Return-Path: <>\n", "auto_reply"),
        ("", None),
    ],
)
def test_auto_kinds(headers: str, kind: str | None) -> None:
    msg = parse_email(f"From: a@b.example\nSubject: s\n{headers}\nbody\n".encode())
    assert (msg.auto_kind, msg.is_auto) == (kind, kind is not None)


def test_an_out_of_office_is_an_auto_reply(eml: Load) -> None:
    msg = eml("11-auto-reply.eml")
    assert msg.auto_kind == "auto_reply" and msg.report is None


# --- authentication results (item 21) ----------------------------------------------------------


def test_the_topmost_authentication_results_decide(eml: Load) -> None:
    msg = eml("18-dmarc-fail.eml")
    assert msg.sender_warning == "DMARC failed for paypal.example"


def _with_results(*values: str, authserv_id: str | None = None) -> str | None:
    head = "".join(f"Authentication-Results: {v}\n" for v in values)
    raw = f"{head}From: a@b.example\nSubject: s\n\nbody\n".encode()
    return parse_email(raw, authserv_id=authserv_id).sender_warning


def test_only_the_receiving_servers_header_counts() -> None:
    # A forged failing header below ours changes nothing, nor does a forged pass below a fail.
    assert _with_results("mx.store.example; dmarc=pass", "mx.store.example; dmarc=fail") is None
    # With the server's authserv-id configured, a topmost header from elsewhere is ignored...
    assert (
        _with_results("evil.example; dmarc=fail header.from=b.example", authserv_id="mx.store")
        is None
    )
    # ...and the run of our server's headers at the top is read together.
    assert (
        _with_results(
            "MX.store; spf=fail smtp.mailfrom=b.example",
            "mx.store; dkim=fail header.d=b.example",
            "other.example; dkim=pass",
            authserv_id="mx.store",
        )
        == "SPF and DKIM failed"
    )


@pytest.mark.parametrize(
    ("value", "warning"),
    [
        (
            "mx.example; dmarc=fail (p=none) header.from=shop.example",
            "DMARC failed for shop.example",
        ),
        ("mx.example 1; spf=fail smtp.mailfrom=b.example", "SPF failed"),
        ("mx.example; spf=fail; dmarc=pass header.from=b.example", None),  # forwarded mail
        ("mx.example; dkim=fail header.d=b.example; dkim=pass header.d=c.example", None),
        ("mx.example; dkim=fail (bad signature) header.d=b.example", "DKIM failed"),
        ("mx.example; spf=softfail; dkim=none", None),
        ("mx.example; none", None),
        ("garbage without structure", None),
    ],
)
def test_authentication_verdicts(value: str, warning: str | None) -> None:
    assert _with_results(value) == warning


# --- relayed group mail, defects, duplicates (item 24) -----------------------------------------


def test_group_relay_is_filed_under_the_original_sender(eml: Load) -> None:
    msg = eml("19-group-relay.eml")
    assert msg.sender_handle is not None
    assert msg.sender_handle.value == "jane.doe@customer.example"
    assert msg.sender_name == "Jane Doe"
    assert not msg.is_auto  # Precedence: list is a person writing through a group


def test_x_original_sender_outside_a_list_is_ignored() -> None:
    raw = (
        b"From: Ana <ana@customer.example>\nX-Original-Sender: ceo@store.example\n"
        b"Subject: s\n\nbody\n"
    )
    msg = parse_email(raw)
    assert msg.sender_handle is not None and msg.sender_handle.value == "ana@customer.example"


def test_broken_base64_in_an_attachment_is_reported(eml: Load) -> None:
    msg = eml("20-broken-base64-attachment.eml")
    assert msg.text == "Here is the invoice."
    assert msg.parse_warning is not None
    assert "invoice.pdf" in msg.parse_warning and "damaged" in msg.parse_warning


def test_a_missing_date_or_message_id_is_not_a_reading_problem(eml: Load) -> None:
    msg = eml("21-missing-date.eml")
    assert msg.sent_at == RECEIVED and msg.provider_message_id.startswith("sha256:")
    assert msg.parse_warning is None


def test_the_fingerprint_ignores_the_route_but_not_the_sender_or_body() -> None:
    raw = (CORPUS / "01-subject-utf8.eml").read_bytes()
    base = parse_email(raw).fingerprint
    assert base
    relayed = b"Received: from a by b; Thu, 1 Jan 2026 00:00:00 +0000\r\n" + raw
    assert parse_email(relayed).fingerprint == base
    other_sender = raw.replace(b"Zoe.Mueller@Example.DE", b"someone@else.example")
    assert other_sender != raw and parse_email(other_sender).fingerprint != base
    other_body = raw.replace(b"Bestellung zur", b"Bestellung nicht zur")
    assert other_body != raw and parse_email(other_body).fingerprint != base
