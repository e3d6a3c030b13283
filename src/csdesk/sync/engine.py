"""The sync engine: a push thread draining the outbox and a pull thread following the feed.

Why two threads: a long-poll holds its request for up to 25 s, and a reply the agent sends
meanwhile must not wait for it. Each loop backs off on its own (0.5 s doubling to 30 s, with
jitter so a room of desks does not reconnect in step) and a success of either wakes the other,
so sending resumes as soon as the server is back.

Order: the push thread sends the oldest pending actions first and stops at the first transport
failure, retrying the same batch later; the server answers a re-sent id with ``duplicate`` and
its original outcome, so a lost answer never applies an action twice.

Listeners are plain callables receiving ``SyncStatus``, ``ChangeSet`` or ``Rejection``; they run
on the sync threads (``ui/bridge.py`` turns them into Qt signals) and must not block.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from csdesk.i18n import _
from csdesk.protocol import (
    DEFAULT_PAGE,
    DEFAULT_WAIT_SECONDS,
    MAX_PUSH_BATCH,
    Entity,
    MutationResult,
    MutationType,
    Reason,
    RejectCode,
    ResultStatus,
)
from csdesk.sync import optimistic
from csdesk.sync.api import (
    CursorAhead,
    LoginResult,
    Offline,
    ServerError,
    SessionExpired,
    SyncApi,
    SyncError,
    Throttled,
    TlsError,
)
from csdesk.sync.cache import LocalCache
from csdesk.sync.events import ChangeSet, Rejection, SyncEvent, SyncState, SyncStatus
from csdesk.sync.outbox import MAX_BATCH_BYTES, Outbox, OutboxEntry
from csdesk.sync.reasons import localized

log = logging.getLogger(__name__)

Listener = Callable[[SyncEvent], None]


#: The server's error codes for a request it will never accept as sent (our error JSON only:
#: a proxy's 404 must not make the desk reject the agent's whole queue).
REFUSED_REQUEST = frozenset({"too_large", "invalid_request", "quota_exceeded"})


class CacheOwnerMismatch(SyncError):
    """The cache file holds another agent's data and queued actions."""


class Backoff:
    """Exponential backoff with jitter: the n-th delay is uniform in [d/2, d], d = base*2^n."""

    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        self.base, self.cap, self.rng = base, cap, rng
        self.failures = 0

    def next(self) -> float:
        delay = min(self.cap, self.base * (2 ** min(self.failures, 30)))
        self.failures += 1
        return self.rng.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.failures = 0


