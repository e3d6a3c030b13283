"""sync_changes: a partial index of the rows with an audience, by seq. A pull asks whether a
page's range holds any such row (then it reads the reader's own rows too,
``server.sync.pull``); with the index that is one probe, not a walk over the range.

On PostgreSQL a plain ``CREATE INDEX`` holds off writes to ``sync_changes`` while it scans the
table once (not ``CONCURRENTLY``: that cannot run inside the migration's transaction and its
advisory lock, ``storage.migrate``). The server migrates at start, before it serves; another
server process still on the old code waits for the build with its pushes.

Revision ID: 0016_personalix
Revises: 0015_sidefwd
Create Date: 2026-12-07 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_personalix"
down_revision = "0015_sidefwd"
branch_labels = None
depends_on = None

_WHERE = sa.text("audience IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_sync_changes_personal",
        "sync_changes",
        ["seq"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_sync_changes_personal", table_name="sync_changes")
