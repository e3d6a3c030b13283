"""Merging and splitting conversations (docs/merge-split.md).

``conversations`` gains ``merged_into_id`` (the conversation its messages went to) and
``merged_at``; ``messages`` gains ``merged_from_id`` (the conversation a merged-in message
came from). Plain ADD COLUMN, no constraints: no table rebuild on SQLite.

Revision ID: 0012_convmerge
Revises: 0012_mentions
Create Date: 2026-12-06 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0012_convmerge"
down_revision = "0012_mentions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.add_column("conversations", sa.Column("merged_into_id", sa.String(length=36), nullable=True))
    op.add_column("conversations", sa.Column("merged_at", when, nullable=True))
    op.add_column("messages", sa.Column("merged_from_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.drop_column("messages", "merged_from_id")
    op.drop_column("conversations", "merged_at")
    op.drop_column("conversations", "merged_into_id")
