"""The server's SQLite WAL is copied into the database file by a background round, not by
whichever push commits when the WAL passes SQLite's 1,000 pages.

SQLite in WAL mode appends each commit to the ``-wal`` file; by default the commit that
takes the WAL past ``wal_autocheckpoint`` pages then copies the WAL into the database file
and syncs both, inside that commit. On the server that commit holds the process's write
lock (``storage.db``), so every push and every background write queued behind the copy: in
``bench/ingest.py`` commits were a fifth of the time the lock was held (issue 10). This
round checkpoints PASSIVE (it waits for nobody: readers keep their snapshots, the writer
goes on appending) a moment after commits, outside the lock. The engine keeps a far larger
``wal_autocheckpoint`` (``state.WAL_BACKSTOP_PAGES``) as a backstop, for a process that
writes without this round running (``csdesk-server seed-demo``, a round that failed).
"""

from __future__ import annotations

from typing import ClassVar

from csdesk.server.channels.worker import LoopWorker
from csdesk.storage.db import checkpoint


class WalCheckpointer(LoopWorker):
    """One PASSIVE checkpoint a round: after commits (those of a quarter second share one)
    and every few seconds."""

    task_name = "csdesk-wal-checkpoint"
    round_name = "WAL checkpoint"
    min_gap_seconds: ClassVar[float] = 0.25

    def run_once(self) -> int:
        done = checkpoint(self.state.engine)
        return 0 if done is None else done.copied
