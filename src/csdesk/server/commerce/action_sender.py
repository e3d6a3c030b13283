"""Sending agents' order actions to the connected store.

``order.act`` (``order_actions``) applies an action on the server and, for an order that came
from a store, leaves it ``sending``. This worker takes each such row under a lease (one
conditional UPDATE of ``next_attempt_at``, so several server processes never send one action
twice), calls the store's connector and records the answer on the row, which syncs to the
desks: ``done`` with the store's id for what it created, ``refused`` with the store's reason,
or still ``sending`` with ``attempts``/``next_attempt_at`` moved on when the store could not
be reached (exponential backoff, ``MAX_ATTEMPTS`` in all). Each outcome is audited.

``args`` as ``order.act`` writes them: ``lines`` ([{``line_id`` (csdesk's order line id) or
``line_external_id``, ``quantity``}]), ``reason``, ``instructions``, ``note`` (or ``text``),
``address`` ({name, line1, line2, city, region, postal_code, country_code, phone}); the
amount and currency are the row's own columns (``args.amount_cents`` as a fallback).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from csdesk.domain.order_actions import OrderActionKind, OrderActionStatus
from csdesk.server.channels.vault import VaultError
from csdesk.server.channels.worker import LoopWorker, backoff
from csdesk.server.commerce import stores
from csdesk.server.commerce.store_api import (
    ActionResult,
    Address,
    LineQuantity,
    StoreConnector,
    StoreRefused,
    StoreUnavailable,
)
from csdesk.server.state import ServerState
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.commerce.runtime import StoreRuntime

log = logging.getLogger(__name__)

LEASE: Final = timedelta(minutes=2)
#: How often a process sending an action renews its lease. One send may take longer than the
#: lease (an exchange at a slow WooCommerce store is up to nine requests of up to 35 seconds);
#: without renewing, a second process would claim the action mid-send, look for the key
#: before the first has made anything, and make it a second time.
LEASE_RENEW_SECONDS: float = LEASE.total_seconds() / 4
MAX_ATTEMPTS: Final = 12
RETRY_BASE_SECONDS: Final = 2.0
#: The shortest wait before retrying an action that makes something at the store. An answer
#: lost on the way (a read timeout, a proxy's 504) may be for a request the store is still
#: working on: WooCommerce saves a refund, calls the payment gateway, and only then stores
#: the refund's meta (the key a retry looks for). A retry seconds later finds no keyed refund
#: and refunds again; one after the store's own time limit finds it.
SETTLE_SECONDS: Final = 180.0
MAKES_SOMETHING: Final = frozenset(
    {
        OrderActionKind.REFUND.value,
        OrderActionKind.RETURN.value,
        OrderActionKind.EXCHANGE.value,
        OrderActionKind.RESEND.value,
    }
)
BATCH: Final = 20


class ActionError(ValueError):
    """The action's arguments cannot be sent (a line the store does not know)."""


def _lines(session: Session, order: m.Order, args: dict[str, Any]) -> list[LineQuantity]:
    raw = args.get("lines") or []
    if not isinstance(raw, list):
        raise ActionError("the action's lines are not a list")
    out = []
    for item in raw[:250]:
        if not isinstance(item, dict):
            raise ActionError("an action line is not an object")
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ActionError("an action line's quantity is not a positive whole number")
        external = item.get("line_external_id")
        if not external and item.get("line_id"):
            line = session.get(m.OrderLine, str(item["line_id"]))
            if line is None or line.order_id != order.id:
                raise ActionError("a line of the action is not on the order")
            external = line.external_id
        if not external:
            raise ActionError("a line of the action is not one the store knows")
        out.append(LineQuantity(str(external), quantity))
    return out


