"""Mentions of teammates in internal notes (docs/mentions.md).

Revision ID: 0012_mentions
Revises: 0011_macros
Create Date: 2026-12-06 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0012_mentions"
down_revision = "0011_macros"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "mentions",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("by_user_id", sa.String(length=36), nullable=False),
        sa.Column("by_name", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("excerpt", sa.String(length=200), nullable=False),
        sa.Column("read_at", when, nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentions")),
    )
    op.create_index(op.f("ix_mentions_realm"), "mentions", ["realm"], unique=False)
    op.create_index(op.f("ix_mentions_user_id"), "mentions", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mentions_user_id"), table_name="mentions")
    op.drop_index(op.f("ix_mentions_realm"), table_name="mentions")
    op.drop_table("mentions")
