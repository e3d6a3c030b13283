"""qa_reviews.deleted_at: a supervisor deletes a quality review (docs/qa.md).

A soft delete: the row stays (the audit entry names it), the change feed sends a tombstone to
the leads' desks, and every reader (the reviews API, the QA score KPI) leaves it out.

Revision ID: 0012_qadel
Revises: 0012_sched
Create Date: 2026-12-06 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0012_qadel"
down_revision = "0012_sched"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable), no batch mode: no rebuild of the table on SQLite.
    op.add_column(
        "qa_reviews",
        sa.Column("deleted_at", csdesk.storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("qa_reviews", "deleted_at")
