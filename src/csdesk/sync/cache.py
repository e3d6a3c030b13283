"""The client's local cache: one SQLite file holding the synced entities and the outbox.

Every pulled page is applied with its cursor in ONE transaction, so an initial sync that dies
half-way resumes from the last whole page and never from a cursor whose rows are missing. The
file is WAL with ``synchronous=FULL``: the outbox holds replies the agent typed, and a power cut
must not take back a reply the desk already showed as written.

Writers are serialized by a lock in this process (and by SQLite's ``BEGIN IMMEDIATE`` across
processes); readers use snapshot sessions that never wait for a writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from csdesk.protocol import Change, Entity, PullPage
from csdesk.storage.db import make_engine, read_session_factory, session_factory, sqlite_url
from csdesk.storage.wire import from_wire
from csdesk.sync import optimistic
from csdesk.sync.events import ChangeSet
from csdesk.sync.tables import (
    CACHE_TABLES,
    cache_metadata,
    client_metadata,
    del_state,
    delete_rows,
    get_state,
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


class LocalCache:
    """The local SQLite cache. Thread-safe; one instance per file per process."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(sqlite_url(self.path), foreign_keys=False, pool_size=4)
        event.listen(self.engine, "connect", _durable)
        self._writes = session_factory(self.engine)
        self._reads = read_session_factory(self.engine)
        self._lock = threading.RLock()
        self.rebuilt = self._open()

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

    # --- sessions ---------------------------------------------------------------------------

    def session(self) -> Session:
        """A read-only snapshot session for the UI: ``with cache.session() as s: ...``."""
        return self._reads()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction, committed on leaving the block (rolled back on error)."""
        with self._lock, self._writes() as s, s.begin():
            yield s

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
        with self.write() as s:
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
        return ChangeSet.of([*latest, *dropped])

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
        with self.write() as s:
            for table in CACHE_TABLES.values():
                s.execute(delete(table))
            s.execute(delete(shadow))
            s.execute(delete(outbox).where(outbox.c.state == "acked"))
            del_state(s, CURSOR, HEAD)
            optimistic.rebase(s)
        return ChangeSet(everything=True)


def _durable(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Runs after make_engine's own connect hook, which sets synchronous=NORMAL.
    dbapi_conn.execute("PRAGMA synchronous=FULL")
