"""Whether an agent's desk is connected: "Offline" after ``agent_offline_seconds`` unheard.

A desk is always long-polling the change feed (a pull at least every ~25 s), so the pull is
the heartbeat. The pull route only notes the time in memory (:class:`DeskSeen`: no database
write on the hottest path); :class:`FloorSweeper` writes what was noted every few seconds and
marks online the agents heard from and offline those unheard for the TTL. Several server
processes on one PostgreSQL each write what they heard, and any of them may mark an agent
offline: ``seen_at`` is the latest any process heard, so none marks offline a desk another one
is serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, select, update

from csdesk.server.floor import status
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)


class DeskSeen:
    """user id -> when their desk last pulled, since the sweeper last took them. Touched only
    on the server's event loop (pull) and swapped out whole by the sweeper."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}

    def note(self, user_id: str, at: datetime | None = None) -> None:
        self._seen[user_id] = at or utcnow()

    def take(self) -> dict[str, datetime]:
        seen, self._seen = self._seen, {}
        return seen

    def forget(self, user_id: str) -> None:
        """The desk signed out: what it said before must not bring it back online."""
        self._seen.pop(user_id, None)


def signed_out(state: ServerState, seen: DeskSeen | None, user_id: str) -> None:
    """Offline at once when the agent signs out (not a TTL later). Another desk of theirs
    that is still pulling brings them back online at the next sweep."""
    if seen is not None:
        seen.forget(user_id)
    with state.writes() as s:
        if s.get(m.AgentStatusRow, user_id) is None:
            return
        R = m.AgentStatusRow
        s.execute(
            update(R)
            .where(R.id == user_id)
            .values(seen_at=None)
            .execution_options(synchronize_session=False)
        )
        status.change(s, user_id, utcnow(), online=False)
        s.commit()


def sweep(
    state: ServerState, seen: dict[str, datetime], now: datetime, ttl: timedelta
) -> list[str]:
    """Write ``seen``, then bring ``online`` up to date; the agents whose status changed."""
    changed: list[str] = []
    R = m.AgentStatusRow
    with state.writes() as s:
        if seen:
            ids = sorted(seen)
            known = set(s.scalars(select(m.User.id).where(m.User.id.in_(ids))))
            have = set(s.scalars(select(R.id).where(R.id.in_(ids))))
            for user_id in ids:
                if user_id in known and user_id not in have:
                    status.ensure(s, user_id, seen[user_id])  # a first desk: offline until below
            s.flush()
            # One statement for every desk heard (thousands of long-polls: one round trip).
            t = R.__table__
            assert isinstance(t, Table)
            params = [{"uid": u, "at": seen[u]} for u in ids if u in known]
            if params:
                s.connection().execute(
                    update(t)
                    .where(
                        t.c.id == bindparam("uid"),
                        t.c.seen_at.is_(None) | (t.c.seen_at < bindparam("at")),
                    )
                    .values(seen_at=bindparam("at")),
                    params,
                )
        cutoff = now - ttl
        rows = s.execute(select(R.id, R.online, R.seen_at).order_by(R.id)).all()
        for user_id, online, seen_at in rows:
            heard = seen_at is not None and seen_at >= cutoff
            if heard != online and status.change(s, user_id, now, online=heard):
                changed.append(user_id)
        s.commit()
    return changed


class FloorSweeper:
    """Runs :func:`sweep` every ``interval`` seconds until stopped (``SnoozeWaker``'s shape)."""

    def __init__(self, state: ServerState, seen: DeskSeen, interval: float, ttl: float) -> None:
        self.state = state
        self.seen = seen
        self.interval = max(interval, 0.05)
        self.ttl = timedelta(seconds=max(ttl, 1.0))
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="csdesk-floor-sweeper")

    async def stop(self) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(task, 10)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def run_once(self, seen: dict[str, datetime], now: datetime | None = None) -> list[str]:
        return sweep(self.state, seen, now or utcnow(), self.ttl)

    async def _run(self) -> None:
        while not self._stop.is_set():
            seen = self.seen.take()  # on the loop, where the pulls note
            try:
                changed = await asyncio.to_thread(self.run_once, seen)
                if changed:
                    log.info("%d agent status(es) changed with their desks", len(changed))
            except Exception:
                log.exception("the floor sweep failed; trying again")
                for user_id, at in seen.items():  # not lost: noted again for the next round
                    self.seen._seen.setdefault(user_id, at)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
