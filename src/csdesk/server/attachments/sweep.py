"""Removing uploaded files nobody sent, after a grace period.

An agent uploads a file when the reply that carries it is pushed; a reply rejected, or a file
taken off again, leaves the upload behind.  The sweep deletes upload records no reply used
that are older than ``ServerConfig.upload_grace_seconds``, then each such file, unless
something still needs it: another upload record (any uploader, any realm), a message that
carries it (sent replies, inbound email and provider media share the store), or a write
since the cut-off (the store touches a file stored again).

Races: a reply claims its upload row under a row lock (``records.use``) and the sweep
deletes only rows still unused, so a reply and the sweep never both win; an upload writes
its record before the file, so the sweep never sees a fresh file without a record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import delete, select

from csdesk.server.attachments import records
from csdesk.server.channels.worker import LoopWorker
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)

BATCH: Final = 500


@dataclass(frozen=True, slots=True)
class Swept:
    records: int
    files: int


def sweep(state: ServerState, grace: timedelta, now: datetime | None = None) -> Swept:
    """One sweep (see the module docstring); what it removed."""
    cutoff = (now or utcnow()) - grace
    u = m.Upload
    removed = 0
    candidates: set[str] = set()
    while True:
        with state.writes() as s:
            stale = s.execute(
                select(u.uploader_id, u.realm, u.sha256)
                .where(u.used_at.is_(None), u.created_at < cutoff)
                .limit(BATCH)
            ).all()
            for uploader_id, realm, sha in stale:
                gone = s.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
                    delete(u).where(
                        u.uploader_id == uploader_id,
                        u.realm == realm,
                        u.sha256 == sha,
                        u.used_at.is_(None),  # a reply may have claimed it meanwhile
                        u.created_at < cutoff,
                    )
                ).rowcount
                if gone:
                    removed += gone
                    candidates.add(sha)
            s.commit()
        if len(stale) < BATCH:
            break
    return Swept(removed, _remove_unneeded(state, candidates, cutoff))


def _remove_unneeded(state: ServerState, candidates: set[str], cutoff: datetime) -> int:
    """Delete the candidates' files no upload record, message or recent write needs."""
    if not candidates:
        return 0
    with state.reads() as s:
        recorded = set(
            s.scalars(select(m.Upload.sha256).where(m.Upload.sha256.in_(sorted(candidates))))
        )
        unneeded = candidates - recorded
        unneeded -= records.carried_among(s, unneeded)
    removed = 0
    for sha in sorted(unneeded):
        path = state.attachments.path(sha)
        if path is None:
            continue
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) >= cutoff:
            continue  # stored again since the cut-off: someone needs it
        path.unlink(missing_ok=True)
        removed += 1
    return removed


class UploadSweeper(LoopWorker):
    """Runs ``sweep`` at start and then every ``upload_sweep_seconds``."""

    task_name = "csdesk-upload-sweep"
    round_name = "upload sweep"
    #: Due by the clock alone: a commit gives it nothing to do.
    wakes_on_commit = False
    min_gap_seconds = 0.0  # its own clock (``upload_sweep_seconds``) paces it

    def __init__(self, state: ServerState) -> None:
        interval = max(0.05, float(state.config.upload_sweep_seconds))
        # Looks in every second (a clock check, nothing more when not due), so that stopping
        # the server never waits for the next sweep.
        super().__init__(state, poll_seconds=min(interval, 1.0))
        self.interval = timedelta(seconds=interval)
        self.grace = timedelta(seconds=float(state.config.upload_grace_seconds))
        self.next_at: datetime | None = None

    def run_once(self) -> int:
        now = utcnow()
        if self.next_at is not None and now < self.next_at:
            return 0  # woken by a commit; not due yet
        self.next_at = now + self.interval
        done = sweep(self.state, self.grace, now)
        if done.records or done.files:
            log.info(
                "upload sweep: %d unused upload(s) expired, %d file(s) removed",
                done.records,
                done.files,
            )
        return done.files
