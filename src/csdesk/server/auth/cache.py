"""Bearer token -> user in memory, checked on the event loop.

Every long-poll and every pull names its token; reading the token and its user from the
database each time (on a worker thread) was most of a wake-up's cost. A checked token is kept
``ttl`` seconds. What would make it wrong drops it at once:

* logout, revocation and any change to a user row made through this process's write sessions
  (:func:`note_change` / the ``after_flush`` hook of :func:`install`) invalidate that user's
  entries when the transaction commits;
* on PostgreSQL the same transaction sends ``NOTIFY csdesk_auth, '<user ids>'``, which the
  feed listener of every other server process forwards to :meth:`AuthCache.invalidate`; while
  that listener is not connected (notifications would be lost) nothing is kept at all;
* the token's own expiry is checked on every hit.

Concurrent misses are batched: the tokens missed in one loop turn are read with one query.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached, sessionmaker
from starlette.concurrency import run_in_threadpool

from csdesk.storage import models as m
from csdesk.storage.types import utcnow

#: The PostgreSQL channel on which a commit names the users whose tokens changed.
AUTH_CHANNEL = "csdesk_auth"
#: In a NOTIFY payload: every user (the list would not fit in a notification).
EVERYONE = "*"
_TOUCHED = "csdesk_auth_touched"
_NOTIFY_MAX = 7000  # bytes; PostgreSQL's limit is 8000


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the database says about one token: its user (None: refused) and why not."""

    user: m.User | None
    why: str  # "" | "token_invalid" | "token_expired"
    expires_at: datetime | None = None


INVALID = Verdict(None, "token_invalid")

#: Reads the verdicts of some token hashes (runs on a worker thread).
Lookup = Callable[[Sequence[str]], dict[str, Verdict]]


def _aware(when: datetime) -> datetime:
    from datetime import UTC

    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def read_verdicts(session: Session, hashes: Sequence[str]) -> dict[str, Verdict]:
    """The verdict of each token hash found (an absent one is :data:`INVALID`)."""
    out: dict[str, Verdict] = {}
    for start in range(0, len(hashes), 500):
        rows = session.execute(
            select(m.AuthToken, m.User)
            .join(m.User, m.User.id == m.AuthToken.user_id)
            .where(m.AuthToken.token_hash.in_(hashes[start : start + 500]))
        ).all()
        for token, user in rows:
            if token.revoked_at is not None or not user.active:
                out[token.token_hash] = INVALID
            else:
                out[token.token_hash] = Verdict(user, "", _aware(token.expires_at))
    return out


_USER_COLUMNS = tuple(c.key for c in m.User.__mapper__.column_attrs)
_USER_CLASS = m.User.__mapper__.class_manager


def _copy(user: m.User) -> m.User:
    """A detached copy of ``user``: each request gets its own object, as a read session gave
    it before the cache, so nothing a request does to it reaches the cached verdict or
    another request holding the same token."""
    loaded = user.__dict__
    copy: m.User = _USER_CLASS.new_instance()  # no __init__: a third of the cost
    copy.__dict__.update({k: loaded[k] for k in _USER_COLUMNS if k in loaded})
    make_transient_to_detached(copy)
    return copy


def judge(verdict: Verdict) -> tuple[m.User | None, str]:
    """The user, or None and why; expiry is checked now, not when the verdict was read."""
    if verdict.user is None:
        return None, verdict.why
    if verdict.expires_at is not None and verdict.expires_at <= utcnow():
        return None, "token_expired"
    return verdict.user, ""


