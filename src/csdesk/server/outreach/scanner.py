"""Runs the delay detector (``outreach.detect``) at start and every
``ServerConfig.outreach_scan_seconds`` (the shape of ``sync.snooze.SnoozeWaker``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from csdesk.server.outreach.detect import Scan, scan
from csdesk.server.state import ServerState
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)


class OutreachScanner:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.interval = max(state.config.outreach_scan_seconds, 0.05)
        self.rounds = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.state.config.outreach_scan_seconds <= 0:
            return
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="csdesk-outreach-scanner")

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

    def run_once(self, now: datetime | None = None) -> Scan:
        cfg = self.state.config
        with self.state.writes() as s:
            found = scan(
                s,
                now or utcnow(),
                stale_days=cfg.outreach_stale_days,
                ship_days=cfg.outreach_ship_days,
            )
            s.commit()
        if found.opened or found.cleared:
            log.info("outreach: %d late order(s) opened, %d cleared", found.opened, found.cleared)
        return found

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # a unique-key race with another process: next round
                log.exception("the outreach delay scan failed; trying again")
            self.rounds += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
