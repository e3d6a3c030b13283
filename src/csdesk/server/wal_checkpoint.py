"""The server's SQLite WAL is copied into the database file by a background round, not only
by whichever push commits when the WAL passes ``wal_autocheckpoint`` pages.

SQLite in WAL mode appends each commit to the ``-wal`` file; by default the commit that
takes the WAL past 1,000 pages then copies the WAL into the database file and syncs both,
inside that commit. On the server that commit holds the process's write lock
(``storage.db``), so every push and every background write queued behind the copy: in
``bench/ingest.py`` commits were a fifth of the time the lock was held (issue 10). This
round checkpoints PASSIVE (it waits for nobody: readers keep their snapshots, the writer
goes on appending) a moment after commits, outside the lock, on a connection of its own.

Only a writer can start the WAL over, and only right after a complete copy with no commit
in between. Under a steady stream of pushes a writer is always mid-transaction when the
round finishes, so the commit that reaches ``state.WAL_BACKSTOP_PAGES`` (ten times SQLite's
default) still checkpoints and starts the WAL over; by then the round has copied all but
the last moment's pages. When writes pause, the round's complete copy lets the next writer
start over early. Most of the gain measured is the rarer copy under the lock; the round
keeps that copy small and the WAL short when the server is not saturated.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from csdesk.server.channels.worker import LoopWorker
from csdesk.server.state import ServerState
from csdesk.storage.db import checkpoint, checkpoint_connection, sqlite_file


class WalCheckpointer(LoopWorker):
    """One PASSIVE checkpoint a round: after commits (those of a quarter second share one)
    and every ``poll_seconds``."""

    task_name = "csdesk-wal-checkpoint"
    round_name = "WAL checkpoint"
    min_gap_seconds: ClassVar[float] = 0.25

    def __init__(self, state: ServerState, *, poll_seconds: float = 1.0) -> None:
        super().__init__(state, poll_seconds=poll_seconds)
        self.path = sqlite_file(state.engine)  # None: PostgreSQL (or memory): nothing to do
        self._conn: sqlite3.Connection | None = None

    def run_once(self) -> int:
        """The pages copied into the database file this round."""
        if self.path is None:
            return 0
        if self._conn is None:
            self._conn = checkpoint_connection(self.path)
        return checkpoint(self._conn).copied

    async def stop(self, grace: float = 30.0) -> None:
        await super().stop(grace)
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
