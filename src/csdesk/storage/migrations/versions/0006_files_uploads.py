"""uploads: who uploaded which file for a reply, in which realm

Attachment references were bare content hashes: anyone who knew a file's SHA-256 could put it
on a reply (a trainee, a production file) and download it. ``uploads`` ties each uploaded
file to its uploader and realm, records when a reply first used it (the per-user quota
counts the unused ones) and lets a periodic sweep remove files nobody used.

Files uploaded before this revision have no row: the ones replies carry stay (messages
reference them), the others are left alone (the sweep only considers recorded uploads).

Revision ID: 0006_files
Revises: 0006_auth
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0006_files"
down_revision = "0006_auth"
branch_labels = None
depends_on = None

_TIME = csdesk.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("uploader_id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_uploads_uploader_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uploader_id", "realm", "sha256", name=op.f("pk_uploads")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_sha256"))
        batch_op.drop_index(batch_op.f("ix_uploads_created_at"))
    op.drop_table("uploads")