class AuthCache:
    """Verdicts by token hash for ``ttl`` seconds (0: none kept)."""

    def __init__(self, ttl: float, lookup: Lookup, *, trusted: bool = True) -> None:
        self._ttl = ttl
        self._lookup = lookup
        self._lock = threading.Lock()  # invalidations come from worker threads
        self._entries: dict[str, tuple[float, Verdict]] = {}
        self._by_user: dict[str, set[str]] = {}
        self._generation = 0
        self._pending: dict[str, asyncio.Future[Verdict]] = {}
        self._batches: set[asyncio.Task[None]] = set()
        #: False while invalidations could be missed (PostgreSQL listener down): keep nothing.
        self.trusted = trusted
        self.lookups = 0  # database reads made (tests, benches)

    def __len__(self) -> int:
        return len(self._entries)

    async def check(self, token_hash: str) -> tuple[m.User | None, str]:
        loop = asyncio.get_running_loop()
        hit = self._entries.get(token_hash)
        if hit is not None and loop.time() - hit[0] < self._ttl:
            user, why = judge(hit[1])
        else:
            user, why = judge(await self._miss(token_hash, loop))
        return (None if user is None else _copy(user)), why

    async def _miss(self, token_hash: str, loop: asyncio.AbstractEventLoop) -> Verdict:
        flight = self._pending.get(token_hash)
        if flight is None:
            if not self._pending:
                loop.call_soon(self._start_batch, loop)
            flight = self._pending[token_hash] = loop.create_future()
        return await asyncio.shield(flight)

    def _start_batch(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending = self._pending, {}
        task = loop.create_task(self._read(batch))
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _read(self, batch: dict[str, asyncio.Future[Verdict]]) -> None:
        generation = self._generation
        try:
            self.lookups += 1
            verdicts = await run_in_threadpool(self._lookup, list(batch))
        except BaseException as exc:
            for flight in batch.values():
                if not flight.done():
                    flight.set_exception(exc)
                    flight.exception()  # retrieved: each waiter re-raises it
            if not isinstance(exc, Exception):
                raise
            return
        now = asyncio.get_running_loop().time()
        with self._lock:
            # An invalidation during the read may have made it stale: answer, don't keep.
            keep = self.trusted and self._ttl > 0 and generation == self._generation
            for token_hash, flight in batch.items():
                verdict = verdicts.get(token_hash, INVALID)
                if keep and verdict.user is not None:  # refusals are not kept (guessing)
                    self._entries[token_hash] = (now, verdict)
                    self._by_user.setdefault(verdict.user.id, set()).add(token_hash)
                if not flight.done():
                    flight.set_result(verdict)
            if len(self._entries) > 100_000:  # bounded; stale ones are re-read anyway
                self._entries.clear()
                self._by_user.clear()

    def invalidate(self, user_ids: Iterable[str]) -> None:
        """Forget the tokens of ``user_ids`` (:data:`EVERYONE`: all). Safe from any thread."""
        with self._lock:
            self._generation += 1
            for user_id in user_ids:
                if user_id == EVERYONE:
                    self._entries.clear()
                    self._by_user.clear()
                    return
                for token_hash in self._by_user.pop(user_id, ()):
                    self._entries.pop(token_hash, None)

    def clear(self) -> None:
        self.invalidate([EVERYONE])

    def set_trusted(self, trusted: bool) -> None:
        """Whether invalidations reach this process; when not, keep nothing."""
        self.trusted = trusted
        self.clear()


def note_change(session: Session, user_id: str) -> None:
    """The tokens of ``user_id`` change in this transaction: drop them everywhere at commit."""
    session.info.setdefault(_TOUCHED, set()).add(user_id)


def install(factory: sessionmaker[Session], cache: AuthCache) -> None:
    """Make commits of ``factory``'s sessions that touch users or tokens invalidate ``cache``
    (and, on PostgreSQL, every other process's cache)."""

    @event.listens_for(factory, "after_flush")
    def _collect(session: Session, _ctx: Any) -> None:
        for obj in (*session.dirty, *session.deleted):
            if isinstance(obj, m.User):
                note_change(session, obj.id)
            elif isinstance(obj, m.AuthToken):  # revoked, re-dated or deleted through the ORM
                note_change(session, obj.user_id)

    @event.listens_for(factory, "do_orm_execute")
    def _bulk(orm: ORMExecuteState) -> None:
        # A bulk UPDATE/DELETE names no objects: which users it touched is unknown, so every
        # process forgets everyone (logout and revoke_all name their user themselves).
        if not (orm.is_update or orm.is_delete):
            return
        touched = {mapper.class_ for mapper in orm.all_mappers}
        if m.User in touched or (orm.is_delete and m.AuthToken in touched):
            note_change(orm.session, EVERYONE)

    @event.listens_for(factory, "before_commit")
    def _notify(session: Session) -> None:
        session.flush()  # a pending change to a user is collected before the NOTIFY
        touched: set[str] | None = session.info.get(_TOUCHED)
        if touched and session.get_bind().dialect.name == "postgresql":
            payload = ",".join(sorted(touched))
            if len(payload) > _NOTIFY_MAX:
                payload = EVERYONE
            session.execute(select(func.pg_notify(AUTH_CHANNEL, payload)))

    @event.listens_for(factory, "after_commit")
    def _drop(session: Session) -> None:
        touched: set[str] | None = session.info.pop(_TOUCHED, None)
        if touched:
            cache.invalidate(touched)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_TOUCHED, None)


def on_notify(cache: AuthCache, payload: str) -> None:
    """A ``csdesk_auth`` notification from another process."""
    cache.invalidate(p for p in payload.split(",") if p)
