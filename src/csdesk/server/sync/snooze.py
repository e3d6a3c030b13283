"""Snoozes wake up on time, on the server, so every desk agrees when a conversation is back.

A loop on the server's event loop (the shape of ``channels.worker.LoopWorker``, without its
HTTP session) wakes every ``ServerConfig.snooze_wake_seconds``: one conditional
``UPDATE … SET status='open' WHERE status='snoozed' AND snoozed_until <= now RETURNING id``.
Several server processes on one PostgreSQL may run it at the same moment: a row another
process is waking is locked, and once that commits the row no longer matches, so each
snooze wakes exactly once (SQLite serializes writers anyway). The woken conversations go out
on the change feed like any write, with an audit entry (``conversation.wake``, no actor).

``snoozed_until`` is kept on the woken conversation: with ``status`` open it says when its
snooze ended, which is how a desk tells "snooze over" from "newly assigned to you". Any later
status change (or a customer's message reopening it) clears it, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus
from csdesk.server.feed import log as feed_log
from csdesk.server.state import ServerState
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)

#: The audit action of a snooze that ran out (no user did it).
WAKE_ACTION: Final = "conversation.wake"
#: At most this many conversations wake in one transaction; the rest in the next round.
BATCH: Final = 500


def wake_due(session: Session, now: datetime) -> list[str]:
    """Wake the snoozes due at ``now`` (up to ``BATCH``); their ids. The caller commits."""
    C = m.Conversation
    due = (
        select(C.id)
        .where(
            C.status == ConversationStatus.SNOOZED.value,
            C.snoozed_until.is_not(None),
            C.snoozed_until <= now,
            C.deleted_at.is_(None),
        )
        .order_by(C.snoozed_until)
        .limit(BATCH)
        .scalar_subquery()
    )
    # The WHERE is repeated on the UPDATE itself: that, not the sub-select, is what another
    # process's concurrent wake is re-checked against once its row lock is released.
    woken = list(
        session.scalars(
            update(C)
            .where(
                C.id.in_(due),
                C.status == ConversationStatus.SNOOZED.value,
                C.snoozed_until <= now,
            )
            .values(status=ConversationStatus.OPEN.value, updated_at=now)
            .returning(C.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not woken:
        return []
    convs = [c for cid in woken if (c := session.get(C, cid, populate_existing=True)) is not None]
    for conv in convs:
        audit.record(
            session,
            None,
            WAKE_ACTION,
            "conversation",
            conv.id,
            {"status": ConversationStatus.SNOOZED.value},
            {
                "status": ConversationStatus.OPEN.value,
                "snoozed_until": conv.snoozed_until.isoformat() if conv.snoozed_until else None,
            },
        )
    session.flush()
    feed_log.append(session, [feed_log.item_for(conv) for conv in convs])
    return woken


class SnoozeWaker:
    """Runs :func:`wake_due` every ``interval`` seconds until stopped."""

    def __init__(self, state: ServerState, interval: float) -> None:
        self.state = state
        self.interval = max(interval, 0.05)
        self.rounds = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="csdesk-snooze-waker")

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

    def run_once(self, now: datetime | None = None) -> list[str]:
        with self.state.writes() as s:
            woken = wake_due(s, now or utcnow())
            s.commit()
        self.wake_callbacks(now)
        self.wake_scheduled(now)  # scheduled replies and reminders (docs/scheduled-send.md)
        if woken:
            log.info("woke %d snoozed conversation(s)", len(woken))
        return woken

    def wake_callbacks(self, now: datetime | None = None) -> list[str]:
        """Callbacks come due in the same round (``server.callbacks.due``)."""
        from datetime import timedelta

        from csdesk.server.callbacks.due import wake_due as callbacks_due

        grace = timedelta(seconds=self.state.config.callback_grace_seconds)
        with self.state.writes() as s:
            changed = callbacks_due(s, now or utcnow(), grace)
            s.commit()
        if changed:
            log.info("%d callback(s) came due or went to the queue", len(changed))
        return changed

    def wake_scheduled(self, now: datetime | None = None) -> tuple[list[str], list[str]]:
        """Scheduled replies go out and reminders come due in the same round
        (``server.scheduled.due``; docs/scheduled-send.md): (replies, reminders) handled."""
        from csdesk.server.scheduled.due import remind_due, send_due

        sent: list[str] = []
        try:
            with self.state.writes() as s:
                sent = send_due(s, now or utcnow())
                s.commit()
        except Exception:  # reminders still come due
            log.exception("sending scheduled replies failed; trying again next round")
        with self.state.writes() as s:
            reminded = remind_due(s, now or utcnow())
            s.commit()
        if sent or reminded:
            log.info(
                "%d scheduled reply(s) handed on, %d reminder(s) due", len(sent), len(reminded)
            )
        return sent, reminded

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("waking snoozed conversations failed; trying again")
            self.rounds += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
