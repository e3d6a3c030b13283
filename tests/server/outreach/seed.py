"""Late (and on-time) orders written straight into a test database for the outreach tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from csdesk.storage import models as m
from tests.helpers.data import new_id

__all__ = ["canned", "customer", "new_id", "order"]

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Late:
    customer_id: str
    order_id: str
    number: str


def customer(
    s: Session,
    name: str,
    *,
    language: str = "en",
    kinds: tuple[tuple[str, str, bool], ...] = (),
    opt_out: bool = False,
    realm: str = "production",
) -> str:
    cid = new_id()
    email = next((v for k, v, _ in kinds if k == "email"), None)
    s.add(
        m.Customer(
            id=cid,
            realm=realm,
            name=name,
            email=email,
            language=language,
            contact_opt_out=opt_out,
        )
    )
    for kind, value, verified in kinds:
        s.add(
            m.CustomerIdentity(
                id=new_id(),
                realm=realm,
                customer_id=cid,
                kind=kind,
                value=value,
                verified=verified,
            )
        )
    return cid


def order(
    s: Session,
    customer_id: str,
    now: datetime,
    *,
    status: str,
    placed_days: float,
    shipment: str | None = None,
    eta_days: float | None = None,
    updated_days: float | None = None,
    realm: str = "production",
) -> Late:
    """An order placed ``placed_days`` ago; with a parcel in state ``shipment`` whose ETA is
    ``eta_days`` from now (negative: past) and whose carrier last spoke ``updated_days`` ago."""
    oid = new_id()
    number = f"T-{oid[:8]}"
    s.add(
        m.Order(
            id=oid,
            realm=realm,
            customer_id=customer_id,
            number=number,
            status=status,
            placed_at=now - placed_days * DAY,
        )
    )
    s.flush()
    if shipment is not None:
        last = now - (updated_days if updated_days is not None else 0.5) * DAY
        s.add(
            m.Shipment(
                id=new_id(),
                realm=realm,
                order_id=oid,
                carrier="DHL",
                tracking_number="JD0141",
                status=shipment,
                eta=None if eta_days is None else now + eta_days * DAY,
                shipped_at=now - (placed_days - 0.5) * DAY,
                delivered_at=now - DAY if shipment == "delivered" else None,
                created_at=last,
                updated_at=last,
            )
        )
    return Late(customer_id, oid, number)


def canned(s: Session, shortcut: str, language: str, body: str, realm: str = "production") -> None:
    s.add(
        m.CannedResponse(
            id=new_id(),
            realm=realm,
            title=f"{shortcut} {language}",
            shortcut=shortcut,
            body=body,
            language=language,
        )
    )
