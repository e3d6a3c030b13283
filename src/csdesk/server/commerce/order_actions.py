"""Push mutations for an agent's actions on an order and a customer's goodwill.

``order.act``: a refund (full, or chosen lines and quantities, an amount, a reason), a return
or an exchange (lines, reason, label/instructions text), a cancel (unfulfilled orders only), a
resend (a replacement order), a shipping address change (before fulfilment) or a note. Each is
checked strictly against the order as the server has it — lines belong to it, quantities are at
most what was ordered less what earlier actions already took, an amount is at most what is
still refundable across *every* earlier refund (so splitting a refund gains nothing) — then
recorded as an ``OrderAction``:

* a refund that takes the order's refunds above ``CSDESK_REFUND_APPROVAL_LIMIT``, asked by an
  agent (or trainee), waits for a supervisor (``awaiting_approval``);
* on an order with no connected store (``order.store`` None: the demo) the action is applied to
  csdesk's own records at once (``done``, labelled "recorded in csdesk, no store connected");
* on a store's order it is ``sending``: the store's sender pushes it through its connector and
  sets ``done`` or ``refused``.

``order_action.decide``: a supervisor grants or declines a waiting refund (with a reason).
``customer.goodwill``: loyalty points or store credit, within limits per customer and 24 hours
for agents. Everything is audited with the agent. Registered in
``server.sync.mutations.HANDLERS`` (which imports this module, so ``Reject`` is imported when a
mutation is refused, as in ``channels.agent_mutations``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import OrderStatus, Realm, ReturnStatus, Role
from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.domain.order_rules import VOID, has_left, refunded, taken
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.commerce.limits import MAX_CENTS, Limits
from csdesk.server.deps import realm_of
from csdesk.server.refusals import Param
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

#: How an action on csdesk's own record (no store connected) is labelled, everywhere.
NO_STORE = "recorded in csdesk, no store connected"
_UNFULFILLED = (OrderStatus.PLACED.value, OrderStatus.PAID.value)
_DECIDERS = (Role.SUPERVISOR.value, Role.ADMIN.value)
#: The most of anything one line can carry (far above any real order).
MAX_QUANTITY = 100_000


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _text(value: str) -> str:
    """Text from an agent: no NUL (PostgreSQL cannot store it), no lone surrogate."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid text") from None
    return value.strip()


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


Id = Field(min_length=1, max_length=36)


class LineArg(_Args):
    line_id: str = Id
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class AddressArgs(_Args):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country_code: str = Field(default="", max_length=2, pattern=r"^([A-Za-z]{2})?$")
    phone: str = Field(default="", max_length=32)

    @field_validator("*")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _text(value)


#: An order action's id is the idempotency key the store keeps ("[csdesk <id>]" in a note,
#: a tag, meta): a lower-case UUID, as the desk makes them, so no id is a part of another's
#: marker ("a" in "[csdesk a] [csdesk b]") or the same tag as another in other letter case.
ActionId = Field(
    min_length=36,
    max_length=36,
    pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
)


class ActArgs(_Args):
    action_id: str = ActionId  # the desk's id for the OrderAction row (shown at once, offline too)
    order_id: str = Id
    kind: OrderActionKind
    lines: list[LineArg] = Field(default_factory=list, max_length=200)
    amount_cents: int | None = Field(default=None, ge=1, le=MAX_CENTS)
    reason: str = Field(default="", max_length=500)
    instructions: str = Field(default="", max_length=2000)  # return label / instructions
    address: AddressArgs | None = None
    note: str = Field(default="", max_length=5000)

    @field_validator("reason", "instructions", "note")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _text(value)


class DecideArgs(_Args):
    action_id: str = Id
    approve: bool
    reason: str = Field(default="", max_length=500)

    @field_validator("reason")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _text(value)


