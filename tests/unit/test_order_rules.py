"""What earlier order actions took: refunds that count, quantities per line, fulfilment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from csdesk.domain.order_rules import has_left, refunded, taken


@dataclass
class Row:
    kind: str
    status: str
    amount_cents: int | None = None
    args: dict[str, Any] = field(default_factory=dict)


def _lines(*pairs: tuple[str, int]) -> dict[str, Any]:
    return {"lines": [{"line_id": lid, "quantity": q} for lid, q in pairs]}


def test_declined_and_refused_refunds_do_not_count_waiting_ones_do() -> None:
    rows = [
        Row("refund", "done", 500),
        Row("refund", "awaiting_approval", 700),
        Row("refund", "sending", 100),
        Row("refund", "declined", 9000),
        Row("refund", "refused", 9000),
        Row("note", "done"),
    ]
    assert refunded(rows) == 1300


def test_returns_and_exchanges_share_their_lines_refunds_and_resends_do_not() -> None:
    rows = [
        Row("return", "done", args=_lines(("a", 1))),
        Row("exchange", "sending", args=_lines(("a", 1), ("b", 2))),
        Row("exchange", "refused", args=_lines(("a", 5))),
        Row("refund", "done", 100, _lines(("a", 3))),
        Row("resend", "done", args=_lines(("b", 1))),
        Row("return", "done", args={"lines": [{"line_id": "a", "quantity": "9"}, "junk"]}),
    ]
    assert taken(rows, "return") == {"a": 2, "b": 2}
    assert taken(rows, "exchange") == {"a": 2, "b": 2}
    assert taken(rows, "refund") == {"a": 3}
    assert taken(rows, "resend") == {"b": 1}


def test_a_label_alone_does_not_fulfil_an_order() -> None:
    assert not has_left("label_created", None)
    assert has_left("label_created", datetime.now(UTC))
    assert has_left("in_transit", None)
    assert has_left("delivered", None)
