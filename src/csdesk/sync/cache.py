"""The client's local cache: one SQLite file holding the synced entities and the outbox.

Every pulled page is applied with its cursor in ONE transaction, so an initial sync that dies
half-way resumes from the last whole page and never from a cursor whose rows are missing. The
file is WAL with ``synchronous=FULL``: the outbox holds replies the agent typed, and a power cut
must not take back a reply the desk already showed as written. Pulled pages commit with
``synchronous=NORMAL``: a page lost to a power cut is pulled again from the stored cursor, and
the next durable commit syncs the whole log, pages included.

Watchers (``add_watcher``) keep derived tables current (the search index): they are called
inside the same write transaction as the rows they derive from, before and after the change.
The inbox's totals are kept by SQLite itself, with triggers (``view_counts``).

Writers are serialized by a lock in this process (and by SQLite's ``BEGIN IMMEDIATE`` across
processes); readers use snapshot sessions that never wait for a writer.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex

from csdesk.protocol import Change, Entity, PullPage
from csdesk.storage.db import make_engine, read_session_factory, session_factory, sqlite_url
from csdesk.storage.wire import from_wire
from csdesk.sync import optimistic, view_counts
from csdesk.sync.events import ChangeSet
from csdesk.sync.tables import (
    CACHE_TABLES,
    cache_metadata,
    client_metadata,
    del_state,
    delete_rows,
    get_state,
    keep_index,
    outbox,
    put_wire,
    schema_fingerprint,
    set_state,
    shadow,
    upsert_rows,
)

CURSOR = "cursor"
HEAD = "head"
SCHEMA = "schema"
USER = "user"

Pair = tuple[Entity, str]


@dataclass(frozen=True, slots=True)
class CacheWrite:
    """What one write transaction of the cache changes, as its watchers see it."""

    pairs: frozenset[Pair] = field(default_factory=frozenset)
    #: Every cached entity is gone (``reset``, or the tables were rebuilt).
    everything: bool = False
    #: A pulled page (``first_page``: applied on an empty cursor, an initial sync begins).
    page: bool = False
    first_page: bool = False
    #: A pulled page with more pages after it: an initial sync is not finished.
    more: bool = False


class CacheWatcher(Protocol):
    """Keeps something derived from the cached rows current, in the writer's transaction."""

    def changing(self, s: Session, write: CacheWrite) -> object:
        """Before the rows change; what it returns is handed to ``changed``."""
        ...

    def changed(self, s: Session, write: CacheWrite, before: object) -> None:
        """After the rows changed (``write`` may name more pairs than ``changing`` saw)."""
        ...


log = logging.getLogger(__name__)


def _keep_indexes(s: Session) -> None:
    """Build in place the indexes the models have and this cache lacks, or has in another
    shape (the fingerprint covers columns only: an index the models gained or changed is no
    reason to sync everything again). One read of the stored definitions (``keep_index``)."""
    have: dict[str, str] = dict(
        s.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        ).all()
    )
    dialect = s.get_bind().dialect
    for table in cache_metadata.sorted_tables:
        for index in table.indexes:
            create = str(CreateIndex(index).compile(dialect=dialect))
            keep_index(s, str(index.name), create, have)