class GoodwillArgs(_Args):
    customer_id: str = Id
    points: int = Field(default=0, ge=0, le=MAX_CENTS)
    credit_cents: int = Field(default=0, ge=0, le=MAX_CENTS)
    reason: str = Field(default="", max_length=500)

    @field_validator("reason")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _text(value)


def money(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency}"


# --- reading the order ------------------------------------------------------------------------


def _order(session: Session, user: m.User, order_id: str) -> m.Order:
    # Locked: two refunds of one order are checked one after the other, never side by side.
    order = session.get(m.Order, order_id, with_for_update=True)
    if order is None or order.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This order does not exist.")
    return order


def _counting(session: Session, order_id: str, exclude: str | None = None) -> list[m.OrderAction]:
    """The order's earlier actions that did or may still happen."""
    stmt = select(m.OrderAction).where(
        m.OrderAction.order_id == order_id, m.OrderAction.status.not_in(VOID)
    )
    if exclude is not None:
        stmt = stmt.where(m.OrderAction.id != exclude)
    return list(session.scalars(stmt))


def _fulfilled(session: Session, order: m.Order) -> bool:
    if order.status not in _UNFULFILLED:
        return order.status != OrderStatus.CANCELLED.value
    ships = session.execute(
        select(m.Shipment.status, m.Shipment.shipped_at).where(m.Shipment.order_id == order.id)
    ).all()
    return any(has_left(status, at) for status, at in ships)


def _too_many(verb: str, left: int, line: m.OrderLine) -> Reject:
    """More of a line than is left of it; one whole sentence per action for translators."""
    params: dict[str, Param] = {"left": left, "title": repr(line.title), "ordered": line.quantity}
    if verb == "refunded":
        return _reject(
            RejectCode.INVALID,
            "Only {left} of {title} can still be refunded ({ordered} ordered).",
            **params,
        )
    if verb == "resent":
        return _reject(
            RejectCode.INVALID,
            "Only {left} of {title} can still be resent ({ordered} ordered).",
            **params,
        )
    return _reject(
        RejectCode.INVALID,
        "Only {left} of {title} can still be returned ({ordered} ordered).",
        **params,
    )


def _lines(
    session: Session,
    order: m.Order,
    wanted: Sequence[LineArg],
    taken: dict[str, int],
    verb: str,
) -> list[tuple[m.OrderLine, int]]:
    """The chosen lines, each of this order, each once, each within what is left of it."""
    own = {
        line.id: line
        for line in session.scalars(select(m.OrderLine).where(m.OrderLine.order_id == order.id))
    }
    out: list[tuple[m.OrderLine, int]] = []
    seen: set[str] = set()
    for w in wanted:
        line = own.get(w.line_id)
        if line is None:
            raise _reject(
                RejectCode.INVALID, "A chosen line is not on order {number}.", number=order.number
            )
        if w.line_id in seen:
            raise _reject(
                RejectCode.INVALID, "The line {title} is chosen twice.", title=repr(line.title)
            )
        seen.add(w.line_id)
        left = line.quantity - taken.get(line.id, 0)
        if w.quantity > left:
            raise _too_many(verb, max(left, 0), line)
        out.append((line, w.quantity))
    return out


# --- applying to csdesk's own records ---------------------------------------------------------


def _replacement(
    session: Session, order: m.Order, lines: Sequence[tuple[m.OrderLine, int]], now: datetime
) -> m.Order:
    """A new, free order for ``lines`` (a resend, an exchange's new goods)."""
    base = order.number[:34]
    number = ""
    for n in range(1, 1000):
        number = f"{base}-R{n}"
        if session.scalar(select(m.Order.id).where(m.Order.number == number)) is None:
            break
    else:  # pragma: no cover - a thousand replacements of one order
        raise _reject(RejectCode.CONFLICT, "This order has too many replacements already.")
    new = m.Order(
        id=str(uuid.uuid4()),
        realm=order.realm,
        customer_id=order.customer_id,
        number=number,
        status=OrderStatus.PAID.value,
        total_cents=0,
        currency=order.currency,
        placed_at=now,
        store=None,
        shipping_address=order.shipping_address,
    )
    session.add(new)
    session.flush([new])
    for line, qty in lines:
        session.add(
            m.OrderLine(
                id=str(uuid.uuid4()),
                realm=order.realm,
                order_id=new.id,
                sku=line.sku,
                title=line.title,
                quantity=qty,
                unit_price_cents=0,
            )
        )
    return new


