"""The demo's colleagues stay connected while the customer simulator runs (``csdesk-server
serve --simulate-customers``, ``make run``): every few seconds their desks are noted as heard,
as a real desk's long-poll would, so the board shows them in their seeded statuses instead of
Offline. Only the demo staff seeded online (``server.demo.floor.COLLEAGUES``), never anyone
else.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import select

from csdesk.server.floor.presence import DeskSeen
from csdesk.server.state import ServerState
from csdesk.storage import models as m


class DemoColleagues:
    def __init__(self, state: ServerState, seen: DeskSeen, interval: float = 10.0) -> None:
        self.state, self.seen, self.interval = state, seen, interval
        self._task: asyncio.Task[None] | None = None
        self._ids: list[str] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="csdesk-demo-colleagues")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _read_ids(self) -> list[str]:
        from csdesk.server.demo.floor import COLLEAGUES

        with self.state.reads() as s:
            return list(s.scalars(select(m.User.id).where(m.User.username.in_(sorted(COLLEAGUES)))))

    async def _run(self) -> None:
        while True:
            if self._ids is None:
                with contextlib.suppress(Exception):
                    self._ids = await asyncio.to_thread(self._read_ids)
            for user_id in self._ids or ():
                self.seen.note(user_id)
            await asyncio.sleep(self.interval)
