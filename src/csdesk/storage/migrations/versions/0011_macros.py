"""Canned responses and macros shared by scope, counted by use; one user's feed rows
(docs/macros.md).

``canned_responses`` gains its scope (existing rows: everyone's, as before), owner, team, use
count and deletion time; ``macros`` is new; ``sync_changes.audience`` names the one user a
personal row is for (the realm's feed leaves such rows out).

Revision ID: 0011_macros
Revises: 0011_kb
Create Date: 2026-12-06 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0011_macros"
down_revision = "0011_kb"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    # Plain ADD COLUMN, no batch mode (as 0010_lang): nothing references these tables, but a
    # rebuild of a large ``sync_changes`` would copy the whole feed.
    op.add_column(
        "canned_responses",
        sa.Column("scope", sa.String(length=16), nullable=False, server_default="everyone"),
    )
    op.add_column("canned_responses", sa.Column("owner_id", sa.String(length=36), nullable=True))
    op.add_column("canned_responses", sa.Column("team_id", sa.String(length=36), nullable=True))
    op.add_column(
        "canned_responses",
        sa.Column("use_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("canned_responses", sa.Column("deleted_at", when, nullable=True))
    op.add_column("sync_changes", sa.Column("audience", sa.String(length=36), nullable=True))
    op.create_index(op.f("ix_sync_changes_audience"), "sync_changes", ["audience"], unique=False)
    op.create_table(
        "macros",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("deleted_at", when, nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macros")),
    )
    op.create_index(op.f("ix_macros_realm"), "macros", ["realm"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_macros_realm"), table_name="macros")
    op.drop_table("macros")
    op.drop_index(op.f("ix_sync_changes_audience"), table_name="sync_changes")
    op.drop_column("sync_changes", "audience")
    for column in ("deleted_at", "use_count", "team_id", "owner_id", "scope"):
        op.drop_column("canned_responses", column)