class SyncEngine:
    """Keeps ``cache`` in sync with the server behind ``api``; see the module docstring."""

    def __init__(
        self,
        cache: LocalCache,
        api: SyncApi,
        *,
        page_limit: int = DEFAULT_PAGE,
        long_poll: float = DEFAULT_WAIT_SECONDS,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        rng: random.Random | None = None,
        connecting: bool = False,
    ) -> None:
        """``connecting``: no token yet, but signing in is under way (the desk shows its
        cached inbox while the embedded server starts): the status says syncing, not signed
        out. Start the engine once :meth:`login` or :meth:`set_token` gave it a token."""
        self.cache = cache
        self.api = api
        self.outbox = Outbox(cache)
        self.page_limit = page_limit
        self.long_poll = long_poll
        self.max_batch_bytes = max_batch_bytes
        self._backoff = (backoff_base, backoff_max, rng or random.Random())
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()
        self._status_lock = threading.RLock()
        self._push_lock = threading.Lock()
        self._pull_lock = threading.Lock()
        self._stopping = threading.Event()
        self._push_wake = threading.Event()
        self._pull_wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._signed_out = api.token is None and not connecting
        self._catching_up = True
        self._failing: dict[str, bool] = {"push": False, "pull": False}
        self._last_sync_at: datetime | None = None
        self._last_error: str | None = None
        self._status = SyncStatus()
        self._publish_status()

    # --- what the UI calls --------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        with self._status_lock:
            return self._status

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Register ``listener``; returns a function that unregisters it."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def login(self, username: str, password: str) -> LoginResult:
        """Sign in and start syncing as this user (the cache must be theirs or empty)."""
        result = self.api.login(username, password)
        owner = self.cache.user()
        if owner is not None and owner.get("id") != result.user.get("id"):
            with contextlib.suppress(SyncError):
                self.api.logout()  # do not leave a live token behind
            self.api.token = None
            raise CacheOwnerMismatch(
                "This desk's local data belongs to another agent; sign in with a separate cache."
            )
        self.cache.set_user(result.user)
        self.set_token(result.token)
        return result

    def confirm_owner(self, user: dict[str, Any]) -> None:
        """The server says the token is ``user``'s: record them as this cache's owner when it
        has none yet (a cache first filled on a saved token; without an owner the next start
        cannot show it before the server answers), or refuse a cache that is another agent's."""
        owner = self.cache.user()
        if owner is not None and owner.get("id") != user.get("id"):
            raise CacheOwnerMismatch("the saved token is another user's")
        if owner is None:
            self.cache.set_user(user)

    def logout(self) -> None:
        """Sign out here and, when reachable, on the server. Queued actions are kept."""
        try:
            self.api.logout()
        except SyncError as exc:
            log.info("logout could not reach the server: %s", exc)
        self.set_token(None)

    def set_token(self, token: str | None) -> None:
        """Use ``token`` (e.g. from the keyring, or after signing in again); None signs out."""
        with self._status_lock:
            self.api.token = token
            self._signed_out = token is None
            if token is not None:
                self._last_error = None
        self._publish_status()
        self._push_wake.set()
        self._pull_wake.set()

    def enqueue(self, mtype: MutationType | str, args: Mapping[str, Any]) -> str:
        """Take an action: written and shown locally at once, pushed when possible."""
        mid, changes = self.outbox.enqueue_with_changes(mtype, args)
        self._emit(changes)
        self._publish_status()
        self._push_wake.set()
        return mid

    def enqueue_batch(
        self, items: Sequence[tuple[MutationType | str, Mapping[str, Any]]]
    ) -> list[str]:
        """Take several actions as one (a macro): queued together, shown at once."""
        ids, changes = self.outbox.enqueue_batch(items)
        self._emit(changes)
        self._publish_status()
        self._push_wake.set()
        return ids

    def cancel(self, mutation_ids: Sequence[str]) -> bool:
        """Take back a batch still waiting in the outbox (undo a macro); False if part of it
        has been pushed already. Waits for a push in flight (so: a worker thread)."""
        with self._push_lock:
            changes = self.outbox.cancel(mutation_ids)
        if changes is None:
            return False
        self._emit(changes)
        self._publish_status()
        return True

    def announce(self, changes: ChangeSet) -> None:
        """Tell the listeners ``changes`` happened (e.g. the search index became ready)."""
        self._emit(changes)

    def dismiss(self, mutation_id: str) -> bool:
        """The agent acknowledged a rejection."""
        gone = self.outbox.dismiss(mutation_id)
        self._publish_status()
        return gone

    def start(self) -> None:
        if any(t.is_alive() for t in self._threads):
            return
        self._stopping.clear()
        self._catching_up = True
        self._threads = [
            threading.Thread(target=self._push_loop, name="csdesk-sync-push", daemon=True),
            threading.Thread(target=self._pull_loop, name="csdesk-sync-pull", daemon=True),
        ]
        for t in self._threads:
            t.start()
        self._push_wake.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop both threads, interrupting a long-poll; True if they ended within ``timeout``."""
        self._stopping.set()
        self._push_wake.set()
        self._pull_wake.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            while t.is_alive() and time.monotonic() < deadline:
                self.api.abort()  # repeated: a request may start just after an abort
                t.join(min(0.1, max(0.0, deadline - time.monotonic())))
        return not any(t.is_alive() for t in self._threads)

    # --- one step each (the threads loop over these; tests call them directly) -----------------

    def pull_once(self, wait: float | None = None) -> ChangeSet:
        """Pull and apply one page; returns what it changed. Raises ``SyncError``s."""
        with self._pull_lock:
            if wait is None:
                wait = 0.0 if self._catching_up else self.long_poll
            page = self.api.pull(self.cache.cursor(), self.page_limit, wait)
            changes = self.cache.apply_page(page)
            self._catching_up = page["more"]
        self._succeeded("pull")
        self._emit(changes)
        return changes

    def push_once(self) -> int:
        """Push the oldest pending batch; returns how many actions the server answered."""
        with self._push_lock:
            batch = self.outbox.pending(MAX_PUSH_BATCH, self.max_batch_bytes)
            if not batch:
                return 0
            results = self._push_batch(batch)
            answered = self._resolve(batch, results)
        self._succeeded("push")
        return answered

    def sync_now(self, max_pages: int = 1_000_000) -> None:
        """Push everything pending and pull until caught up, on the calling thread."""
        while self.push_once():
            pass
        for _page in range(max_pages):
            self.pull_once(wait=0)
            if not self._catching_up:
                break

    # --- pushing --------------------------------------------------------------------------------

    def _push_batch(self, batch: list[OutboxEntry]) -> list[MutationResult]:
        """Push ``batch``; if the server refuses the whole request (a 4xx such as 413), find
        the action it cannot accept.

        The batch is retried with its first action alone; if the server refuses that one on
        its own, it is rejected locally with the server's message, so one bad action cannot
        block the queue forever.
        """
        try:
            return self.api.push([e.as_mutation() for e in batch])
        except ServerError as exc:
            if exc.code not in REFUSED_REQUEST:
                raise  # a server or proxy problem, not this batch's fault: retry later
            if len(batch) > 1:
                return self._push_batch(batch[:1])
            return [
                {
                    "id": batch[0].id,
                    "status": ResultStatus.REJECTED.value,
                    "reason": {"code": RejectCode.INVALID.value, "message": exc.message},
                }
            ]

    def _resolve(self, batch: list[OutboxEntry], results: list[MutationResult]) -> int:
        by_id = {e.id: e for e in batch}
        acks: dict[str, int] = {}
        rejections: dict[str, Reason] = {}
        for r in results:
            if r.get("id") not in by_id:
                continue
            status = r.get("status")
            original = r.get("original_status", status)
            if status == ResultStatus.REJECTED or (
                status == ResultStatus.DUPLICATE and original == ResultStatus.REJECTED
            ):
                fallback: Reason = {
                    "code": RejectCode.CONFLICT.value,
                    "message": _("The server refused this action."),
                }
                reason = r.get("reason", fallback)
                if not isinstance(reason, dict):
                    reason = fallback
                # Stored and shown in the desk's language (issue 13).
                rejections[r["id"]] = {
                    "code": str(reason.get("code", RejectCode.CONFLICT.value)),
                    "message": localized(reason),
                }
            elif not r.get("seq"):
                # No seq: the action changed nothing on the server (another desk's change,
                # not yet pulled here, already did it), or a duplicate answer, which does not
                # repeat the seq. Either way the affected entities' current seqs are new
                # enough: replay the effect until the feed has delivered them, so it does not
                # flicker away in between.
                entry = by_id[r["id"]]
                acks[r["id"]] = self._current_seq(optimistic.affected(entry.type, entry.args))
            else:
                acks[r["id"]] = int(r.get("seq", 0) or 0)
        changes = self.outbox.resolve(acks, rejections)
        self._emit(changes)
        self._publish_status()
        for mid, reason in rejections.items():
            entry = by_id[mid]
            self._emit(Rejection(mid, entry.type, entry.args, reason["code"], reason["message"]))
            self._refresh_from_server(optimistic.affected(entry.type, entry.args))
        return len(acks) + len(rejections)

    def _current_seq(self, pairs: list[tuple[Entity, str]]) -> int:
        seq = 0
        for entity, ident in pairs:
            try:
                snap = self.api.snapshot(entity, ident)
            except SyncError:
                return 0  # offline again: let the effect go now, the feed will restore it
            seq = max(seq, snap.seq if snap else 0)
        return seq

    def _refresh_from_server(self, pairs: list[tuple[Entity, str]]) -> None:
        """After a rejection, show the server's current version now rather than at the next pull."""
        for entity, ident in pairs:
            try:
                snap = self.api.snapshot(entity, ident)
            except SyncError as exc:
                log.info("could not re-read %s %s after a rejection: %s", entity, ident, exc)
                return  # the feed will bring it
            if snap is None or snap.deleted:
                changes = self.cache.apply_snapshot(entity, ident, snap.seq if snap else 0, None)
            else:
                changes = self.cache.apply_snapshot(entity, ident, snap.seq, snap.data)
            self._emit(changes)

    # --- loops ----------------------------------------------------------------------------------

    def _new_backoff(self) -> Backoff:
        return Backoff(*self._backoff)

    def _push_loop(self) -> None:
        backoff = self._new_backoff()
        delay: float | None = None  # None: sleep until woken
        while not self._stopping.is_set():
            self._push_wake.wait(delay)
            self._push_wake.clear()
            if self._stopping.is_set():
                break
            if self._signed_out:
                delay = None
                continue
            try:
                while not self._stopping.is_set() and self.push_once():
                    pass
            except Exception as exc:  # every failure is retried; nothing may kill the loop
                delay = self._failed("push", exc, backoff)
                continue
            backoff.reset()
            delay = None

    def _pull_loop(self) -> None:
        backoff = self._new_backoff()
        while not self._stopping.is_set():
            if self._signed_out:
                self._pull_wake.wait()
                self._pull_wake.clear()
                continue
            try:
                self.pull_once()
            except Exception as exc:
                delay = self._failed("pull", exc, backoff)
                if delay:
                    self._pull_wake.wait(delay)
                    self._pull_wake.clear()
                continue
            backoff.reset()

    def _failed(self, loop: str, exc: Exception, backoff: Backoff) -> float:
        """Record a failure and say how long to wait before the next try."""
        if self._stopping.is_set():
            return 0.0
        if isinstance(exc, SessionExpired):
            with self._status_lock:
                if exc.token != self.api.token:
                    return 0.0  # refused for a token that has since been replaced: go on
                self._signed_out = True
                self._last_error = exc.message
            self._publish_status()
            return 0.0
        if isinstance(exc, CursorAhead):
            log.warning("cursor ahead of the server: resyncing from 0")
            changes = self.cache.reset()
            self._catching_up = True
            self._emit(changes)
            self._publish_status()
            return 0.0
        delay = backoff.next()
        if isinstance(exc, SyncError):
            message = exc.message
            if isinstance(exc, Throttled):
                delay = max(delay, exc.retry_after)
        else:
            log.exception("sync %s step failed", loop, exc_info=exc)
            message = f"Synchronisation failed unexpectedly ({type(exc).__name__}: {exc})."
        with self._status_lock:
            self._failing[loop] = isinstance(exc, Offline | TlsError | ServerError)
            self._last_error = message
        self._publish_status()
        return delay

    def _succeeded(self, loop: str) -> None:
        other = "pull" if loop == "push" else "push"
        with self._status_lock:
            self._failing[loop] = False
            self._last_sync_at = datetime.now(UTC)
            if not self._failing[other]:
                self._last_error = None
            wake_other = self._failing[other]
        if wake_other:  # the server is back: do not let the other loop sleep out its backoff
            (self._pull_wake if other == "pull" else self._push_wake).set()
        self._publish_status()

    # --- events ---------------------------------------------------------------------------------

    def _publish_status(self) -> None:
        counts = self.outbox.counts()
        with self._status_lock:
            if self._signed_out:
                state = SyncState.SIGNED_OUT
            elif any(self._failing.values()):
                state = SyncState.OFFLINE
            elif self._catching_up or counts.pending:
                state = SyncState.SYNCING
            else:
                state = SyncState.ONLINE
            status = SyncStatus(
                state, counts.pending, counts.rejected, self._last_sync_at, self._last_error
            )
            if status == self._status:
                return
            self._status = status
            # Emitted under the lock so listeners see statuses in the order they were made.
            self._emit(status)

    def _emit(self, event: SyncEvent) -> None:
        if isinstance(event, ChangeSet) and not event:
            return
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("sync listener %r failed", listener)
