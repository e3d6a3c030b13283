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
    assert lines[2].startswith("Customer since 1 Mar 2025")
    assert lines[3] == "Tags: vip, late"
    assert all("c-1" not in line for line in lines)  # no internal id on screen


def test_the_merge_preview_says_what_moves_without_internal_ids() -> None:
    from csdesk.app.customers import MergePreview
    from csdesk.ui.panels.customer_merge import preview_text

    text = preview_text(
        MergePreview(
            source_name="Ann L",
            target_name="Ann Lee",
            conversations=2,
            identities=(("chat_visitor", "bf9e7fbd198b4597"), ("email", "ann@x.test")),
            orders=("FH-1", "FH-2"),
            filled=(("phone", "+442079460958"),),
        )
    )
    assert text.splitlines() == [
        "Merge Ann L into Ann Lee?",
        "Ann Lee is kept; Ann L is folded into it. You can undo this afterwards.",
        "2 conversations move.",
        "Identities that move: Chat visitor, Email ann@x.test.",
        "Orders that move: FH-1, FH-2.",
        "Ann Lee gains the phone +442079460958.",
    ]
