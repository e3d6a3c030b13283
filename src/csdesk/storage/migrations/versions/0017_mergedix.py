"""customers.merged_into_id and conversations.merged_into_id indexed: a customer's record
lists the profiles merged into it and a conversation's merges list what went into it; at a
million rows each was a scan of the table (80-100 ms on SQLite) every time it was asked.

Partial (``merged_into_id IS NOT NULL``: the merged rows, a few): a full index steered the
pickers' ``merged_into_id IS NULL`` onto an index almost every row is in, slower than the
scan it replaced.

On PostgreSQL a plain ``CREATE INDEX`` holds off writes to the table while it scans it (see
0016 for why not ``CONCURRENTLY``); the server migrates every pending step in one
transaction, so writes to ``customers`` also wait for the ``conversations`` index, and the
migration waits for any transaction open on either table.

Revision ID: 0017_mergedix
Revises: 0016_personalix
Create Date: 2026-12-07 20:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_mergedix"
down_revision = "0016_personalix"
branch_labels = None
depends_on = None


_WHERE = sa.text("merged_into_id IS NOT NULL")


def upgrade() -> None:
    for table in ("customers", "conversations"):
        op.create_index(
            f"ix_{table}_merged_into_id",
            table,
            ["merged_into_id"],
            sqlite_where=_WHERE,
            postgresql_where=_WHERE,
        )


def downgrade() -> None:
    op.drop_index("ix_conversations_merged_into_id", table_name="conversations")
    op.drop_index("ix_customers_merged_into_id", table_name="customers")
