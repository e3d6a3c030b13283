"""sync_changes.audience widened to 64 (a team's rows: ``team:<realm>:<team id>``),
sync_revocations (who lost a feed row) and macro_keys (a user's favourite macro keys), issue 14
(docs/macros.md).

PostgreSQL widens the varchar in place (no rewrite); SQLite, which does not enforce the
length, has the declared type changed by a batch copy of the table so the schema matches the
models.

Revision ID: 0014_teamfeed
Revises: 0013_notephrases
Create Date: 2026-12-07 03:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from csdesk.storage.types import UTCDateTime

revision = "0014_teamfeed"
down_revision = "0014_orderpages"
branch_labels = None
depends_on = None


def _audience(old: int, new: int) -> None:
    with op.batch_alter_table("sync_changes") as batch:
        batch.alter_column("audience", type_=sa.String(new), existing_type=sa.String(old))


def upgrade() -> None:
    _audience(36, 64)
    op.create_table(
        "sync_revocations",
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("entity_id", sa.String(36), primary_key=True),
        sa.Column("lost", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_sync_revocations_seq", "sync_revocations", ["seq"])
    op.create_table(
        "macro_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("realm", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
    )
    op.create_index("ix_macro_keys_realm", "macro_keys", ["realm"])
    op.create_index("ix_macro_keys_owner_id", "macro_keys", ["owner_id"])


def downgrade() -> None:
    op.drop_table("macro_keys")
    op.drop_table("sync_revocations")
    _audience(64, 36)
