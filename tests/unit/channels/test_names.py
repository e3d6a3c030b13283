"""What may become a customer's name: text a sender chose, unless it poses as an address."""

from __future__ import annotations

import pytest

from csdesk.domain.enums import IdentityKind
from csdesk.server.channels.calls import caller_name
from csdesk.server.channels.customers import display_name, has_real_name, usable_name
from csdesk.server.channels.inbound import Handle
from csdesk.storage import models as m

SENDER = [Handle(IdentityKind.EMAIL, "mallory@evil.example")]


@pytest.mark.parametrize(
    "raw",
    [
        "support@store.example",  # the shop's own address
        "ceo@bank.example",
        "CEO <ceo@bank.example>",
        "ceo @ bank.example",
        "Billing (billing@store.example)",
        "+1 415 555 0100",
        "(415) 555-0100",
        "   ",
        "\x00\x1b",
        None,
        # Look-alikes the outside review found accepted: fullwidth and small commercial at,
        # fullwidth plus and digits (a name is compared in its NFKC form).
        "ceo\uff20bank.example",
        "ceo\ufe6bbank.example",
        "\uff0b14155550100",
        "\uff08\uff14\uff11\uff15\uff09 555-0100",
        "ceo@bank\u3002example",
        "ceo@bank\uff61example",
    ],
)
def test_an_address_or_a_number_is_no_name(raw: str | None) -> None:
    assert usable_name(raw) is None
    assert display_name(raw, SENDER) == "mallory@evil.example"  # the real address instead


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Ana Lima", "Ana Lima"),
        ("  Mia   Kovač \r\n", "Mia Kovač"),
        ("O'Brien & Sons", "O'Brien & Sons"),
        ("Agent 007", "Agent 007"),
        ("<b>Jo</b>", "<b>Jo</b>"),  # kept as text; every view shows it plain
    ],
)
def test_a_name_is_kept_as_plain_text(raw: str, name: str) -> None:
    assert usable_name(raw) == name
    assert display_name(raw, SENDER) == name


@pytest.mark.parametrize(
    ("name", "real"),
    [
        ("Ana Lima", True),
        ("+14155550100", False),
        ("ana@example.org", False),
        ("Website visitor", False),
        ("Unknown sender", False),
        ("Withheld number", False),
        ("Telegram 12345", False),
    ],
)
def test_only_a_given_name_is_a_real_name(name: str, real: bool) -> None:
    assert has_real_name(m.Customer(name=name)) is real


@pytest.mark.parametrize("raw", ["WIRELESS CALLER", "Unavailable", "anonymous", "+14155550100"])
def test_carrier_placeholders_are_no_caller_name(raw: str) -> None:
    assert caller_name(raw) is None


def test_a_caller_name_is_short_plain_text() -> None:
    assert caller_name("SMITH  JOHN\n") == "SMITH JOHN"
    assert caller_name("x" * 500) == "x" * 100
