"""side_messages.forwarded_ids: the messages a thread forward carried, recorded when the
forward is made (docs/side-conversations.md), so that a mail sent later (a retry after the
SMTP server refused it) attaches the files of those messages only, never those of a
conversation merged in since. Server-only; None on the rows written before it (their files
are chosen as before) and on every mail but a thread forward.

Revision ID: 0015_sidefwd
Revises: 0014_teamfeed
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_sidefwd"
down_revision = "0014_teamfeed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("side_messages") as batch:
        batch.add_column(sa.Column("forwarded_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("side_messages") as batch:
        batch.drop_column("forwarded_ids")
