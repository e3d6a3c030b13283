"""An order csdesk read only in part from the store (more lines, shipments, refunds or returns
than the Shopify connector reads, issue 11) says so in the customer view, in words; an order
read whole says nothing of the kind."""

from __future__ import annotations

from datetime import UTC, datetime

from pytestqt.qtbot import QtBot

from csdesk.app.thread import CustomerContext, OrderView
from csdesk.ui.panels.customer import CustomerDetails

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _order(number: str, incomplete: tuple[str, ...]) -> OrderView:
    return OrderView(
        number=number, status="shipped", total_cents=12000, currency="EUR", placed_at=NOW,
        shipments=(), returns=(("refunded", "Refund 1", 10),), id=f"o-{number}",
        incomplete=incomplete,
    )  # fmt: skip


def test_the_customer_view_says_which_order_was_read_in_part(qtbot: QtBot) -> None:
    details = CustomerDetails()
    qtbot.addWidget(details)
    ctx = CustomerContext(
        id="c1", name="Ana Lima", email=None, phone=None, language="en",
        timezone="Europe/Lisbon", tags=(), loyalty_tier="", loyalty_points=0, identities=(),
        orders=(_order("#1001", ("lines", "refunds")), _order("#1002", ())),
    )  # fmt: skip
    details.show_customer(ctx)
    text = details.toPlainText()
    sentence = "Not read whole from the store: lines, refunds (more than csdesk reads)."
    assert text.count(sentence) == 1
    assert text.index("#1001") < text.index(sentence) < text.index("#1002")
    assert "The store's admin shows them all." in text