def _apply_here(
    session: Session,
    order: m.Order,
    action: m.OrderAction,
    lines: Sequence[tuple[m.OrderLine, int]],
    now: datetime,
) -> str:
    """Carry ``action`` out on csdesk's own records; the sentence that says what happened."""
    kind = OrderActionKind(action.kind)
    args = action.args or {}
    if kind == OrderActionKind.REFUND:
        return f"Refund of {money(action.amount_cents or 0, order.currency)} ({NO_STORE})."
    if kind in (OrderActionKind.RETURN, OrderActionKind.EXCHANGE):
        session.add(
            m.Return(
                id=str(uuid.uuid4()),
                realm=order.realm,
                order_id=order.id,
                status=ReturnStatus.REQUESTED.value,
                reason=str(args.get("reason") or "")[:500],
                refund_cents=0,
            )
        )
        if kind == OrderActionKind.RETURN:
            return f"Return opened ({NO_STORE})."
        new = _replacement(session, order, lines, now)
        return f"Exchange: return opened, replacement order {new.number} created ({NO_STORE})."
    if kind == OrderActionKind.CANCEL:
        order.status = OrderStatus.CANCELLED.value
        return f"Order {order.number} cancelled ({NO_STORE})."
    if kind == OrderActionKind.RESEND:
        new = _replacement(session, order, lines, now)
        return f"Replacement order {new.number} created ({NO_STORE})."
    if kind == OrderActionKind.ADDRESS:
        order.shipping_address = dict(args.get("address") or {})
        return f"Shipping address changed ({NO_STORE})."
    return f"Note added ({NO_STORE})."


def _carry_out(
    session: Session,
    order: m.Order,
    action: m.OrderAction,
    lines: Sequence[tuple[m.OrderLine, int]],
    now: datetime,
    prefix: str = "",
) -> None:
    if order.store is None:
        action.status = OrderActionStatus.DONE.value
        action.detail = (prefix + _apply_here(session, order, action, lines, now))[:500]
    else:
        action.status = OrderActionStatus.SENDING.value
        action.next_attempt_at = now
        action.detail = (prefix + f"Being sent to the store ({order.store}).")[:500]


# --- order.act ----------------------------------------------------------------------------------


def _all_refunded(session: Session, order: m.Order, earlier: list[m.OrderAction]) -> int:
    """Every refund of the order: the desk's (done or still possible) and those made in the
    store's own admin, imported as refunded returns (before, a refund made in the shop's admin
    neither lowered what was left to refund nor counted toward the approval limit). A store
    refund that one of the desk's actions made is counted once, as the action."""
    made_here = {a.external_id for a in earlier if a.external_id}
    R = m.Return
    store = sum(
        cents or 0
        for ext, cents in session.execute(
            select(R.external_id, R.refund_cents).where(
                R.order_id == order.id,
                R.external_id.is_not(None),
                R.status == ReturnStatus.REFUNDED.value,
            )
        )
        if ext not in made_here
    )
    return refunded(earlier) + store


