"""Writing the change feed.

Ordering guarantee: a write takes its sequence numbers by incrementing the single row of
``sync_counter`` as the last statement before commit. That row lock is held until the
transaction ends, so the next writer can only take a larger number after this one has
committed: sequence order is commit order, and a reader's cursor can never pass a write that
commits later (which a plain PostgreSQL sequence does not guarantee).

Synced ORM objects are collected automatically from every flush of a server session (see
``install``); bulk loaders that bypass the ORM call ``append`` themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Table, Text, bindparam, cast, event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from csdesk.protocol import Entity
from csdesk.server.feed import audience as audiences
from csdesk.storage import models as m
from csdesk.storage.bulk import Bulk
from csdesk.storage.upsert import insert_for
from csdesk.storage.wire import (
    FEED_AUDIENCES,
    FEED_PERSONAL,
    FEED_PRIVATE,
    FEED_TEAM,
    GLOBAL_ENTITIES,
    MODEL_ENTITIES,
    PERSONAL_FEED,
    entity_of,
    team_audience,
    to_wire,
)

NOTIFY_CHANNEL = "csdesk_feed"
_TOUCHED = "csdesk_touched"
_LAST_SEQ = "csdesk_last_seq"
_TAKEN = "csdesk_taken"


@dataclass(frozen=True, slots=True)
class FeedItem:
    entity: Entity
    entity_id: str
    realm: str | None
    deleted: bool
    payload: dict[str, Any] | None
    #: One user's row (docs/macros.md): only their pull brings it; None: the realm's.
    audience: str | None = None


def item_for(obj: m.Base, *, removed: bool = False) -> FeedItem:
    """The feed item for ``obj``; soft-deleted or ``removed`` rows become tombstones."""
    entity = entity_of(obj)
    realm = None if entity in GLOBAL_ENTITIES else getattr(obj, "realm", None)
    realm = FEED_AUDIENCES.get(entity, realm)  # a narrower audience (quality reviews)
    deleted = removed or getattr(obj, "deleted_at", None) is not None
    ident = getattr(obj, "id")  # noqa: B009 - every synced model has an id
    payload = None if deleted else to_wire(obj)
    if payload is not None:
        for private in FEED_PRIVATE.get(entity, ()):
            payload[private] = ""  # one user's: read from the server by that user's desk
    audience = None
    owner = FEED_PERSONAL.get(entity)
    if owner is not None and getattr(obj, "scope", None) == "personal":
        # One user's (a personal canned response or macro): never in the realm's feed.
        realm, audience = PERSONAL_FEED, getattr(obj, owner)
    team = FEED_TEAM.get(entity)
    if team is not None and getattr(obj, "scope", None) == "team" and getattr(obj, team, None):
        # One team's: its members' and the leads' pulls (docs/macros.md), never the realm's.
        realm = PERSONAL_FEED
        audience = team_audience(getattr(obj, "realm"), getattr(obj, team))  # noqa: B009
    return FeedItem(entity, ident, realm, deleted, payload, audience)


def ensure_counter(session: Session) -> None:
    if session.get(m.SyncCounter, 1) is None:
        session.add(m.SyncCounter(id=1, value=0))
        session.flush()


def head(session: Session) -> int:
    value = session.scalar(select(m.SyncCounter.value).where(m.SyncCounter.id == 1))
    return int(value or 0)


def append(
    session: Session,
    items: Iterable[FeedItem],
    revoked: Iterable[tuple[str, str, str]] = (),
) -> int:
    """Write ``items`` to the feed with fresh sequence numbers; return the last one (0: none).
    ``revoked``: (entity, id, user id) rows those users lose (``feed.audience``).

    Call as the last thing before commit: from here to commit the counter row stays locked.
    """
    # The latest state of each entity wins; one feed row per entity.
    unique = list({(i.entity, i.entity_id): i for i in items}.values())
    if not unique:
        return 0
    conn = session.connection()
    dialect = conn.dialect.name
    # On PostgreSQL the same statement sends the data-free hint (the head only; listeners
    # pull), delivered at commit: one round trip fewer per push than a SELECT pg_notify.
    take = _TAKE_NOTIFY if dialect == "postgresql" else _TAKE
    top = conn.execute(take, {"n": len(unique)}).scalar_one()
    first = top - len(unique) + 1
    rows = [
        {
            "seq": first + n,
            "entity": i.entity.value,
            "entity_id": i.entity_id,
            "realm": i.realm,
            "deleted": i.deleted,
            "payload": None if i.payload is None else orjson.dumps(i.payload).decode(),
            "audience": i.audience,
        }
        for n, i in enumerate(unique)
    ]
    # Audiences that lose a row (a team item narrowed or moved): read before it is replaced.
    lost = audiences.losses(conn, rows)
    lost += [{"entity": e, "entity_id": i, "lost": u, "seq": top} for e, i, u in revoked]
    stmt = _bulk_upsert(dialect)
    for start in range(0, len(rows), 2000):
        stmt.run(conn, rows[start : start + 2000])
    audiences.write(conn, lost)
    session.info[_LAST_SEQ] = top
    session.info.setdefault(_TAKEN, []).append(int(top))
    return int(top)


#: Takes ``n`` sequence numbers; returns the last (Core on the table: no ORM bookkeeping).
_COUNTER = m.SyncCounter.__table__
assert isinstance(_COUNTER, Table)
_TAKE = (
    update(_COUNTER)
    .where(_COUNTER.c.id == 1)
    .values(value=_COUNTER.c.value + bindparam("n"))
    .returning(_COUNTER.c.value)
)
_TAKE_NOTIFY = _TAKE.returning(
    func.pg_notify(NOTIFY_CHANNEL, cast(_COUNTER.c.value, Text)).label("notified")
)
_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """The feed's insert-or-replace statement for ``dialect``, built once per process: building
    it (and SQLAlchemy compiling it afresh) was a quarter of a pushed mutation's CPU."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        # Core on the table, not the ORM class: ~35% less CPU per row on bulk loads.
        table = m.SyncChange.__table__
        assert isinstance(table, Table)
        ins: Any = insert_for(dialect, table)
        stmt = _UPSERTS[dialect] = ins.on_conflict_do_update(
            index_elements=["entity", "entity_id"],
            set_={
                "seq": ins.excluded.seq,
                "realm": ins.excluded.realm,
                "deleted": ins.excluded.deleted,
                "payload": ins.excluded.payload,
                "audience": ins.excluded.audience,
            },
        )
    return stmt


