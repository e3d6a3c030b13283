"""Canonical identities: phone numbers to E.164, email domains lower-cased."""

from __future__ import annotations

import pytest

from csdesk.server.channels.identities import normalize_email, normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 (415) 555-0100", None, "+14155550100"),
        ("(415) 555-0100", "US", "+14155550100"),
        ("(415) 555-0100", "us", "+14155550100"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", "DE", "+442079460958"),
        ("tel:+49-30-1234567", None, "+49301234567"),
        ("whatsapp:+447911123456", None, "+447911123456"),
    ],
)
def test_normalize_phone(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "fragment"),
    [
        ("", "US", "empty"),
        ("call me", "US", "not a phone number"),
        ("(415) 555-0100", None, "not a phone number"),
        ("+1 23", None, "possible"),
    ],
)
def test_normalize_phone_errors(raw: str, region: str | None, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        normalize_phone(raw, region)


def test_strict_phone_requires_assigned_range() -> None:
    # NANP exchange codes never start with 1: the length is possible, the number is not.
    assert normalize_phone("+1 415 123 4567") == "+14151234567"
    with pytest.raises(ValueError, match="assigned"):
        normalize_phone("+1 415 123 4567", strict=True)
    assert normalize_phone("+1 650 253 0000", strict=True) == "+16502530000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ann@Example.COM ", "Ann@example.com"),
        ("<ann@example.com>", "ann@example.com"),
        ("mailto:ann@example.com", "ann@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("ann@Bücher.DE", "ann@bücher.de"),
        ('"john smith"@example.com', '"john smith"@example.com'),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plainaddress",
        "@example.com",
        "ann@",
        "ann@localhost",
        "ann@-bad.com",
        "a..b@example.com",
        ".a@example.com",
        "a b@example.com",
        "ann@exa mple.com",
        "x" * 65 + "@example.com",
        "ann@" + "a" * 64 + ".com",
    ],
)
def test_normalize_email_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_email(raw)