def _check(
    session: Session, order: m.Order, a: ActArgs, earlier: list[m.OrderAction]
) -> tuple[list[tuple[m.OrderLine, int]], int | None]:
    """The lines and the amount ``a`` asks for, or a refusal that says what is wrong."""
    kind = a.kind
    cancelled = order.status == OrderStatus.CANCELLED.value
    if kind == OrderActionKind.REFUND:
        lines = _lines(
            session, order, a.lines, taken(earlier, OrderActionKind.REFUND.value), "refunded"
        )
        left = order.total_cents - _all_refunded(session, order, earlier)
        if left <= 0:
            raise _reject(
                RejectCode.INVALID,
                "Nothing is left to refund on order {number}.",
                number=order.number,
            )
        amount = a.amount_cents
        if amount is None:  # the chosen lines' worth, or the whole order
            amount = sum(line.unit_price_cents * q for line, q in lines) if lines else left
        if amount <= 0:
            raise _reject(RejectCode.INVALID, "A refund must be more than zero.")
        if amount > left:
            raise _reject(
                RejectCode.INVALID,
                "At most {amount} can still be refunded on order {number} (earlier refunds count).",
                amount=money(left, order.currency),
                number=order.number,
            )
        return lines, amount
    if a.amount_cents is not None:
        raise _reject(RejectCode.INVALID, "Only a refund has an amount.")
    if kind in (OrderActionKind.RETURN, OrderActionKind.EXCHANGE, OrderActionKind.RESEND):
        if cancelled or not _fulfilled(session, order):
            raise _reject(
                RejectCode.INVALID,
                "Order {number} has not been shipped; cancel it or change its address instead.",
                number=order.number,
            )
        if not a.lines:
            raise _reject(RejectCode.INVALID, "Choose the lines and how many of each.")
        if kind != OrderActionKind.RESEND and not a.reason:
            raise _reject(RejectCode.INVALID, "Give the reason for the return.")
        verb = "resent" if kind == OrderActionKind.RESEND else "returned"
        return _lines(session, order, a.lines, taken(earlier, kind.value), verb), None
    if a.lines:
        raise _reject(RejectCode.INVALID, "A {kind} does not take lines.", kind=kind.value)
    if kind in (OrderActionKind.CANCEL, OrderActionKind.ADDRESS):
        if cancelled:
            raise _reject(
                RejectCode.CONFLICT, "Order {number} is already cancelled.", number=order.number
            )
        if _fulfilled(session, order):
            raise _reject(
                RejectCode.INVALID,
                "Order {number} has already been shipped; start a return instead.",
                number=order.number,
            )
        if kind == OrderActionKind.ADDRESS and a.address is None:
            raise _reject(RejectCode.INVALID, "Give the new shipping address.")
        return [], None
    if not a.note:  # NOTE
        raise _reject(RejectCode.INVALID, "The note is empty.")
    return [], None


def _needs_approval(user: m.User, order: m.Order, amount: int, earlier_refunds: int) -> bool:
    if user.role in _DECIDERS:
        return False
    # The order's refunds together: two refunds under the limit are one refund above it.
    return earlier_refunds + amount > Limits.from_env().refund_approval_cents


def act(session: Session, user: m.User, a: ActArgs) -> None:
    order = _order(session, user, a.order_id)
    if session.get(m.OrderAction, a.action_id) is not None:
        raise _reject(RejectCode.CONFLICT, "An order action with this id already exists.")
    earlier = _counting(session, order.id)
    lines, amount = _check(session, order, a, earlier)
    now = utcnow()
    args: dict[str, Any] = {"lines": [w.model_dump() for w in a.lines]}
    for key in ("reason", "instructions", "note"):
        if getattr(a, key):
            args[key] = getattr(a, key)
    if a.address is not None:
        args["address"] = a.address.model_dump()
    action = m.OrderAction(
        id=a.action_id,
        realm=order.realm,
        order_id=order.id,
        customer_id=order.customer_id,
        kind=a.kind.value,
        args=args,
        status=OrderActionStatus.AWAITING_APPROVAL.value,
        detail="",
        amount_cents=amount,
        currency=order.currency if amount is not None else None,
        requested_by_id=user.id,
        created_at=now,
    )
    session.add(action)
    if amount is not None and _needs_approval(
        user, order, amount, _all_refunded(session, order, earlier)
    ):
        limit = Limits.from_env().refund_approval_cents
        if order.realm == Realm.TRAINING.value:
            # No supervisor decides in the sandbox (their desks are production's): the
            # trainee learns the rule at once instead of waiting for ever.
            action.status = OrderActionStatus.DECLINED.value
            action.decided_at = now
            action.detail = (
                f"Training: refunds above {money(limit, order.currency)} on one order wait "
                "for a supervisor's approval on the real desk; here it is declined so you can "
                "practise what comes next (a smaller refund, store credit, or asking your "
                "supervisor)."
            )
        else:
            action.detail = (
                f"Waiting for a supervisor: the order's refunds would pass "
                f"{money(limit, order.currency)}."
            )
    else:
        _carry_out(session, order, action, lines, now)
    audit.record(
        session,
        user.id,
        MutationType.ORDER_ACT,
        "order_action",
        action.id,
        None,
        {
            "order_id": order.id,
            "kind": action.kind,
            "status": action.status,
            "amount_cents": amount,
            "args": args,
        },
    )


