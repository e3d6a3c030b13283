"""The customer card's words: initials and facts, from the customer's own text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csdesk.app.thread import CustomerContext
from csdesk.ui.panels.customer_card import facts, initials


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Ann Lee", "AL"), ("ann", "A"), ("Jean-Luc de la Fontaine", "JF"), ("", "?"), ("<b>", "?")],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_facts_in_words() -> None:
    ctx = CustomerContext(
        id="c-1", name="Ann", email=None, phone=None, language="de", timezone="UTC",
        tags=("vip", "late"), loyalty_tier="gold", loyalty_points=120, identities=(),
        orders=(), since=datetime(2025, 3, 1, 12, tzinfo=UTC),
    )  # fmt: skip
    lines = facts(ctx)
    assert lines[:2] == ["Language: de", "Loyalty: Gold, 120 points"]
    assert lines[2].startswith("Customer since 01 Mar 2025")
    assert lines[3] == "Tags: vip, late"
    assert all("c-1" not in line for line in lines)  # no internal id on screen