_BULK_UPSERTS: dict[str, Bulk] = {}


def _bulk_upsert(dialect: str) -> Bulk:
    """``_upsert`` run through the driver directly (``storage.bulk``): the feed rows of a
    push were a fifth of its CPU through SQLAlchemy's executemany."""
    bulk = _BULK_UPSERTS.get(dialect)
    if bulk is None:
        bulk = _BULK_UPSERTS[dialect] = Bulk(_upsert(dialect))
    return bulk


def publish_now(session: Session) -> int:
    """Write the session's collected changes to the feed now; return the seq they reached
    (0: nothing to feed). Commit soon after: the counter row stays locked until then. Useful
    when the seq must be recorded in the same transaction (the push log)."""
    session.flush()
    touched: dict[Any, FeedItem] = session.info.pop(_TOUCHED, {})
    regrant, revoked = audiences.members_changed(session)
    for obj in regrant:  # a user's team or role changed: their new team's rows again
        touched.setdefault((type(obj), getattr(obj, "id")), item_for(obj))  # noqa: B009
    if not touched:
        return int(session.info.get(_LAST_SEQ, 0))
    return append(session, touched.values(), revoked)


Touched = dict[Any, FeedItem]


def take_touched(session: Session) -> Touched:
    """Flush, and hand over the changes collected since the last take (or publish): a
    caller applying several units of work in one transaction keeps each unit's own, and
    drops those of a unit it rolled back to a savepoint."""
    session.flush()
    touched: Touched = session.info.pop(_TOUCHED, {})
    return touched


def publish_touched(session: Session, touched: Touched) -> int:
    """``publish_now`` for changes handed over by ``take_touched`` (plus any collected
    since)."""
    session.flush()
    pending: Touched = session.info.pop(_TOUCHED, {})
    merged = {**touched, **pending}
    regrant, revoked = audiences.members_changed(session)
    for obj in regrant:  # a user's team or role changed: their new team's rows again
        merged.setdefault((type(obj), getattr(obj, "id")), item_for(obj))  # noqa: B009
    if not merged:
        return int(session.info.get(_LAST_SEQ, 0))
    return append(session, merged.values(), revoked)


def install(
    factory: sessionmaker[Session],
    on_commit: Callable[[int], None],
    on_pending: Callable[[int], None] | None = None,
) -> None:
    """Make every session of ``factory`` feed its synced changes and report commits
    (``on_commit``: the last seq committed) and, just before, each seq about to be
    committed (``on_pending``, once per feed append)."""

    @event.listens_for(factory, "after_flush")
    def _collect(session: Session, _ctx: Any) -> None:
        touched: dict[tuple[type[m.Base], str], FeedItem] = session.info.setdefault(_TOUCHED, {})
        for obj in session.new:
            if type(obj) in MODEL_ENTITIES:
                touched[(type(obj), obj.id)] = item_for(obj)
        for obj in session.dirty:
            if type(obj) in MODEL_ENTITIES and session.is_modified(obj):
                touched[(type(obj), obj.id)] = item_for(obj)
        audiences.note_members(session, session.dirty)  # team rows follow members (macros.md)
        for obj in session.deleted:
            if type(obj) in MODEL_ENTITIES:
                touched[(type(obj), obj.id)] = item_for(obj, removed=True)

    @event.listens_for(factory, "before_commit")
    def _publish(session: Session) -> None:
        publish_now(session)
        taken: list[int] = session.info.pop(_TAKEN, [])
        if on_pending is not None:
            for seq in taken:
                on_pending(seq)

    @event.listens_for(factory, "after_commit")
    def _notify(session: Session) -> None:
        last = session.info.pop(_LAST_SEQ, 0)
        if last:
            on_commit(last)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_TOUCHED, None)
        session.info.pop(_LAST_SEQ, None)
        session.info.pop(_TAKEN, None)
        audiences.forget(session)