# --- order_action.decide --------------------------------------------------------------------------


def decide(session: Session, user: m.User, a: DecideArgs) -> None:
    if user.role not in _DECIDERS:
        raise _reject(RejectCode.FORBIDDEN, "Only a supervisor can approve or decline a refund.")
    action = session.get(m.OrderAction, a.action_id, with_for_update=True)
    if action is None or action.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This order action does not exist.")
    if action.status != OrderActionStatus.AWAITING_APPROVAL.value:
        raise _reject(
            RejectCode.CONFLICT,
            "This refund was already decided ({status}).",
            status=action.status.replace("_", " "),
        )
    order = _order(session, user, action.order_id)
    if not a.approve and not a.reason:
        raise _reject(RejectCode.INVALID, "Say why the refund is declined.")
    now = utcnow()
    before = {"status": action.status}
    action.decided_by_id = user.id
    action.decided_at = now
    if not a.approve:
        action.status = OrderActionStatus.DECLINED.value
        action.detail = f"Declined by {user.display_name}: {a.reason}"[:500]
    else:
        # Other refunds may have happened meanwhile: what is left is checked again.
        others = _counting(session, order.id, exclude=action.id)
        left = order.total_cents - _all_refunded(session, order, others)
        if (action.amount_cents or 0) > left:
            raise _reject(
                RejectCode.CONFLICT,
                "Only {amount} is left to refund on order {number}; this refund can no longer "
                "be approved.",
                amount=money(max(left, 0), order.currency),
                number=order.number,
            )
        said = f" ({a.reason})" if a.reason else ""
        _carry_out(session, order, action, [], now, f"Approved by {user.display_name}{said}. ")
    audit.record(
        session,
        user.id,
        MutationType.ORDER_ACTION_DECIDE,
        "order_action",
        action.id,
        before,
        {"status": action.status, "approve": a.approve, "reason": a.reason},
    )


# --- customer.goodwill --------------------------------------------------------------------------

GOODWILL_WINDOW = timedelta(hours=24)


#: Profiles of one person looked at for the goodwill limit (a bound, not a real number).
SAME_PERSON_MAX = 50


def same_person(session: Session, customer_id: str) -> set[str]:
    """The profiles that are one person with ``customer_id``: merged into it (or it into
    them), or tied to it by an address its owner proved (a chat visitor who proved a
    customer's email). A typed, unproven address ties nothing (it may be anyone's)."""
    seen, todo = {customer_id}, [customer_id]
    C, K = m.Customer, m.IdentityClaim
    while todo and len(seen) < SAME_PERSON_MAX:
        here = todo.pop()
        near: set[str] = set()
        near.update(session.scalars(select(C.id).where(C.merged_into_id == here)))
        into = session.scalar(select(C.merged_into_id).where(C.id == here))
        if into:
            near.add(into)
        proven = K.proven_at.is_not(None)
        near.update(
            str(x)
            for x in session.scalars(
                select(K.match_customer_id).where(K.customer_id == here, proven)
            )
            if x
        )
        near.update(
            session.scalars(select(K.customer_id).where(K.match_customer_id == here, proven))
        )
        for other in near - seen:
            if len(seen) >= SAME_PERSON_MAX:
                break
            seen.add(other)
            todo.append(other)
    return seen


