"""On SQLite, another process's commits wake the waiting desks within ``backstop_seconds``.

A commit of this server wakes its long-polls at once (``feed.log`` publishes it). On
PostgreSQL another server process's commit arrives by NOTIFY (``notifier.listen_postgres``).
SQLite has no such signal, and other processes do write the server's file: the admin's
``csdesk-server`` commands (a user added, a catalogue imported, a channel set up). Without
this round a desk heard of such a change only at the server's own next commit, or at the end
of its long-poll (25 s) on a quiet floor. While desks wait, the round reads the feed's head
every ``backstop_seconds`` (one primary-key read) and hands it to the notifier, which wakes
those it passes; this process's own commits still pending their answer stay held.
"""

from __future__ import annotations

from typing import ClassVar

from csdesk.server.channels.worker import LoopWorker
from csdesk.server.state import ServerState


class FeedHeadWatch(LoopWorker):
    """One read of the feed's head a round, only while someone waits; driven by the clock."""

    task_name = "csdesk-feed-head-watch"
    round_name = "feed head watch"
    wakes_on_commit: ClassVar[bool] = False

    def __init__(self, state: ServerState, *, poll_seconds: float | None = None) -> None:
        super().__init__(
            state,
            poll_seconds=state.config.backstop_seconds if poll_seconds is None else poll_seconds,
        )

    def run_once(self) -> int:
        """The head read (0: nobody waits, nothing read)."""
        notifier = self.state.notifier
        if not notifier.waiters:
            return 0
        head = self.state.read_head()
        notifier.heard(head)
        return head
