"""Figures for the customers that have none yet, or figures in another currency.

A database from before ``0008_record`` has customers without a ``customer_stats`` row, and a
change of ``CSDESK_SHOP_CURRENCY`` leaves every row in the old currency. The hooks only
recompute a customer on their next change, so at start-up the server walks those customers in
id order, a batch per write transaction (each through the hooked session factory, so the new
rows reach the change feed and the desks), until none is left. Several server processes may
run it at once: ``stats.refresh`` inserts with ``ON CONFLICT DO NOTHING`` and locks before it
reads, so they only repeat each other's work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from csdesk.server.crm import stats
from csdesk.server.state import ServerState
from csdesk.storage import models as m

log = logging.getLogger(__name__)

BATCH = 500


def stale_customers(session: Session, currency: str, after: str, limit: int) -> list[str]:
    """Ids past ``after`` whose figures are missing or not in ``currency``."""
    s = m.CustomerStats
    return list(
        session.scalars(
            select(m.Customer.id)
            .outerjoin(s, s.id == m.Customer.id)
            .where(m.Customer.id > after, or_(s.id.is_(None), s.currency != currency))
            .order_by(m.Customer.id)
            .limit(limit)
        )
    )


def run(state: ServerState, batch: int = BATCH, stop: asyncio.Event | None = None) -> int:
    """Fill in every stale customer's figures; the number of customers refreshed."""
    currency = state.config.shop_currency
    done, last = 0, ""
    while stop is None or not stop.is_set():
        with state.writes() as session:
            ids = stale_customers(session, currency, last, batch)
            if not ids:
                break
            stats.refresh(session, ids, currency)
            session.commit()
        done += len(ids)
        last = ids[-1]
    if done:
        log.info("customer figures filled in for %d customers", done)
    return done


class FiguresBackfill:
    """One run at start-up, in a worker thread; ``stop`` ends it between batches."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self._stop = asyncio.Event()
        self._task: asyncio.Task[int] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="csdesk-customer-figures")

    async def _run(self) -> int:
        try:
            return await asyncio.to_thread(run, self.state, BATCH, self._stop)
        except Exception:  # a database outage: the hooks still fill them in on change
            log.exception("filling in customer figures failed; they follow on the next change")
            return 0

    async def stop(self) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