def _granted(session: Session, person: set[str], since: datetime) -> tuple[int, int]:
    """Points and credit granted since ``since`` (from the audit log) to the customer and to
    every profile of the same person: a duplicate profile does not double the limit."""
    points = credit = 0
    for after in session.scalars(
        select(m.AuditEntry.after).where(
            m.AuditEntry.entity == "customer",
            m.AuditEntry.entity_id.in_(sorted(person)),
            m.AuditEntry.action == MutationType.CUSTOMER_GOODWILL.value,
            m.AuditEntry.at >= since,
        )
    ):
        if isinstance(after, dict):
            points += int(after.get("points") or 0)
            credit += int(after.get("credit_cents") or 0)
    return points, credit


def _lock_person(session: Session, customer_id: str) -> tuple[m.Customer | None, set[str]]:
    """The customer and every profile of the same person, locked in id order: two grants to
    two profiles of one person are checked one after the other (locking only the profile
    granted to let both pass the limit at once on PostgreSQL). One order for everyone, so two
    grants never wait for each other's locks."""
    ids = same_person(session, customer_id)
    C = m.Customer
    session.scalars(
        select(C.id).where(C.id.in_(sorted(ids))).order_by(C.id).with_for_update()
    ).all()
    return session.get(m.Customer, customer_id, populate_existing=True), ids


def goodwill(session: Session, user: m.User, a: GoodwillArgs) -> None:
    cust, person = _lock_person(session, a.customer_id)
    if cust is None or cust.realm != realm_of(user):
        raise _reject(RejectCode.NOT_FOUND, "This customer does not exist.")
    if cust.merged_into_id is not None:
        raise _reject(RejectCode.DELETED, "This customer was merged into another profile.")
    if a.points == 0 and a.credit_cents == 0:
        raise _reject(RejectCode.INVALID, "Grant some points or some store credit.")
    if not a.reason:
        raise _reject(RejectCode.INVALID, "Give the reason for the goodwill.")
    if (cust.loyalty_points or 0) + a.points > MAX_CENTS or (
        cust.store_credit_cents or 0
    ) + a.credit_cents > MAX_CENTS:
        raise _reject(RejectCode.INVALID, "That is more than a customer's balance can hold.")
    now = utcnow()
    if user.role not in _DECIDERS:
        limits = Limits.from_env()
        points, credit = _granted(session, person, now - GOODWILL_WINDOW)
        if points + a.points > limits.goodwill_points:
            raise _reject(
                RejectCode.FORBIDDEN,
                "An agent may grant one customer at most {limit} points in 24 hours "
                "({granted} already granted); ask a supervisor.",
                limit=limits.goodwill_points,
                granted=points,
            )
        if credit + a.credit_cents > limits.goodwill_credit_cents:
            raise _reject(
                RejectCode.FORBIDDEN,
                "An agent may grant one customer at most {limit} of store credit in 24 hours "
                "({granted} already granted); ask a supervisor.",
                limit=f"{limits.goodwill_credit_cents / 100:,.2f}",
                granted=f"{credit / 100:,.2f}",
            )
    before = {"loyalty_points": cust.loyalty_points, "store_credit_cents": cust.store_credit_cents}
    cust.loyalty_points = (cust.loyalty_points or 0) + a.points
    cust.store_credit_cents = (cust.store_credit_cents or 0) + a.credit_cents
    audit.record(
        session,
        user.id,
        MutationType.CUSTOMER_GOODWILL,
        "customer",
        cust.id,
        before,
        {
            "points": a.points,
            "credit_cents": a.credit_cents,
            "reason": a.reason,
            "loyalty_points": cust.loyalty_points,
            "store_credit_cents": cust.store_credit_cents,
        },
    )