def _text(args: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = args.get(key)
        if isinstance(value, str) and value:
            return value[:2000]
    return ""


def _address(args: dict[str, Any]) -> Address:
    raw = args.get("address")
    if not isinstance(raw, dict):
        raise ActionError("the action has no address")
    fields = ("name", "line1", "line2", "city", "region", "postal_code", "country_code", "phone")
    values = {f: str(raw.get(f) or "")[:200] for f in fields}
    if not values["name"] or not values["line1"]:
        raise ActionError("the address needs a name and a first line")
    return Address(**values)


def exchange_key(action_id: str, half: str) -> str:
    """The idempotency key of one half (``return``, ``replacement``) of an exchange: the two
    things it makes at the store must not answer for each other."""
    return f"{action_id}:{half}"


def send(
    session: Session,
    conn: StoreConnector,
    action: m.OrderAction,
    order: m.Order,
    remember_return: Callable[[str], None] | None = None,
) -> ActionResult:
    """Call the store for ``action``; raises StoreRefused/StoreUnavailable/ActionError.

    Whatever the store makes is sent with an idempotency key (the action's id; for an
    exchange one per half, ``exchange_key``): a retry after an answer lost on the way (a read
    timeout after the request went out) finds what that key made and answers it, so a refund,
    a return or a replacement order is never made twice. Cancelling, the address and a note
    are safe to repeat (a note may show twice).

    ``remember_return`` records an exchange's return as soon as the store opened it, so a
    retry after the replacement failed does not open a second return (``args.return_id``)."""
    assert order.external_id is not None
    args = dict(action.args or {})
    oid = order.external_id
    kind = action.kind
    reason = _text(args, "reason")
    if kind == OrderActionKind.REFUND:
        amount = action.amount_cents
        if amount is None:
            given = args.get("amount_cents")
            amount = given if isinstance(given, int) and not isinstance(given, bool) else 0
        if amount < 0:
            raise ActionError("a refund amount cannot be negative")
        currency = action.currency or order.currency
        return conn.refund(
            oid, _lines(session, order, args), amount, currency, reason, idempotency_key=action.id
        )
    if kind == OrderActionKind.RETURN:
        return conn.create_return(
            oid,
            _lines(session, order, args),
            reason,
            _text(args, "instructions", "label"),
            idempotency_key=action.id,
        )
    if kind == OrderActionKind.EXCHANGE:
        lines = _lines(session, order, args)
        opened = args.get("return_id")
        if isinstance(opened, str) and opened:
            ret = ActionResult(f"Return {opened} opened", external_id=opened)
        else:
            ret = conn.create_return(
                oid,
                lines,
                reason,
                _text(args, "instructions", "label"),
                idempotency_key=exchange_key(action.id, "return"),
            )
            if remember_return is not None and ret.external_id:
                remember_return(ret.external_id)
        try:
            new = conn.create_replacement(
                oid,
                lines,
                _text(args, "note") or reason,
                idempotency_key=exchange_key(action.id, "replacement"),
            )
        except StoreRefused as exc:
            # The return stays open at the store: the refusal must say so, or the agent,
            # reading only "refused", starts the exchange again and opens a second return.
            raise StoreRefused(
                f"{ret.detail}, but the replacement was refused: {exc.reason}"
            ) from None
        return ActionResult(
            f"{ret.detail}; {new.detail}",
            external_id=new.external_id or ret.external_id,
            extra={"return_id": ret.external_id or "", "replacement_id": new.external_id or ""},
        )
    if kind == OrderActionKind.CANCEL:
        return conn.cancel(oid, reason)
    if kind == OrderActionKind.RESEND:
        return conn.create_replacement(
            oid,
            _lines(session, order, args),
            _text(args, "note", "reason"),
            idempotency_key=action.id,
        )
    if kind == OrderActionKind.ADDRESS:
        return conn.change_shipping_address(oid, _address(args))
    if kind == OrderActionKind.NOTE:
        return conn.add_note(oid, _text(args, "note", "text"), idempotency_key=action.id)
    raise ActionError(f"csdesk cannot send a {kind!r} action to a store")


class _LeaseKeeper:
    """Renews an action's lease while this process sends it (a thread; stopped after)."""

    def __init__(self, state: ServerState, action_id: str) -> None:
        self.state = state
        self.action_id = action_id
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="csdesk-order-action-lease", daemon=True
        )

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(LEASE_RENEW_SECONDS):
            try:
                self.renew()
            except SQLAlchemyError as exc:  # the next tick tries again
                log.warning("order action %s: lease not renewed: %s", self.action_id, exc)

    def renew(self) -> bool:
        """Push the lease on, while it is still ours: unexpired (no one can have claimed it)."""
        now = utcnow()
        A = m.OrderAction
        with self.state.writes() as s:
            renewed = s.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
                update(A)
                .where(
                    A.id == self.action_id,
                    A.status == OrderActionStatus.SENDING.value,
                    A.next_attempt_at > now,
                )
                .values(next_attempt_at=now + LEASE, updated_at=A.updated_at)
            ).rowcount
            s.commit()
        return bool(renewed)


