"""What an order's earlier actions already took: the server checks a new action against it,
the desk offers only what is left. Standard library only; rows are any objects with ``kind``,
``status``, ``amount_cents`` and ``args`` (the ORM's ``OrderAction`` on both sides)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus

#: Actions that no longer count: nothing was or will be done.
VOID = frozenset({OrderActionStatus.DECLINED.value, OrderActionStatus.REFUSED.value})
#: Kinds whose quantities count against each other (a line returned is not exchanged too).
SAME_LINES: Mapping[str, tuple[str, ...]] = {
    OrderActionKind.REFUND.value: (OrderActionKind.REFUND.value,),
    OrderActionKind.RETURN.value: (OrderActionKind.RETURN.value, OrderActionKind.EXCHANGE.value),
    OrderActionKind.EXCHANGE.value: (OrderActionKind.RETURN.value, OrderActionKind.EXCHANGE.value),
    OrderActionKind.RESEND.value: (OrderActionKind.RESEND.value,),
}


#: A shipment in this state has not left the warehouse: the order can still be cancelled.
NOT_YET_SHIPPED = frozenset({"label_created", "pending", "unfulfilled"})


def has_left(status: str, shipped_at: object | None) -> bool:
    """Whether a shipment has left the warehouse (a label alone does not fulfil an order)."""
    return shipped_at is not None or status not in NOT_YET_SHIPPED


class ActionRow(Protocol):
    kind: str
    status: str
    amount_cents: int | None
    args: dict[str, Any]


def counts(action: ActionRow) -> bool:
    return action.status not in VOID


def refunded(actions: Iterable[ActionRow]) -> int:
    """Every refund that happened or may still happen (waiting for approval, being sent)."""
    return sum(
        a.amount_cents or 0 for a in actions if a.kind == OrderActionKind.REFUND.value and counts(a)
    )


def taken(actions: Iterable[ActionRow], kind: str) -> dict[str, int]:
    """Quantities per line id that counting actions of ``kind``'s family already took."""
    family = SAME_LINES.get(kind, (kind,))
    out: dict[str, int] = {}
    for a in actions:
        if a.kind not in family or not counts(a):
            continue
        for line in (a.args or {}).get("lines") or ():
            if isinstance(line, dict) and isinstance(line.get("quantity"), int):
                key = str(line.get("line_id"))
                out[key] = out.get(key, 0) + int(line["quantity"])
    return out
