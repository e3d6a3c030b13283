"""Inbound email against a corpus of awkward real-world shapes (tests/unit/channels/corpus)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csdesk.domain.enums import Channel, IdentityKind
from csdesk.server.channels import email_parse
from csdesk.server.channels.email_parse import is_auto_generated, parse_email
from csdesk.server.channels.inbound import InboundMessage

Load = Callable[[str], InboundMessage]
CORPUS = Path(__file__).parent / "corpus"
RECEIVED = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)  # the eml fixture's receive time


def test_corpus_is_complete_and_never_raises() -> None:
    files = sorted(CORPUS.glob("*.eml"))
    assert len(files) >= 12
    for path in files:
        msg = parse_email(path.read_bytes(), max_attachment_bytes=1024, received_at=RECEIVED)
        assert msg.channel is Channel.EMAIL
        assert msg.raw == path.read_bytes()
        assert msg.provider_message_id
        assert "\x00" not in msg.text


def test_utf8_encoded_word_subject_and_sender(eml: Load) -> None:
    msg = eml("01-subject-utf8.eml")
    assert msg.subject == "Bestellung für Zoë — Rückgabe ✓"
    assert msg.sender_name == "Zoë Müller"
    assert msg.sender_handle is not None
    assert msg.sender_handle.kind is IdentityKind.EMAIL
    assert msg.sender_handle.value == "Zoe.Mueller@example.de"  # domain lower-cased only
    assert msg.text == "Grüße, ich möchte meine Bestellung zurückgeben. 😀"
    assert msg.sent_at == datetime(2025, 3, 4, 8, 15, tzinfo=UTC)
    assert msg.to == ("support@shop.example",)
    assert msg.parse_warning is None and not msg.is_auto


def test_latin1_subject_and_body(eml: Load) -> None:
    msg = eml("02-subject-latin1.eml")
    assert msg.subject == "Réclamation commande n°42"
    assert msg.sender_name == "André Lefèvre"
    assert msg.text == "Le colis est arrivé abîmé. Merci d'avance, André"


def test_shift_jis_subject_sender_and_body(eml: Load) -> None:
    msg = eml("03-subject-shift-jis.eml")
    assert msg.subject == "注文について"
    assert msg.sender_name == "山田太郎"
    assert msg.text == "注文した商品がまだ届きません。"
    assert msg.sent_at == datetime(2025, 3, 6, 1, 30, tzinfo=UTC)


def test_rfc2231_filenames(eml: Load) -> None:
    msg = eml("04-rfc2231-filename.eml")
    names = [a.filename for a in msg.attachments]
    assert names == ["€ Rechnung März.pdf", "Bestätigung Teil 2.csv"]
    pdf = msg.attachments[0]
    assert pdf.content_type == "application/pdf"
    assert pdf.data is not None and pdf.data.startswith(b"%PDF-1.4")
    assert pdf.size == len(pdf.data) and not pdf.inline
    assert msg.text == "See attached."


def test_related_inline_cid_image_is_kept(eml: Load) -> None:
    msg = eml("05-related-inline-cid.eml")
    (image,) = msg.attachments
    assert image.inline and image.content_id == "damage123@example.org"
    assert image.data is not None and image.data.startswith(b"\x89PNG")
    assert msg.html is not None and 'src="cid:damage123@example.org"' in msg.html
    assert msg.text == "The box looked like this:"  # derived from the HTML


def test_attachment_over_limit_keeps_metadata_only(eml: Load) -> None:
    msg = eml("06-attachment-over-limit.eml")
    video, receipt = msg.attachments
    assert video.filename == "problem.mp4" and video.data is None
    assert video.size is not None and video.size > 1024
    assert receipt.data == b"tiny receipt"  # the newline before a boundary belongs to it
    assert receipt.size == 12
    assert msg.parse_warning is not None and "problem.mp4" in msg.parse_warning


def test_html_only_is_sanitized_and_text_derived(eml: Load) -> None:
    msg = eml("07-html-only-script-remote-img.eml")
    html = msg.html
    assert html is not None
    for forbidden in (
        "<script",
        "onload",
        "onclick",
        "javascript:",
        "<iframe",
        "steal()",
        "hidden title",
        "url(",
        ' src="http',
    ):
        assert forbidden not in html, forbidden
    assert 'data-blocked-src="https://tracker.example/open.gif?u=42&amp;c=7"' in html
    assert 'data-blocked-src="http://cdn.example/banner.png"' in html
    assert 'href="https://shop.example/orders/42"' in html
    assert "color:blue" in html
    assert msg.text == "Hello agent\n\nPlease click here or see your order.\n\nThanks"


def test_windows_1252_body(eml: Load) -> None:
    msg = eml("08-windows-1252.eml")
    assert msg.text == "The price was €45 – “free shipping” they said…"
    assert msg.parse_warning is None


def test_unknown_charset_is_decoded_with_warning(eml: Load) -> None:
    msg = eml("09-unknown-charset.eml")
    assert msg.text.startswith("nuqneH, order 77 ")
    assert "\ufffd" in msg.text and msg.text.endswith("arrived broken")
    assert msg.subject is not None and msg.subject.startswith("Qapla")
    assert msg.parse_warning is not None and "x-klingon" in msg.parse_warning


def test_bounce_report(eml: Load) -> None:
    msg = eml("10-bounce-report.eml")
    assert msg.is_auto
    assert msg.text.startswith("This is the mail system.")
    names = [a.filename for a in msg.attachments]
    assert names == ["delivery-status.txt", "attached-message.eml"]
    original = msg.attachments[1].data
    assert original is not None and b"[#ORD777]" in original
    assert msg.attachments[0].data is not None and b"Status: 5.1.1" in msg.attachments[0].data


def test_auto_reply(eml: Load) -> None:
    msg = eml("11-auto-reply.eml")
    assert msg.is_auto
    assert msg.thread.in_reply_to == "<reply-1@shop.example>"


def test_truncated_message_keeps_what_arrived(eml: Load) -> None:
    msg = eml("12-truncated.eml")
    assert msg.text == "The first part made it."
    assert [a.filename for a in msg.attachments] == ["photo.jpg"]
    assert msg.parse_warning is not None and "CloseBoundaryNotFoundDefect" in msg.parse_warning


def test_garbage_bytes(eml: Load) -> None:
    msg = eml("13-garbage.eml")
    assert msg.sender_handle is None
    assert msg.provider_message_id.startswith("sha256:")
    assert msg.sent_at == RECEIVED
    assert "GARBAGE" in msg.text and "still junk" in msg.text
    assert not any(c in msg.text for c in "\x00\x01\x1b\r")
    assert msg.parse_warning is not None and "missing From" in msg.parse_warning


def test_missing_headers(eml: Load) -> None:
    msg = eml("14-missing-headers.eml")
    assert msg.subject == "no sender, no date, no id"
    assert msg.text == "Can someone call me back?"
    assert msg.sender_handle is None and msg.sent_at == RECEIVED
    assert msg.thread.message_id is None
    # No sender is worth saying; a made-up Date or Message-ID loses nothing of the mail.
    assert msg.parse_warning == "missing From"
    again = parse_email((CORPUS / "14-missing-headers.eml").read_bytes())
    assert again.provider_message_id == msg.provider_message_id  # stable for de-duplication


def test_nested_multipart(eml: Load) -> None:
    msg = eml("15-nested-multipart.eml")
    assert msg.text == "Nested plain text."
    assert msg.html is not None and 'src="cid:logo@shop"' in msg.html
    assert "enriched" not in msg.text  # another rendering of the same body, not content
    names = [(a.filename, a.inline) for a in msg.attachments]
    assert names == [
        ("attachment-1.png", True),
        ("label.pdf", False),
        ("attached-message.eml", False),
    ]
    assert msg.attachments[0].content_id == "logo@shop"
    assert msg.to == ("support@shop.example", "SALES@shop.example")
    assert msg.cc == ("boss@example.com",)
    assert msg.reply_to == "replies@example.com"


def test_reply_threading_crlf_and_raw_8bit_header(eml: Load) -> None:
    msg = eml("16-reply-crlf-8bit-header.eml")
    assert msg.sender_name == "Jörg Krämer"
    assert msg.text == "Still waiting – any news?"
    assert msg.thread.message_id == "<reply-16@example.de>"
    assert msg.thread.in_reply_to == "<reply-1@shop.example>"
    assert msg.thread.references == ("<first-0@example.de>", "<reply-1@shop.example>")
    assert email_parse.extract_token(msg.subject) == "AB12CD"
    assert msg.sent_at == datetime(2025, 3, 17, 9, 0, tzinfo=UTC)  # "-0000" read as UTC


def test_internal_failure_still_returns_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object) -> InboundMessage:
        raise RecursionError("parser blew up")

    monkeypatch.setattr(email_parse, "_parse", explode)
    raw = b"From: a@b.example\r\nSubject: x\r\n\r\nbody survives\r\n"
    msg = parse_email(raw, received_at=RECEIVED)
    assert msg.raw == raw
    assert msg.text == "body survives"
    assert msg.parse_warning == "message could not be parsed (RecursionError)"
    assert msg.sent_at == RECEIVED


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("Auto-Submitted: auto-generated\n", True),
        ("Auto-Submitted: no\n", False),
        ("Precedence: bulk\n", True),
        ("Precedence: list\n", False),  # a person writing through a group address
        ("Precedence: junk\n", True),
        ("X-Autorespond: yes\n", True),
        ("X-Autoreply: yes\n", True),
        ("Return-Path: <>\n", True),
        ("Return-Path: <a@b.example>\n", False),
        ("", False),
    ],
)
def test_auto_detection_headers(headers: str, expected: bool) -> None:
    raw = f"From: a@b.example\nSubject: s\n{headers}\nbody\n".encode()
    assert parse_email(raw).is_auto is expected


def test_mailer_daemon_sender_is_auto() -> None:
    from email import message_from_bytes, policy

    raw = b"From: MAILER-DAEMON@mx.example\nSubject: failure\n\nx\n"
    assert is_auto_generated(message_from_bytes(raw, policy=policy.default))


def test_nesting_bomb_is_bounded() -> None:
    depth = 60
    parts = [f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth)]
    raw = ("From: a@b.example\n" + "".join(parts) + "Content-Type: text/plain\n\ndeep\n").encode()
    msg = parse_email(raw)
    assert msg.parse_warning is not None and "nested" in msg.parse_warning


def test_path_traversal_filename_is_stripped(eml: Load) -> None:
    msg = eml("15-nested-multipart.eml")
    assert all("/" not in a.filename and ".." not in a.filename for a in msg.attachments)


def test_naive_received_at_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="received_at"):
        parse_email(b"Subject: x\n\nbody\n", received_at=datetime(2025, 1, 1))
