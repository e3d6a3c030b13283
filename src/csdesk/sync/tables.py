"""The local cache's tables and row-level helpers.

Entity tables have the columns of ``storage.models`` (so the UI reads them through the same
ORM classes) but only their primary keys as constraints: the feed delivers the *latest* state of
each entity in seq order, so a child can arrive before its parent and two rows can briefly hold
a value that is unique on the server (an identity moved from one customer to another). The
server enforces those rules; the cache only mirrors.

Client bookkeeping lives in its own ``MetaData`` so it survives a rebuild of the entity tables:

* ``outbox``: the agent's actions in the order they were taken (see ``outbox.py``);
* ``sync_state``: key/value (cursor, schema fingerprint, signed-in user);
* ``shadow``: the server's last known version of each entity a replayable local action touched,
  so a rebase can restore server truth and replay local actions on top (see ``optimistic.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    text,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from csdesk.protocol import Entity
from csdesk.storage.types import UTCDateTime
from csdesk.storage.wire import from_wire, row_to_wire, table_of

log = logging.getLogger(__name__)

#: Bump when the cache's own layout changes in a way the model fingerprint does not show.
CACHE_LAYOUT: Final = 1

cache_metadata = MetaData()
client_metadata = MetaData()


def _cache_table(entity: Entity) -> Table:
    model = table_of(entity)
    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, nullable=not c.primary_key)
        for c in model.columns
    ]
    table = Table(model.name, cache_metadata, *columns)
    for ix in model.indexes:  # same read paths as the server, never unique
        where = ix.dialect_options["sqlite"].get("where")
        Index(ix.name, *[table.c[c.name] for c in ix.columns], sqlite_where=where)
    return table


CACHE_TABLES: Final[dict[Entity, Table]] = {e: _cache_table(e) for e in Entity}

outbox = Table(
    "outbox",
    client_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("args", JSON, nullable=False),
    # pending -> acked (the server applied it; replayed until the pull reaches ``acked_seq``)
    # pending -> rejected (kept, with the reason, until the agent dismisses it)
    Column("state", String(16), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("acked_seq", BigInteger),
    Column("reason_code", String(32)),
    Column("reason_message", Text),
    sqlite_autoincrement=True,  # never reuse a number: order is the agent's order
)

sync_state = Table(
    "sync_state",
    client_metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

shadow = Table(
    "shadow",
    client_metadata,
    Column("entity", String(32), primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("data", JSON),  # the wire form; JSON null: the server does not have it
)


def schema_fingerprint() -> str:
    """Changes whenever a synced model gains, loses or retypes a column."""
    parts = [f"layout={CACHE_LAYOUT}"]
    for entity in sorted(Entity):
        table = CACHE_TABLES[entity]
        cols = ",".join(f"{c.name}:{c.type!r}" for c in table.columns)
        parts.append(f"{table.name}({cols})")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def sql_words(sql: str | None) -> str:
    """A stored definition (``sqlite_master.sql``) in a form to compare: words only."""
    return " ".join((sql or "").split())


def keep_index(s: Session, name: str, create: str, have: dict[str, str]) -> None:
    """Make index ``name`` as ``create`` says unless ``have`` (stored definitions by name)
    holds it so already, in a savepoint. An index that cannot be built (a full disk, a
    table of an older layout) is logged and skipped: it makes reads faster, the cache works
    without it."""
    if sql_words(have.get(name)) == sql_words(create):
        return
    try:
        with s.begin_nested():
            if name in have:
                s.execute(text(f"DROP INDEX {name}"))
            s.execute(text(create))
    except DBAPIError as exc:
        log.warning("cache index %s not built: %s", name, exc.orig)


# --- key/value ------------------------------------------------------------------------------


def get_state(session: Session, key: str) -> Any:
    raw = session.scalar(select(sync_state.c.value).where(sync_state.c.key == key))
    return None if raw is None else json.loads(raw)


def set_state(session: Session, key: str, value: Any) -> None:
    stmt = sqlite_insert(sync_state).values(key=key, value=json.dumps(value))
    session.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
    )


def del_state(session: Session, *keys: str) -> None:
    session.execute(delete(sync_state).where(sync_state.c.key.in_(keys)))


# --- entity rows ----------------------------------------------------------------------------


def get_row(session: Session, entity: Entity, ident: str) -> dict[str, Any] | None:
    table = CACHE_TABLES[entity]
    row = session.execute(select(table).where(table.c.id == ident)).mappings().first()
    return None if row is None else dict(row)


def upsert_rows(session: Session, entity: Entity, rows: Iterable[dict[str, Any]]) -> None:
    """Insert or overwrite whole rows (column values, not wire dicts); one statement per shape."""
    table = CACHE_TABLES[entity]
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_shape.setdefault(tuple(sorted(row)), []).append(row)
    for shape, batch in by_shape.items():
        stmt = sqlite_insert(table)
        updates = {k: stmt.excluded[k] for k in shape if k != "id"}
        stmt = (
            stmt.on_conflict_do_update(index_elements=["id"], set_=updates)
            if updates
            else stmt.on_conflict_do_nothing(index_elements=["id"])
        )
        session.execute(stmt, batch)


def delete_rows(session: Session, entity: Entity, ids: Iterable[str]) -> None:
    ids = list(ids)
    table = CACHE_TABLES[entity]
    for start in range(0, len(ids), 500):
        session.execute(delete(table).where(table.c.id.in_(ids[start : start + 500])))


def put_wire(session: Session, entity: Entity, ident: str, data: dict[str, Any] | None) -> None:
    """Make the cached row equal ``data`` (a wire dict), or remove it when ``data`` is None."""
    if data is None:
        delete_rows(session, entity, [ident])
    else:
        upsert_rows(session, entity, [{**from_wire(entity, data), "id": ident}])


def wire_of(session: Session, entity: Entity, ident: str) -> dict[str, Any] | None:
    row = get_row(session, entity, ident)
    return None if row is None else row_to_wire(entity, row)