class LocalCache:
    """The local SQLite cache. Thread-safe; one instance per file per process."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(sqlite_url(self.path), foreign_keys=False, pool_size=4)
        event.listen(self.engine, "connect", _durable)
        self._writes = session_factory(self.engine.execution_options(synchronous="FULL"))
        self._page_writes = session_factory(self.engine.execution_options(synchronous="NORMAL"))
        self._reads = read_session_factory(self.engine)
        self._lock = threading.RLock()
        self._watchers: list[CacheWatcher] = []
        self.rebuilt = self._open()
        self._keep_derived()

    def _open(self) -> bool:
        """Create missing tables; rebuild the entity tables if the models changed."""
        with self.write() as s:
            conn = s.connection()
            client_metadata.create_all(conn)
            fingerprint = schema_fingerprint()
            stored = get_state(s, SCHEMA)
            if stored == fingerprint:
                cache_metadata.create_all(conn)
                return False
            # The entity tables are only a copy of the server: drop them and sync again from
            # 0. The outbox is the agent's own work and is kept; acked actions stay replayed
            # until the new sync reaches them.
            cache_metadata.drop_all(conn)
            cache_metadata.create_all(conn)
            s.execute(delete(shadow))
            del_state(s, CURSOR, HEAD)
            set_state(s, SCHEMA, fingerprint)
            optimistic.rebase(s)
            return stored is not None

    def _keep_derived(self) -> None:
        """The models' indexes and the inbox's kept totals, in a transaction of their own
        after the opening one: what they build reaches the disk at its commit, and a disk
        too full for it must not stop the cache from opening. Without them reads are slower
        and the totals are counted by a scan (``view_counts.kept``)."""
        try:
            with self.write() as s:
                _keep_indexes(s)
                view_counts.keep(s)
        except DBAPIError as exc:
            log.warning("cache indexes and inbox totals not built: %s", exc.orig)

    # --- sessions ---------------------------------------------------------------------------

    def session(self) -> Session:
        """A read-only snapshot session for the UI: ``with cache.session() as s: ...``."""
        return self._reads()

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Session]:
        """One write transaction, committed on leaving the block (rolled back on error).

        ``durable=False``: committed with ``synchronous=NORMAL``, for what can be fetched again.
        """
        factory = self._writes if durable else self._page_writes
        with self._lock, factory() as s, s.begin():
            yield s

    # --- watchers ---------------------------------------------------------------------------

    def add_watcher(self, watcher: CacheWatcher) -> Callable[[], None]:
        """Call ``watcher`` in every write that changes cached entities; returns its removal."""
        with self._lock:
            self._watchers.append(watcher)

        def remove() -> None:
            with self._lock:
                if watcher in self._watchers:
                    self._watchers.remove(watcher)

        return remove

    @contextmanager
    def watched(self, s: Session, write: CacheWrite) -> Iterator[set[Pair]]:
        """Wrap the changes of ``write`` inside transaction ``s``: watchers see them before
        and after. Add to the yielded set what the block changed beyond ``write.pairs``."""
        with self._lock:
            watchers = list(self._watchers)
        before = [(w, w.changing(s, write)) for w in watchers]
        extra: set[Pair] = set()
        yield extra
        final = write
        if extra - write.pairs:
            final = CacheWrite(
                write.pairs | extra, write.everything, write.page, write.first_page, write.more
            )
        for w, token in before:
            w.changed(s, final, token)

    def close(self) -> None:
        self.engine.dispose()

    # --- sync state -------------------------------------------------------------------------

    def cursor(self) -> int:
        with self.session() as s:
            return int(get_state(s, CURSOR) or 0)

    def head(self) -> int:
        """The server's feed head as of the last page (0 before the first)."""
        with self.session() as s:
            return int(get_state(s, HEAD) or 0)

    def user(self) -> dict[str, Any] | None:
        """The agent this cache belongs to (set at sign-in)."""
        with self.session() as s:
            user: dict[str, Any] | None = get_state(s, USER)
            return user

    def set_user(self, user: dict[str, Any]) -> None:
        with self.write() as s:
            set_state(s, USER, user)

    # --- applying server truth --------------------------------------------------------------

    def apply_page(self, page: PullPage) -> ChangeSet:
        """Apply every change of ``page`` and store its cursor, atomically; then rebase."""
        latest: dict[tuple[Entity, str], Change] = {}
        for change in page["changes"]:
            try:
                entity = Entity(change["entity"])
            except ValueError:
                continue  # an entity a newer server knows and this client does not
            latest[(entity, change["id"])] = change
        with self.write(durable=False) as s:
            first = not int(get_state(s, CURSOR) or 0)
            write = CacheWrite(
                frozenset(latest), page=True, first_page=first, more=bool(page["more"])
            )
            with self.watched(s, write) as extra:
                dropped = self._apply_changes(s, page, latest)
                extra.update(dropped)
        return ChangeSet.of([*latest, *dropped])

    def _apply_changes(
        self, s: Session, page: PullPage, latest: dict[tuple[Entity, str], Change]
    ) -> list[Pair]:
        upserts: dict[Entity, list[dict[str, Any]]] = {}
        deletes: dict[Entity, list[str]] = {}
        for (entity, ident), change in latest.items():
            data = change["data"]
            if change["deleted"] or data is None:
                deletes.setdefault(entity, []).append(ident)
            else:
                upserts.setdefault(entity, []).append({**from_wire(entity, data), "id": ident})
        for entity, rows in upserts.items():
            upsert_rows(s, entity, rows)
        for entity, ids in deletes.items():
            delete_rows(s, entity, ids)
        hit = optimistic.shadowed(s) & latest.keys()
        optimistic.update_shadows(
            s,
            {p: None if latest[p]["deleted"] else latest[p]["data"] for p in hit},
        )
        set_state(s, CURSOR, int(page["cursor"]))
        set_state(s, HEAD, int(page["head"]))
        dropped = optimistic.drop_acked(s, int(page["cursor"]))
        if hit or dropped:
            optimistic.rebase(s)
        return dropped

    def apply_snapshot(
        self, entity: Entity, ident: str, seq: int, data: dict[str, Any] | None
    ) -> ChangeSet:
        """Apply the server's current version of one entity (``data`` None: it is gone).

        Used after a rejection, to show at once why (who claimed it, that it was deleted).
        A snapshot not newer than the cursor is already in the cache and is skipped.
        """
        with self.write() as s:
            if seq and seq <= int(get_state(s, CURSOR) or 0):
                return ChangeSet()
            with self.watched(s, CacheWrite(frozenset({(entity, ident)}))):
                put_wire(s, entity, ident, data)
                if (entity, ident) in optimistic.shadowed(s):
                    optimistic.update_shadows(s, {(entity, ident): data})
                    optimistic.rebase(s)
        return ChangeSet.of([(entity, ident)])

    def reset(self) -> ChangeSet:
        """Forget every cached entity and the cursor, keeping the agent's pending actions.

        For ``cursor_ahead``: the server's database was replaced, so acked actions (committed
        to the old one) are dropped and pending ones will be pushed to the new one.
        """
        with self.write() as s, self.watched(s, CacheWrite(everything=True)):
            with view_counts.emptying(s):
                for table in CACHE_TABLES.values():
                    s.execute(delete(table))
            s.execute(delete(shadow))
            s.execute(delete(outbox).where(outbox.c.state == "acked"))
            del_state(s, CURSOR, HEAD)
            optimistic.rebase(s)
        return ChangeSet(everything=True)


#: Read the cache file through a memory map: a search's hits land on scattered pages, and
#: each read() of one costs a system call and a copy (a third of a search at 1 M rows).
MMAP_BYTES = 1 << 30


def _durable(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Runs after make_engine's own connect hook, which sets synchronous=NORMAL.
    dbapi_conn.execute("PRAGMA synchronous=FULL")
    dbapi_conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
