"""Orders, their lines, shipments and returns, shaped so that customer questions make sense.

The status of an order follows from its age (hours old: placed or paid; days: on its way,
perhaps late; weeks: delivered, sometimes returned), so "where is my order?" is asked about a
parcel that is actually in transit and "refund?" about a return that exists. Prices are the
catalogue's euro prices converted and rounded to shop-like endings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from csdesk.domain.enums import OrderStatus, ReturnStatus
from csdesk.protocol import Entity
from csdesk.server.demo.catalog import Catalog, Product
from csdesk.server.demo.common import Block, synced
from csdesk.server.demo.people import Person
from csdesk.server.demo.rand import DemoRandom

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

_ORDER_COUNTS = (0, 1, 2, 3, 4)
_ORDER_CUM = tuple(accumulate((15, 40, 25, 12, 8)))
_LINE_COUNTS = (1, 2, 3, 4)
_LINE_CUM = tuple(accumulate((55, 28, 12, 5)))
_RETURN_STATES = (
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.RECEIVED,
    ReturnStatus.REFUNDED,
    ReturnStatus.REJECTED,
)
_RETURN_CUM = tuple(accumulate((20, 20, 15, 35, 10)))

#: Shipment states (the model keeps them as free strings; these are what carriers report).
LABEL_CREATED = "label_created"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
EXCEPTION = "exception"
DELIVERED = "delivered"


@dataclass(slots=True)
class ShipmentInfo:
    carrier: str
    tracking_number: str
    status: str
    eta: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None

    def delayed(self, now: datetime) -> bool:
        return self.status != DELIVERED and self.eta is not None and self.eta < now


@dataclass(slots=True)
class OrderInfo:
    """An order as the thread templates see it."""

    id: str
    number: str
    status: OrderStatus
    placed_at: datetime
    currency: str
    product: Product
    size: str
    total_cents: int
    shipment: ShipmentInfo | None
    return_status: ReturnStatus | None
    refund_cents: int
    return_at: datetime | None


class OrderNumbers:
    """Sequential, hence unique, order numbers with a realm-specific prefix."""

    def __init__(self, prefix: str, start: int = 1_000_001) -> None:
        self.prefix = prefix
        self.next = start

    def take(self) -> str:
        number = f"{self.prefix}{self.next}"
        self.next += 1
        return number


class OrderFactory:
    def __init__(
        self, rng: DemoRandom, catalog: Catalog, realm: str, now: datetime, numbers: OrderNumbers
    ) -> None:
        self.rng = rng
        self.cat = catalog
        self.realm = realm
        self.now = now
        self.numbers = numbers

    def price(self, product: Product, currency: str) -> int:
        """Euro price converted, ending in .90 like a shop's price list."""
        units = round(product.price_cents * self.cat.fx_from_eur.get(currency, 1.0) / 100)
        return max(99, units * 100 - 10)

    def make_all(self, block: Block, person: Person, force: str | None = None) -> None:
        count = self.rng.weighted(_ORDER_COUNTS, _ORDER_CUM)
        if force is not None:
            self.make(block, person, force)
        for _ in range(count):
            self.make(block, person)

    def make(self, block: Block, person: Person, force: str | None = None) -> OrderInfo:
        rng, now = self.rng, self.now
        oldest = now - person.created_at
        if force == "delayed":
            age = 9 * DAY + rng.span(timedelta(0), DAY)
        elif force == "delivered":
            age = 24 * DAY + rng.span(timedelta(0), 4 * DAY)
        elif force == "in_transit":
            age = 2 * DAY + rng.span(timedelta(0), 10 * HOUR)
        elif force == "unshipped":  # paid days ago, still in the warehouse: outreach shows it
            age = 4 * DAY + rng.span(timedelta(0), DAY)
        elif rng.chance(0.25):
            age = rng.span(timedelta(minutes=20), min(4 * DAY, oldest))
        else:
            age = rng.span(min(4 * DAY, oldest), min(150 * DAY, oldest))
        placed = now - age
        currency = person.country.currency
        oid = rng.uuid()

        lines: list[tuple[Product, str, str, int, int]] = []
        for _ in range(1 if force else rng.weighted(_LINE_COUNTS, _LINE_CUM)):
            product = rng.pick(self.cat.products)
            size = rng.pick(product.sizes) if product.sizes else ""
            colour = rng.pick(product.colours)
            qty = 2 if rng.chance(0.12) else 1
            lines.append((product, size, colour, qty, self.price(product, currency)))
        total = sum(q * p for *_x, q, p in lines)

        status, shipment = self._fulfil(placed, age, force, person)
        ret_status: ReturnStatus | None = None
        refund = 0
        ret_at: datetime | None = None
        updated = placed
        if shipment is not None:
            updated = max(t for t in (placed, shipment.shipped_at, shipment.delivered_at) if t)
        if (
            shipment is not None
            and shipment.delivered_at is not None
            and (force == "delivered" or (force is None and rng.chance(0.15)))
        ):
            ret_status = (
                ReturnStatus.REFUNDED if force else rng.weighted(_RETURN_STATES, _RETURN_CUM)
            )
            product, _s, _c, qty, unit = lines[0]
            refund = 0 if ret_status == ReturnStatus.REJECTED else qty * unit
            ret_at = min(shipment.delivered_at + rng.span(DAY, 14 * DAY), now - HOUR)
            ret_at = max(ret_at, shipment.delivered_at)
            block.add(
                Entity.RETURN,
                {
                    **synced(rng.uuid(), self.realm, ret_at, min(ret_at + 2 * DAY, now)),
                    "order_id": oid,
                    "status": ret_status.value,
                    "reason": rng.pick(self.cat.return_reasons),
                    "refund_cents": refund,
                },
            )
            updated = max(updated, ret_at)
        number = self.numbers.take()
        block.add(
            Entity.ORDER,
            {
                **synced(oid, self.realm, placed, updated),
                "customer_id": person.id,
                "number": number,
                "status": status.value,
                "total_cents": total,
                "currency": currency,
                "placed_at": placed,
                "store": None,  # csdesk's own record: the demo connects no store
                "external_id": None,
                "shipping_address": None,
                "store_incomplete": None,  # issue 11: read whole (no store)
            },
        )
        for product, size, colour, qty, unit in lines:
            code = "".join(ch for ch in colour.upper() if ch.isalpha())[:3]
            block.add(
                Entity.ORDER_LINE,
                {
                    **synced(rng.uuid(), self.realm, placed),
                    "order_id": oid,
                    "sku": f"{product.sku}-{code}{'-' + size if size else ''}",
                    "title": f"{product.title} ({colour}{', ' + size if size else ''})",
                    "quantity": qty,
                    "unit_price_cents": unit,
                },
            )
        if shipment is not None:
            block.add(
                Entity.SHIPMENT,
                {
                    **synced(rng.uuid(), self.realm, shipment.shipped_at or placed, updated),
                    "order_id": oid,
                    "carrier": shipment.carrier,
                    "tracking_number": shipment.tracking_number,
                    "status": shipment.status,
                    "eta": shipment.eta,
                    "shipped_at": shipment.shipped_at,
                    "delivered_at": shipment.delivered_at,
                },
            )
        product, size = lines[0][0], lines[0][1]
        info = OrderInfo(
            oid, number, status, placed, currency, product, size, total, shipment,
            ret_status, refund, ret_at,
        )  # fmt: skip
        person.orders.append(info)
        return info

    def _fulfil(
        self, placed: datetime, age: timedelta, force: str | None, person: Person
    ) -> tuple[OrderStatus, ShipmentInfo | None]:
        """Order status and shipment from the order's age: the story a carrier would tell."""
        rng, now = self.rng, self.now
        carrier = rng.pick(person.country.carriers)
        tracking = rng.pattern(carrier.tracking)
        if force is None and rng.chance(0.04):
            return OrderStatus.CANCELLED, None
        if force == "unshipped":
            return OrderStatus.PAID, None
        if force is None and age < 6 * HOUR:
            return (OrderStatus.PLACED if rng.chance(0.6) else OrderStatus.PAID), None
        if force is None and age < 2 * DAY:
            if rng.chance(0.4):
                label = ShipmentInfo(carrier.name, tracking, LABEL_CREATED, None, None, None)
                return OrderStatus.PAID, label
            return OrderStatus.PAID, None
        shipped = placed + rng.span(4 * HOUR, 40 * HOUR)
        if force == "in_transit":
            shipped = placed + 8 * HOUR
        if shipped >= now:
            shipped = placed + (now - placed) / 2
        eta = (shipped + rng.span(1.5 * DAY, 5 * DAY)).replace(minute=0, second=0, microsecond=0)
        if force == "in_transit":
            eta = max(eta, now + 6 * HOUR)
        lost = force == "delayed" or (force is None and rng.chance(0.03))
        delivered = eta + rng.span(-DAY, 1.5 * DAY)
        delivered = max(delivered, shipped + 12 * HOUR)
        if not lost and force != "in_transit" and delivered < now:
            return OrderStatus.DELIVERED, ShipmentInfo(
                carrier.name, tracking, DELIVERED, eta, shipped, delivered
            )
        if eta < now:
            state = EXCEPTION if rng.chance(0.2) else IN_TRANSIT
        else:
            state = OUT_FOR_DELIVERY if eta - now < 12 * HOUR else IN_TRANSIT
        return OrderStatus.SHIPPED, ShipmentInfo(carrier.name, tracking, state, eta, shipped, None)
