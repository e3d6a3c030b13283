"""callbacks.kind: a low survey score's follow-up is a callback task of its own kind.

The supervisor's desk words it as a follow-up ("Low survey score follow-up: Kim Berg …"),
not as a promised call (docs/surveys.md). Existing rows are callbacks.

Revision ID: 0013_followup
Revises: 0012_qadel
Create Date: 2026-12-07 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_followup"
down_revision = "0012_qadel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: no rebuild of the table on SQLite.
    op.add_column(
        "callbacks",
        sa.Column("kind", sa.String(24), nullable=False, server_default="callback"),
    )
    # The follow-ups filed before this revision say so in their note.
    op.execute(
        "UPDATE callbacks SET kind = 'survey_follow_up' WHERE note LIKE 'Survey follow-up.%'"
    )


def downgrade() -> None:
    op.drop_column("callbacks", "kind")
