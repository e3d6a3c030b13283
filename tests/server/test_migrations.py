"""Alembic upgrade/downgrade round trips on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from csdesk.storage.db import make_engine
from csdesk.storage.migrate import current, downgrade, upgrade
from csdesk.storage.models import Base


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
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


def test_migrations_match_the_models(db_url: str) -> None:
    """A model change without a migration would make the server and the models disagree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
