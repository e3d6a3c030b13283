"""Alembic environment: the engine comes from ``storage.migrate`` (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from csdesk.storage.migrate import include_name
from csdesk.storage.models import Base

config = context.config
engine: Engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER via table copy
        compare_type=True,
        include_name=include_name,  # knowledge base: FTS5 tables are no models
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
