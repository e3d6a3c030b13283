"""Store money as integer minor units: exact per currency exponent, hostile input refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from csdesk.server.commerce.minor_units import (
    MAX_MINOR,
    BadAmount,
    exponent,
    from_minor,
    to_minor,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("29.35", "EUR", 2935),
        ("0.10", "USD", 10),
        ("0.1", "USD", 10),
        ("7", "USD", 700),
        ("0", "EUR", 0),
        ("0.00", "EUR", 0),
        ("1000", "JPY", 1000),
        ("1000.00", "JPY", 1000),  # a JPY shop configured with two decimals
        ("1.234", "KWD", 1234),
        ("1.2", "KWD", 1200),
        ("12.3456", "CLF", 123456),
        (Decimal("19.99"), "EUR", 1999),
        (5, "EUR", 500),
        ("21474836.47", "EUR", MAX_MINOR),
    ],
)
def test_exact_conversion(amount: object, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor


def test_exponents_follow_iso_4217() -> None:
    assert (exponent("JPY"), exponent("KRW"), exponent("EUR"), exponent("KWD")) == (0, 0, 2, 3)
    assert exponent("ZZZ") == 2  # unknown currencies: two decimals, as most


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("-1.00", "EUR"),  # negative
        ("10.005", "EUR"),  # more decimals than the currency has
        ("1000.5", "JPY"),
        ("1.2345", "KWD"),
        ("1e5", "EUR"),  # exponent notation
        ("NaN", "EUR"),
        ("Infinity", "EUR"),
        ("", "EUR"),
        ("12,50", "EUR"),
        ("0x10", "EUR"),
        ("21474836.48", "EUR"),  # one past what the INTEGER columns hold
        ("9" * 16, "EUR"),  # absurd
        ("1" + "0" * 400, "EUR"),
        (True, "EUR"),
        (1.5, "EUR"),  # floats are never money
        (None, "EUR"),
        (Decimal("NaN"), "EUR"),
        ("10.00", "eur"),  # not a currency code
        ("10.00", "EURO"),
        ("10.00", None),
    ],
)
def test_malformed_amounts_are_refused(amount: object, currency: object) -> None:
    with pytest.raises(BadAmount):
        to_minor(amount, currency)  # type: ignore[arg-type]


def test_negative_only_where_the_caller_expects_the_stores_sign() -> None:
    assert to_minor("-5.00", "EUR", allow_negative=True) == -500


def test_rounding_is_asked_for_and_half_up() -> None:
    assert to_minor("8.335", "EUR", rounding=True) == 834
    assert to_minor("8.334", "EUR", rounding=True) == 833
    assert to_minor("0.5", "JPY", rounding=True) == 1


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1250, "EUR", "12.50"),
        (5, "EUR", "0.05"),
        (0, "EUR", "0.00"),
        (1000, "JPY", "1000"),
        (0, "JPY", "0"),
        (1250, "KWD", "1.250"),
    ],
)
def test_back_to_the_stores_text(minor: int, currency: str, text: str) -> None:
    assert from_minor(minor, currency) == text
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize("minor", [-1, MAX_MINOR + 1, True])
def test_from_minor_refuses_out_of_range(minor: int) -> None:
    with pytest.raises(BadAmount):
        from_minor(minor, "EUR")
