"""Alembic upgrade/downgrade round trips on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel
from csdesk.storage import models as m
from csdesk.storage.db import make_engine
from csdesk.storage.migrate import current, downgrade, include_name, upgrade
from csdesk.storage.models import Base
from csdesk.storage.types import UTCDateTime, utcnow
from tests.helpers.data import make_conversations


def test_upgrade_downgrade_upgrade(blank_db_url: str) -> None:
    engine = make_engine(blank_db_url)
    try:
        upgrade(engine)
        assert current(engine) is not None
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables

        downgrade(engine, "base")
        assert current(engine) is None
        assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())

        upgrade(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_match_the_models(blank_db_url: str) -> None:
    """A model change without a migration would make the server and the models disagree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(blank_db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            # include_name: the knowledge base's SQLite FTS5 tables are no models (0011_kb).
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_partial_indexes_have_the_models_predicates(blank_db_url: str) -> None:
    """Alembic compares an index's name and columns, not its WHERE: a migration whose partial
    index filters on something else than the model says would pass the test above and leave
    the pull's "any single reader's rows here?" probe (``server.sync.pull``) reading a wrong
    index. Each partial index of the models must exist with the model's predicate. The models
    write a predicate once, as SQLite's (``sqlite_where``; naming ``postgresql_where`` would
    load the PostgreSQL dialect into the desk's first paint), and it holds on both."""

    def words(sql: object) -> str:
        return " ".join(str(sql).lower().replace("(", " ").replace(")", " ").split())

    engine = make_engine(blank_db_url)
    try:
        upgrade(engine)
        option = f"{engine.dialect.name}_where"
        partial = [
            (table.name, index)
            for table in Base.metadata.tables.values()
            for index in table.indexes
            if index.dialect_options["sqlite"].get("where") is not None
        ]
        assert partial, "the models declare partial indexes (ix_sync_changes_personal)"
        found = {
            (name, ix["name"]): ix
            for name in {t for t, _ in partial}
            for ix in inspect(engine).get_indexes(name)
        }
        for table_name, index in partial:
            reflected = found.get((table_name, index.name))
            assert reflected is not None, index.name
            assert reflected["column_names"] == [c.name for c in index.columns]
            want = index.dialect_options["sqlite"]["where"]
            assert words(reflected.get("dialect_options", {}).get(option)) == words(want)
    finally:
        engine.dispose()


def test_0005_moves_the_stop_gaps_into_their_own_columns_and_back(db_url: str) -> None:
    """Data written the 0004 way (inbound media bookkeeping in ``outbound_attempts``, a typing
    notice as a future route ``updated_at``, a template only in the audit log) survives the
    upgrade in the new places, and a downgrade puts it back where the old code looks."""
    a, b, c = make_conversations(db_url, 3, channel=Channel.TELEGRAM)
    engine = make_engine(db_url)
    now = utcnow().replace(microsecond=0)
    later, soon = now + timedelta(hours=1), now + timedelta(seconds=5)
    pending = [{"provider_file_id": "AgAC1", "sha256": None, "filename": "x.pdf"}]
    choice = {"name": "order_update", "language": "en_US", "parameters": ["Ana", "A-1"]}
    messages = sa.table(
        "messages",
        sa.column("id", sa.String),
        sa.column("direction", sa.String),
        sa.column("channel", sa.String),
        sa.column("attachments", sa.JSON),
    )
    try:
        downgrade(engine, "0004")
        with engine.begin() as conn:
            for made in (a, b):
                conn.execute(
                    messages.update()
                    .where(messages.c.id == made.message_id)
                    .values(attachments=pending)
                )
            conn.execute(
                messages.update()
                .where(messages.c.id == c.message_id)
                .values(direction="out", channel="whatsapp")
            )
            conn.execute(
                sa.insert(m.OutboundAttempt).values(
                    message_id=b.message_id,
                    attempts=2,
                    next_attempt_at=later,
                    lease_until=soon,
                    last_error="Telegram answered HTTP 503",
                    updated_at=now,
                )
            )
            conn.execute(
                sa.insert(m.AuditEntry).values(
                    at=now,
                    action="message.send",
                    entity="message",
                    entity_id=c.message_id,
                    after={"conversation_id": c.conversation_id, "template": choice},
                )
            )
            conn.execute(
                sa.table(
                    "conversation_routes",
                    sa.column("conversation_id", sa.String),
                    sa.column("provider", sa.String),
                    sa.column("kind", sa.String),
                    sa.column("address", sa.String),
                    sa.column("updated_at", UTCDateTime()),
                )
                .insert()
                .values(
                    conversation_id=a.conversation_id,
                    provider="chat",
                    kind="chat_visitor",
                    address="visitor-1",
                    updated_at=later,
                )
            )

        upgrade(engine)
        with Session(engine) as s:
            fetches = {f.message_id: f for f in s.scalars(sa.select(m.MediaFetch))}
            assert set(fetches) == {a.message_id, b.message_id}
            assert fetches[a.message_id].attempts == 0
            moved = fetches[b.message_id]
            assert (moved.attempts, moved.next_attempt_at) == (2, later)
            assert moved.lease_until is None and moved.last_error == "Telegram answered HTTP 503"
            assert s.scalars(sa.select(m.OutboundAttempt)).all() == []
            template_of = s.get(m.Message, c.message_id)
            assert template_of is not None and template_of.template == choice
            route = s.get(m.ConversationRoute, a.conversation_id)
            assert route is not None and route.visitor_typing_until == later
            assert route.updated_at < later

        downgrade(engine, "0004")
        with engine.connect() as conn:
            back = conn.execute(sa.select(m.OutboundAttempt.message_id)).scalars()
            assert set(back) == {a.message_id, b.message_id}
        upgrade(engine)
        with Session(engine) as s:
            assert len(s.scalars(sa.select(m.MediaFetch)).all()) == 2
            assert s.scalars(sa.select(m.OutboundAttempt)).all() == []
    finally:
        engine.dispose()
