"""Outbound replies: threading headers, subject token, no Auto-Submitted, safe headers."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from csdesk.server.channels.email_parse import parse_email
from csdesk.server.channels.email_reply import (
    build_reply,
    embed_token,
    extract_token,
    reference_chain,
    reply_subject,
)

WHEN = datetime(2025, 3, 18, 10, 0, tzinfo=UTC)


def reply(**overrides: object) -> bytes:
    args: dict[str, object] = {
        "from_addr": "Shop Support <support@shop.example>",
        "to": ["Jörg Krämer <joerg@example.de>"],
        "cc": ["boss@example.com"],
        "subject": "Where is my order?",
        "text": "It ships tomorrow.\n\n— Ann, Shop Support",
        "html": "<p>It ships <b>tomorrow</b>.</p>",
        "token": "ab12cd",
        "in_reply_to": "<reply-16@example.de>",
        "references": ["<first-0@example.de>", "<reply-1@shop.example>"],
        "msgid_domain": "desk.shop.example",
        "date": WHEN,
    }
    args.update(overrides)
    return build_reply(**args).as_bytes()  # type: ignore[arg-type]


def test_reply_headers() -> None:
    msg = message_from_bytes(reply(), policy=policy.default)
    assert msg["Subject"] == "Re: Where is my order? [#AB12CD]"
    assert msg["In-Reply-To"] == "<reply-16@example.de>"
    assert msg["References"].split() == [
        "<first-0@example.de>",
        "<reply-1@shop.example>",
        "<reply-16@example.de>",
    ]
    assert msg["Message-ID"].endswith("@desk.shop.example>")
    assert "Auto-Submitted" not in msg
    assert msg["Date"].datetime == WHEN
    assert msg["To"].addresses[0].addr_spec == "joerg@example.de"
    assert msg["To"].addresses[0].display_name == "Jörg Krämer"
    assert msg["Cc"].addresses[0].addr_spec == "boss@example.com"


def test_reply_body_alternatives() -> None:
    msg = message_from_bytes(reply(), policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and "It ships tomorrow." in plain.get_content()
    assert html is not None and "<b>tomorrow</b>" in html.get_content()
    text_only = message_from_bytes(reply(html=None), policy=policy.default)
    assert text_only.get_content_type() == "text/plain"


def test_reply_roundtrips_through_our_parser() -> None:
    parsed = parse_email(reply())
    assert extract_token(parsed.subject) == "AB12CD"
    assert parsed.thread.in_reply_to == "<reply-16@example.de>"
    assert not parsed.is_auto
    assert parsed.sender_handle is not None
    assert parsed.sender_handle.value == "support@shop.example"


def test_new_message_without_parent_has_no_re_prefix() -> None:
    msg = message_from_bytes(reply(in_reply_to=None, references=[]), policy=policy.default)
    assert msg["Subject"] == "Where is my order? [#AB12CD]"
    assert "In-Reply-To" not in msg and "References" not in msg


def test_header_injection_is_refused_or_neutralized() -> None:
    msg = message_from_bytes(reply(subject="Hi\r\nBcc: victim@example.com"), policy=policy.default)
    assert "Bcc" not in msg
    assert msg["Subject"] == "Re: Hi Bcc: victim@example.com [#AB12CD]"
    with pytest.raises(ValueError):
        reply(to=["a@example.com\r\nBcc: victim@example.com"])
    with pytest.raises(ValueError):
        reply(to=[])
    with pytest.raises(ValueError, match="Message-ID"):
        reply(in_reply_to="not an id")


def test_idn_recipient_domain_goes_out_as_punycode() -> None:
    raw = reply(to=["kunde@bücher.de"])
    assert b"kunde@xn--bcher-kva.de" in raw


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Order 5", "Order 5 [#ABC123]"),
        ("Re: Order 5 [#OLD999]", "Re: Order 5 [#ABC123]"),
        ("[#ABC123] Order 5", "Order 5 [#ABC123]"),
        ("", "[#ABC123]"),
    ],
)
def test_embed_token(subject: str, expected: str) -> None:
    assert embed_token(subject, "abc123") == expected


def test_embed_token_rejects_bad_tokens() -> None:
    for bad in ("ab", "has space", "x" * 21, "[#X]"):
        with pytest.raises(ValueError):
            embed_token("s", bad)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("AW: Bestellung [#ab12cd]", "AB12CD"),
        ("Re: [#OLD111] then [#NEW222]", "NEW222"),
        ("Order #123", None),
        ("[#AB]", None),
        (None, None),
    ],
)
def test_extract_token(subject: str | None, expected: str | None) -> None:
    assert extract_token(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hello", "Re: Hello"),
        ("RE: Hello", "RE: Hello"),
        ("AW: Hallo", "AW: Hallo"),
        ("Sv: Hej", "Sv: Hej"),
        ("Re[2]: Hi", "Re[2]: Hi"),
        (None, "Re:"),
        ("Regarding: x", "Re: Regarding: x"),
    ],
)
def test_reply_subject(subject: str | None, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_reference_chain_dedupes_and_trims() -> None:
    refs = [f"<m{i}@x.example>" for i in range(30)]
    chain = reference_chain([*refs, "m3@x.example"], "<new@x.example>")
    assert len(chain) == 20
    assert chain[0] == "<m0@x.example>" and chain[-1] == "<new@x.example>"
    assert len(set(chain)) == len(chain)
