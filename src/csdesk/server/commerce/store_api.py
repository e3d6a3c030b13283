"""What csdesk asks of a connected store and what comes back, in csdesk's own terms.

Each connector (``shopify.py``, ``woocommerce.py``) turns its provider's API into these: the
import and reconcile read pages of :class:`StoreCustomer` / :class:`StoreOrder`; webhooks are
verified over the raw body and parsed to the same records; an order action the agent took is
sent with one of the action methods. Money is integer minor units in the order's currency;
times are aware UTC datetimes. Text from a store is hostile like any outside text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class StoreRefused(Exception):
    """The store said no (order already fulfilled, amount above what is refundable): final.

    ``reason`` is a sentence an agent can read; it is shown on the order and the timeline.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StoreUnavailable(Exception):
    """Try again later: network down, 5xx, throttled (``retry_after`` seconds when known)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country_code: str = ""  # ISO 3166-1 alpha-2
    phone: str = ""


@dataclass(frozen=True)
class StoreCustomer:
    external_id: str
    name: str
    email: str | None = None
    phone: str | None = None  # as the store has it; csdesk normalises to E.164
    #: The store confirmed the address (Shopify ``verified_email``; WooCommerce never does):
    #: only a verified email or phone matches an existing csdesk customer.
    email_verified: bool = False
    created_at: datetime | None = None
    tags: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True)
class StoreLine:
    external_id: str
    sku: str
    title: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class StoreShipment:
    external_id: str
    carrier: str
    tracking_number: str
    status: str  # csdesk's words: in_transit, out_for_delivery, delivered, exception, ...
    tracking_url: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    eta: datetime | None = None


@dataclass(frozen=True)
class StoreRefund:
    external_id: str
    amount_cents: int
    reason: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class StoreReturn:
    """A return the store knows of; ``status`` in csdesk's ReturnStatus words."""

    external_id: str
    status: str
    reason: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class StoreOrder:
    external_id: str
    number: str  # what the customer sees ("#1001")
    status: str  # csdesk's OrderStatus values
    currency: str
    total_cents: int
    placed_at: datetime
    customer_external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    lines: tuple[StoreLine, ...] = ()
    shipments: tuple[StoreShipment, ...] = ()
    refunds: tuple[StoreRefund, ...] = ()
    updated_at: datetime | None = None
    returns: tuple[StoreReturn, ...] = ()
    #: ``lines`` is every line the order has now (WooCommerce sends them all): a line csdesk
    #: knows that is not among them was removed at the store. Shopify never removes a line
    #: (an edit sets its current quantity to 0), and pages them, so it leaves this False.
    lines_complete: bool = False
    #: What csdesk could not read whole (``"lines"``, ``"shipments"``, ``"refunds"``,
    #: ``"returns"``): the order has more than the connector's caps. None: this record does
    #: not say (the order keeps what an earlier read found); ``()``: read whole.
    incomplete: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of an import; ``next_cursor`` None: the last page."""

    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook: what changed (``topic`` as the store names it) and the record."""

    topic: str
    customer: StoreCustomer | None = None
    order: StoreOrder | None = None
    #: The store's id for a deleted record (``customers/delete``), nothing else known.
    deleted_id: str | None = None
    #: The store's id of an order to fetch afresh (a fulfillment, refund or return of it
    #: changed; the payload does not carry the whole order).
    order_id: str | None = None


@dataclass(frozen=True)
class ActionResult:
    """What the store made of an action: its id for what was created, a sentence for humans."""

    detail: str
    external_id: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LineQuantity:
    line_external_id: str
    quantity: int


class StoreConnector(Protocol):
    """One connected store. Methods block (run them on a worker, never on the event loop);
    they raise :class:`StoreRefused` or :class:`StoreUnavailable`, nothing else on purpose."""

    provider: str  # "shopify", "woocommerce"

    def customers(
        self, cursor: str | None, updated_since: datetime | None
    ) -> Page[StoreCustomer]: ...

    def orders(self, cursor: str | None, updated_since: datetime | None) -> Page[StoreOrder]: ...

    def order(self, external_id: str) -> StoreOrder: ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The signature over the raw body matches (constant-time compare)."""
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent | None:
        """A verified body as an event; None for a topic csdesk does not use."""
        ...

    def refund(
        self,
        order_id: str,
        lines: Sequence[LineQuantity],
        amount_cents: int,
        currency: str,
        reason: str,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """``idempotency_key`` (the order action's id): a retry whose earlier answer was lost
        on the way finds the refund that key made and answers it, never refunding twice."""
        ...

    def create_return(
        self,
        order_id: str,
        lines: Sequence[LineQuantity],
        reason: str,
        instructions: str,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """``idempotency_key``: a retry finds the return that key opened and answers it."""
        ...

    def cancel(self, order_id: str, reason: str) -> ActionResult: ...

    def create_replacement(
        self,
        order_id: str,
        lines: Sequence[LineQuantity],
        note: str,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """``idempotency_key``: a retry whose earlier answer was lost finds the replacement
        order that key made and answers it, never sending the customer a second parcel."""
        ...

    def change_shipping_address(self, order_id: str, address: Address) -> ActionResult: ...

    def add_note(
        self, order_id: str, text: str, *, idempotency_key: str | None = None
    ) -> ActionResult:
        """``idempotency_key``: the note carries ``[csdesk <key>]`` and a retry whose earlier
        answer was lost finds it and adds nothing (a note is not written twice)."""
        ...
