"""The customer record's words: the card's figures and the timeline's profile sentences, from
the server's numbers and events, with no internal id on screen."""

from __future__ import annotations

from datetime import UTC, datetime

from csdesk.app.thread import CustomerContext, StatsView
from csdesk.app.timeline import profile_sentence
from csdesk.storage import models as m
from csdesk.ui.panels.customer_card import figures


def _ctx(stats: StatsView | None) -> CustomerContext:
    return CustomerContext(
        id="c-1", name="Ann", email=None, phone=None, language="en", timezone="UTC", tags=(),
        loyalty_tier="none", loyalty_points=0, identities=(), orders=(), stats=stats,
    )  # fmt: skip


def test_figures_in_words() -> None:
    assert figures(_ctx(None)) == ["Lifetime value: not computed yet"]
    st = StatsView(
        currency="EUR",
        order_count=3,
        lifetime_value_cents=123_450,
        average_order_cents=41_150,
        return_rate_bp=3_333,
        other_currency_orders=2,
        last_contact_at=datetime(2025, 3, 1, 12, tzinfo=UTC),
    )
    lines = figures(_ctx(st))
    assert lines[0] == "Lifetime value: €1,234.50"  # CLDR, British English (app.formats)
    assert lines[1] == "3 orders, average €411.50"
    assert lines[2] == "Return rate: 33.33 %"
    assert lines[3].startswith("Last contact: 1 Mar 2025")
    assert lines[4] == "2 orders in other currencies are not counted"
    none = StatsView("USD", 0, 0, 0, 0, 0, None)
    assert figures(_ctx(none)) == ["Lifetime value: US$0.00", "No orders in USD",
                                   "Return rate: 0 %", "No contact yet"]  # fmt: skip


def _event(kind: str, **data: object) -> m.CustomerEvent:
    return m.CustomerEvent(
        id="e-1", customer_id="c-1", kind=kind, actor_name="Bob", data=dict(data)
    )


def test_profile_changes_in_words() -> None:
    assert profile_sentence(_event("edited", fields=["email", "notes"])) == (
        "Bob changed the profile: email, notes."
    )
    assert profile_sentence(_event("merged_in", other_name="Ann L", conversations=2)) == (
        "Bob merged Ann L into this profile (2 conversations moved here)."
    )
    assert profile_sentence(_event("merged_away", other_name="Ann Lee")) == (
        "Bob merged this profile into Ann Lee."
    )
    linked = _event("conversation_linked_here", other_name="Ann L", subject="Late  parcel")
    assert profile_sentence(linked) == (
        "Bob linked the conversation Late parcel to this customer (it was filed under Ann L)."
    )
    away = _event("conversation_linked_away", other_name="Ann Lee", subject="")
    assert profile_sentence(away) == "Bob linked a conversation to Ann Lee."
    assert "c-1" not in profile_sentence(_event("unmerged", other_name="Ann Lee"))


def test_a_survey_answer_in_words() -> None:
    ev = _event("survey_answered", csat=2, nps=3, ces=None, comment="Slow\nreply", subject="Zip")
    assert profile_sentence(ev) == (
        "The customer rated the conversation Zip 2 out of 5. Would recommend us: 3 out of 10. "
        "Comment: Slow reply"
    )
    plain = _event("survey_answered", csat=5, subject="")
    assert profile_sentence(plain) == "The customer rated a conversation 5 out of 5."
