"""calls.callback_at: when a "callback scheduled" wrap-up promised to call back

The wrap-up's "Callback scheduled" took no date and time, so nothing brought the customer
back. The time is kept on the call (the history line shows it, and a later provider report
that rewrites the line keeps it); the conversation is snoozed until then, tagged
``callback``, and the server's snooze waker gives it back to the agent on time.

Revision ID: 0006_flow
Revises: 0006_email
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0006_flow"
down_revision = "0006_email"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, not a batch table copy (see 0005: copying a table with foreign
    # keys on can cascade).
    op.add_column(
        "calls",
        sa.Column("callback_at", csdesk.storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("calls", "callback_at")