class ActionSender(LoopWorker):
    task_name = "csdesk-order-action-sender"
    round_name = "order action sending"

    def __init__(self, state: ServerState, runtime: StoreRuntime) -> None:
        super().__init__(state, poll_seconds=1.0)
        self.runtime = runtime

    def run_once(self) -> int:
        now = utcnow()
        with self.state.reads() as s:
            due = list(
                s.scalars(
                    select(m.OrderAction.id)
                    .join(m.Order, m.Order.id == m.OrderAction.order_id)
                    .where(
                        m.OrderAction.status == OrderActionStatus.SENDING.value,
                        m.Order.store.is_not(None),
                        or_(
                            m.OrderAction.next_attempt_at.is_(None),
                            m.OrderAction.next_attempt_at <= now,
                        ),
                    )
                    .order_by(m.OrderAction.created_at)
                    .limit(BATCH)
                )
            )
        sent = 0
        for action_id in due:
            if self.stopping:
                break
            if self.send_one(action_id):
                sent += 1
        return sent

    def _claim(self, action_id: str) -> bool:
        now = utcnow()
        with self.state.writes() as s:
            claimed = s.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
                update(m.OrderAction)
                .where(
                    m.OrderAction.id == action_id,
                    m.OrderAction.status == OrderActionStatus.SENDING.value,
                    or_(
                        m.OrderAction.next_attempt_at.is_(None),
                        m.OrderAction.next_attempt_at <= now,
                    ),
                )
                # the lease is server-only bookkeeping: not a change the desks need to see
                .values(next_attempt_at=now + LEASE, updated_at=m.OrderAction.updated_at)
            ).rowcount
            s.commit()
        return bool(claimed)

    def send_one(self, action_id: str) -> bool:
        """Send one due action (False: another process has it, or it is no longer due)."""
        if not self._claim(action_id):
            return False
        with self.state.reads() as s:
            action = s.get(m.OrderAction, action_id)
            order = s.get(m.Order, action.order_id) if action is not None else None
            if action is None or order is None or order.store is None:
                return False
            store, order_id, external_id = order.store, order.id, order.external_id
        outcome: ActionResult | None = None
        refusal: str | None = None
        retry: StoreUnavailable | None = None
        try:
            settings = self.runtime.settings(store)
            if settings is None or not settings.enabled:
                raise StoreUnavailable(f"the store {store!r} is not connected")
            if settings.provider not in stores.FACTORIES:
                raise StoreUnavailable(f"this server has no {settings.provider} connector")
            with (
                _LeaseKeeper(self.state, action_id),
                self.runtime.connector(settings) as conn,
                self.state.reads() as s,
            ):
                action = s.get(m.OrderAction, action_id)
                order = s.get(m.Order, order_id)
                assert action is not None and order is not None
                outcome = send(
                    s, conn, action, order, lambda rid: self._remember_return(action_id, rid)
                )
        except StoreRefused as exc:
            refusal = exc.reason
        except ActionError as exc:
            refusal = str(exc)
        except VaultError as exc:
            retry = StoreUnavailable(str(exc))
        except StoreUnavailable as exc:
            retry = exc
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            # An answer of a shape the connector did not expect (a list where an object
            # belongs): counted as a try like an outage, so the action ends refused after
            # MAX_ATTEMPTS instead of failing every round, unanswered, forever. A retry
            # looks for the key first, so what the store may have made is not made twice.
            log.warning("order action %s: unreadable store answer: %r", action_id, exc)
            retry = StoreUnavailable("the store sent an answer csdesk cannot read")
        self._record(action_id, outcome, refusal, retry)
        if outcome is not None and external_id is not None:
            self._refresh(store, external_id)
        return True

    def _remember_return(self, action_id: str, return_id: str) -> None:
        with self.state.writes() as s:
            action = s.get(m.OrderAction, action_id, with_for_update=True)
            if action is not None:
                action.args = {**(action.args or {}), "return_id": return_id}
                s.commit()

    def _refresh(self, store: str, external_id: str) -> None:
        """The order as the store now has it (the refund, return, cancellation on it), so the
        desk shows the result at once; if that fails the next webhook or reconcile brings it."""
        from csdesk.server.commerce.store_sync import apply_orders

        try:
            settings = self.runtime.settings(store)
            if settings is None:
                return
            with self.runtime.connector(settings) as conn:
                fresh = conn.order(external_id)
            apply_orders(self.state, store, [fresh])
        except (StoreRefused, StoreUnavailable, VaultError) as exc:
            log.info("order %s not refreshed after an action: %s", external_id, exc)

    def _record(
        self,
        action_id: str,
        outcome: ActionResult | None,
        refusal: str | None,
        retry: StoreUnavailable | None,
    ) -> None:
        with self.state.writes() as s:
            action = s.get(m.OrderAction, action_id)
            if action is None or action.status != OrderActionStatus.SENDING.value:
                return
            before = {"status": action.status}
            if outcome is not None:
                action.status = OrderActionStatus.DONE.value
                action.detail = outcome.detail[:500]
                action.external_id = outcome.external_id
                action.next_attempt_at = None
            elif refusal is not None:
                action.status = OrderActionStatus.REFUSED.value
                action.detail = refusal[:500]
                action.next_attempt_at = None
            else:
                assert retry is not None
                action.attempts += 1
                if action.attempts >= MAX_ATTEMPTS:
                    action.status = OrderActionStatus.REFUSED.value
                    detail = f"The store could not be reached: {retry.reason}"
                    if action.kind in MAKES_SOMETHING and action.attempts > 1:
                        # An earlier try's answer may have been lost after the store acted:
                        # a new action (a new key) would then make it a second time.
                        detail += (
                            ". An earlier try may have reached it: check the order in the "
                            "store before asking again"
                        )
                    action.detail = detail[:500]
                    action.next_attempt_at = None
                else:
                    action.detail = f"Waiting for the store: {retry.reason}"[:500]
                    wait = backoff(action.attempts, RETRY_BASE_SECONDS, retry.retry_after)
                    if action.kind in MAKES_SOMETHING:
                        wait = max(wait, SETTLE_SECONDS)
                    action.next_attempt_at = utcnow() + timedelta(seconds=wait)
            audit.record(
                s,
                None,
                "order_action.store_result",
                "order_action",
                action.id,
                before,
                {
                    "status": action.status,
                    "detail": action.detail,
                    "external_id": action.external_id,
                    "attempts": action.attempts,
                },
            )
            s.commit()
