"""Keeping csdesk's orders in step with each connected store.

A new connection first imports, a page per step: every customer, then every order, the cursor
saved with each page so an interrupted import (a restart, the store down) resumes where it
stopped. Then it is live: webhooks bring changes as they happen, and every
``reconcile_minutes`` the worker asks for what changed since it last looked (a little overlap,
since applying a record twice changes nothing), for whatever a webhook missed.

Several server processes may share a database: a connection is worked on under a lease
(``lease_until``), claimed with one conditional UPDATE. A store that cannot be reached is
retried with exponential backoff (``attempts``, ``next_run_at``, ``last_error`` show it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.server.channels.vault import VaultError
from csdesk.server.channels.worker import LoopWorker, backoff
from csdesk.server.commerce import importer, stores
from csdesk.server.commerce.store_api import (
    StoreConnector,
    StoreCustomer,
    StoreOrder,
    StoreRefused,
    StoreUnavailable,
)
from csdesk.server.commerce.stores import StoreSettings
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.commerce.runtime import StoreRuntime

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE: Final = timedelta(minutes=2)
RETRY_BASE_SECONDS: Final = 2.0
#: The reconcile asks for changes since a little before the last one started.
OVERLAP: Final = timedelta(minutes=2)
MAX_RECONCILE_PAGES: Final = 200


def write(state: ServerState, work: Callable[[Session], T], tries: int = 3) -> T:
    """``work`` in its own transaction; a lost insert race (the same order arriving by webhook
    and by the reconcile at once) is retried, and the second run finds the row."""
    for attempt in range(tries):
        with state.writes() as s:
            try:
                result = work(s)
                s.commit()
                return result
            except IntegrityError:
                s.rollback()
                if attempt == tries - 1:
                    raise
    raise AssertionError("unreachable")


def apply_customers(state: ServerState, store: str, items: list[StoreCustomer]) -> None:
    def run(s: Session) -> None:
        for rec in items:
            importer.apply_customer(s, store, rec)

    write(state, run)


def apply_orders(
    state: ServerState, store: str, items: list[StoreOrder], customer: StoreCustomer | None = None
) -> None:
    def run(s: Session) -> None:
        for rec in items:
            importer.apply_order(s, store, rec, customer)

    write(state, run)


class StoreSyncWorker(LoopWorker):
    task_name = "csdesk-store-sync"
    round_name = "store import/reconcile"
    min_gap_seconds = 0.2

    def __init__(self, state: ServerState, runtime: StoreRuntime) -> None:
        super().__init__(state, poll_seconds=1.0)
        self.runtime = runtime

    def run_once(self) -> int:
        now = utcnow()
        with self.state.reads() as s:
            due = list(
                s.scalars(
                    select(m.StoreConnection.name).where(
                        m.StoreConnection.enabled.is_(True),
                        m.StoreConnection.next_run_at <= now,
                        or_(
                            m.StoreConnection.lease_until.is_(None),
                            m.StoreConnection.lease_until < now,
                        ),
                    )
                )
            )
        done = 0
        for name in due:
            if self.stopping:
                break
            if self.step(name):
                done += 1
        return done

    def _claim(self, name: str) -> bool:
        now = utcnow()
        with self.state.writes() as s:
            claimed = s.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
                update(m.StoreConnection)
                .where(
                    m.StoreConnection.name == name,
                    m.StoreConnection.next_run_at <= now,
                    or_(
                        m.StoreConnection.lease_until.is_(None),
                        m.StoreConnection.lease_until < now,
                    ),
                )
                .values(lease_until=now + LEASE)
            ).rowcount
            s.commit()
        return bool(claimed)

    def step(self, name: str) -> bool:
        """One step for one store (an import page, or a whole reconcile); False if another
        process holds it or it is not due."""
        if not self._claim(name):
            return False
        try:
            settings = self.runtime.settings(name)
        except VaultError as exc:
            self._failed(name, str(exc), None)
            return True
        if settings is None:
            return True
        if settings.provider not in stores.FACTORIES:
            self._failed(name, f"this server has no {settings.provider} connector", None)
            return True
        try:
            with self.runtime.connector(settings) as conn:
                self._advance(name, settings, conn)
        except (StoreUnavailable, StoreRefused) as exc:
            hint = exc.retry_after if isinstance(exc, StoreUnavailable) else None
            self._failed(name, exc.reason, hint)
        return True

    def _row(self, name: str) -> m.StoreConnection:
        with self.state.reads() as s:
            row = s.get(m.StoreConnection, name)
            if row is None:
                raise StoreRefused("the store was removed")
            s.expunge(row)
            return row

    def _advance(self, name: str, settings: StoreSettings, conn: StoreConnector) -> None:
        row = self._row(name)
        if row.phase == "customers":
            started = row.synced_through or utcnow()
            cpage = conn.customers(row.cursor, None)
            apply_customers(self.state, name, cpage.items)
            self._record(
                name,
                phase="customers" if cpage.next_cursor else "orders",
                cursor=cpage.next_cursor,
                customers_done=row.customers_done + len(cpage.items),
                synced_through=started,
                next_run_at=utcnow(),
            )
        elif row.phase == "orders":
            opage = conn.orders(row.cursor, None)
            apply_orders(self.state, name, opage.items)
            self._record(
                name,
                phase="orders" if opage.next_cursor else "live",
                cursor=opage.next_cursor,
                orders_done=row.orders_done + len(opage.items),
                next_run_at=utcnow(),
            )
        else:
            started = utcnow()
            self.reconcile(name, conn, row.synced_through)
            self._record(
                name,
                synced_through=started,
                next_run_at=started + timedelta(seconds=settings.reconcile_seconds),
            )

    def reconcile(self, name: str, conn: StoreConnector, since: datetime | None) -> int:
        """Apply every customer and order changed since ``since`` (less the overlap)."""
        after = since - OVERLAP if since is not None else None
        seen = 0
        cursor: str | None = None
        for _ in range(MAX_RECONCILE_PAGES):
            cpage = conn.customers(cursor, after)
            apply_customers(self.state, name, cpage.items)
            seen += len(cpage.items)
            cursor = cpage.next_cursor
            if cursor is None or self.stopping:
                break
        cursor = None
        for _ in range(MAX_RECONCILE_PAGES):
            opage = conn.orders(cursor, after)
            apply_orders(self.state, name, opage.items)
            seen += len(opage.items)
            cursor = opage.next_cursor
            if cursor is None or self.stopping:
                break
        if seen:
            log.info("store %s: reconcile applied %d changed records", name, seen)
        return seen

    def _record(self, name: str, **values: object) -> None:
        values.update(lease_until=None, attempts=0, last_error=None)
        with self.state.writes() as s:
            s.execute(
                update(m.StoreConnection).where(m.StoreConnection.name == name).values(**values)
            )
            s.commit()

    def _failed(self, name: str, reason: str, hint: float | None) -> None:
        with self.state.writes() as s:
            row = s.get(m.StoreConnection, name)
            if row is None:
                return
            row.attempts += 1
            row.last_error = reason[:500]
            row.next_run_at = utcnow() + timedelta(
                seconds=backoff(row.attempts, RETRY_BASE_SECONDS, hint)
            )
            row.lease_until = None
            attempts = row.attempts
            s.commit()
        log.warning("store %s: %s (attempt %d; retrying)", name, reason, attempts)
