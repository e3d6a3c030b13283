"""Customers' languages: detected language on messages, who set a customer's language, kept
translations, and the translation providers (docs/languages.md).

Revision ID: 0010_lang
Revises: 0009_floor
Create Date: 2026-12-06 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0010_lang"
down_revision = "0010_routing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, no batch mode: rebuilding ``messages`` or ``customers`` on SQLite would
    # drop the old table, which the rows referencing it forbid.
    op.add_column("messages", sa.Column("language", sa.String(length=16), nullable=True))
    op.add_column(
        "messages",
        sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("customers", sa.Column("language_source", sa.String(length=8), nullable=True))
    op.create_table(
        "translation_connections",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("created_at", csdesk.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_translation_connections")),
    )


def downgrade() -> None:
    op.drop_table("translation_connections")
    op.drop_column("customers", "language_source")
    op.drop_column("messages", "translations")
    op.drop_column("messages", "language")
