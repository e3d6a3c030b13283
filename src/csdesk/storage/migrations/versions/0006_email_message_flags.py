"""messages: is_auto, auto_kind, sender_warning (synced); source_ref, fingerprint (server-only)

Email hardening (issue 9, items 18, 19, 21, 24):

* ``is_auto``/``auto_kind`` mark mail a machine sent (auto-replies, delivery reports, bulk) so
  the desk labels it and KPI code can leave it out; existing rows are not automatic.
* ``sender_warning`` carries a failed DMARC/SPF/DKIM verdict of the receiving server.
* ``source_ref`` (mailbox, UIDVALIDITY and UID) recognises a re-delivery of the same mail;
  ``fingerprint`` tells a reused Message-ID with another sender or body from a re-delivery.

Revision ID: 0006_email
Revises: 0006_identity
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_email"
down_revision = "0006_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, no batch mode: rebuilding ``messages`` on SQLite would drop the old
    # table, and the drop cascades into the rows that reference messages (media_fetches).
    op.add_column(
        "messages", sa.Column("is_auto", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("messages", sa.Column("auto_kind", sa.String(length=16), nullable=True))
    op.add_column("messages", sa.Column("sender_warning", sa.String(length=300), nullable=True))
    op.add_column("messages", sa.Column("source_ref", sa.String(length=300), nullable=True))
    op.add_column("messages", sa.Column("fingerprint", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_messages_source_ref"), "messages", ["source_ref"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_source_ref"), table_name="messages")
    for column in ("fingerprint", "source_ref", "sender_warning", "auto_kind", "is_auto"):
        op.drop_column("messages", column)
