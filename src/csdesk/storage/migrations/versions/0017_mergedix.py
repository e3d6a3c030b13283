"""customers.merged_into_id and conversations.merged_into_id indexed: a customer's record
lists the profiles merged into it and a conversation's merges list what went into it; at a
million rows each was a scan of the table (80-100 ms on SQLite) every time it was asked.

On PostgreSQL a plain ``CREATE INDEX`` holds off writes to the table while it scans it once
(see 0016 for why not ``CONCURRENTLY``).

Revision ID: 0017_mergedix
Revises: 0016_personalix
Create Date: 2026-12-07 20:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0017_mergedix"
down_revision = "0016_personalix"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_customers_merged_into_id", "customers", ["merged_into_id"])
    op.create_index("ix_conversations_merged_into_id", "conversations", ["merged_into_id"])


def downgrade() -> None:
    op.drop_index("ix_conversations_merged_into_id", table_name="conversations")
    op.drop_index("ix_customers_merged_into_id", table_name="customers")
