"""``domain.outreach``: which orders are late and why, the sentence the desk reads, and where
the shop may write first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csdesk.domain.outreach import (
    DelayReason,
    FirstContact,
    OrderFacts,
    ShipmentFacts,
    channel_candidates,
    delay_sentence,
    find_delay,
    first_contact,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _late(order: OrderFacts) -> DelayReason | None:
    found = find_delay(order, NOW, stale_days=3, ship_days=2)
    return found.reason if found else None


def _parcel(status: str = "in_transit", eta: float | None = 1, spoke: float = 0.5) -> ShipmentFacts:
    return ShipmentFacts(status, None if eta is None else NOW + eta * DAY, NOW - spoke * DAY, None)


def test_each_kind_of_delay_and_the_on_time_cases() -> None:
    placed = NOW - 6 * DAY
    assert _late(OrderFacts("shipped", placed, (_parcel("exception"),))) == DelayReason.EXCEPTION
    assert _late(OrderFacts("shipped", placed, (_parcel(eta=-1),))) == DelayReason.PAST_ETA
    assert _late(OrderFacts("shipped", placed, (_parcel(spoke=4),))) == DelayReason.STALE
    assert _late(OrderFacts("paid", placed, ())) == DelayReason.UNSHIPPED
    label_only = (_parcel("label_created", eta=None),)
    assert _late(OrderFacts("paid", placed, label_only)) == DelayReason.UNSHIPPED
    # On time, done, or not ours to chase.
    assert _late(OrderFacts("paid", NOW - DAY, ())) is None
    assert _late(OrderFacts("shipped", placed, (_parcel(),))) is None
    assert _late(OrderFacts("cancelled", placed, ())) is None
    assert _late(OrderFacts("delivered", placed, (_parcel("delivered", eta=-1),))) is None
    # An exception is the most telling: it wins over a passed ETA.
    both = (_parcel(eta=-2), _parcel("exception"))
    assert _late(OrderFacts("shipped", placed, both)) == DelayReason.EXCEPTION


def test_sentences_are_whole_and_count_days() -> None:
    late = find_delay(
        OrderFacts("shipped", NOW - 8 * DAY, (_parcel(eta=-2),)), NOW, stale_days=3, ship_days=2
    )
    assert late is not None
    assert delay_sentence("FH-1", late) == (
        f"Order FH-1 is 2 days past its estimated delivery of {(NOW - 2 * DAY):%Y-%m-%d} and "
        "not delivered."
    )
    stale = find_delay(
        OrderFacts("shipped", NOW - 8 * DAY, (_parcel(spoke=1.2 + 3),)),
        NOW,
        stale_days=3,
        ship_days=2,
    )
    assert stale is not None
    assert (
        delay_sentence("FH-2", stale, "DHL") == "Order FH-2: DHL has reported nothing for 4 days."
    )


def test_where_the_shop_may_write_first() -> None:
    recent, old = NOW - timedelta(hours=2), NOW - 3 * DAY
    assert first_contact("email", None, NOW, has_address=True)[0] is FirstContact.FREE
    assert first_contact("sms", None, NOW, has_address=True)[0] is FirstContact.FREE
    assert first_contact("whatsapp", recent, NOW, has_address=True)[0] is FirstContact.FREE
    assert first_contact("whatsapp", old, NOW, has_address=True)[0] is FirstContact.TEMPLATE
    assert first_contact("whatsapp", None, NOW, has_address=True)[0] is FirstContact.TEMPLATE
    assert first_contact("messenger", recent, NOW, has_address=True)[0] is FirstContact.FREE
    how, why = first_contact("messenger", old, NOW, has_address=True)
    assert how is FirstContact.REFUSED and why is not None and "24 hours" in why.text
    how, why = first_contact("telegram", None, NOW, has_address=False)
    assert how is FirstContact.REFUSED and why is not None and "started it" in why.text
    how, why = first_contact("sms", None, NOW, has_address=False)
    assert why is not None and why.template == "The customer has no {channel} address."
    assert why.text == "The customer has no sms address."
    assert first_contact("telegram", None, NOW, has_address=True)[0] is FirstContact.FREE
    assert first_contact("instagram", recent, NOW, has_address=True)[0] is FirstContact.REFUSED


def test_channel_candidates_prefer_the_last_used_then_verified() -> None:
    kinds = {"email": False, "phone": True, "telegram": True}
    assert channel_candidates("telegram", kinds) == ["telegram", "sms", "email"]
    assert channel_candidates(None, kinds) == ["sms", "telegram", "email"]
    assert channel_candidates("chat", kinds) == ["sms", "telegram", "email"]
    assert channel_candidates(None, {}) == []


def test_the_lists_sentence_says_the_channel_before_the_delay_sentence() -> None:
    """The delay is a sentence with its own full stop: "… not delivered. by Email." read as
    two broken sentences (outside review)."""
    from csdesk.app.outreach import OutreachItem

    item = OutreachItem(
        id="o1", customer_id="c1", customer_name="Ann Lee", order_number="SO-1",
        reason="past_eta", delay="Order SO-1 is 2 days past its estimated delivery of "
        "2026-12-01 and not delivered.", channel="email", language="en", subject="",
        message="", status="open", detail="", opted_out=False,
    )  # fmt: skip
    assert item.sentence() == (
        "Ann Lee, by Email: Order SO-1 is 2 days past its estimated delivery of 2026-12-01 "
        "and not delivered."
    )
