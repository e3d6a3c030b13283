"""Proactive outreach: ``outreach`` (one late order to tell its customer about, per order and
reason) and ``customers.contact_opt_out`` (the customer asked not to be written to first).

Revision ID: 0008_outreach
Revises: 0008_callout
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0008_outreach"
down_revision = "0008_callout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, no batch mode: rebuilding ``customers`` on SQLite would drop the
    # table that conversations, orders and identities reference.
    op.add_column(
        "customers",
        sa.Column("contact_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "outreach",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("delay", sa.String(length=500), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("sent_by_id", sa.String(length=36), nullable=True),
        sa.Column("sent_at", when, nullable=True),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("send_at", when, nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_outreach_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_outreach_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_outreach_sent_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_outreach_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach")),
        sa.UniqueConstraint(
            "realm", "order_id", "reason", name=op.f("uq_outreach_realm_order_id_reason")
        ),
    )
    op.create_index("ix_outreach_order_id", "outreach", ["order_id"])
    op.create_index("ix_outreach_customer_id", "outreach", ["customer_id"])
    op.create_index("ix_outreach_status", "outreach", ["status"])
    op.create_index("ix_outreach_realm", "outreach", ["realm"])


def downgrade() -> None:
    op.drop_table("outreach")
    op.drop_column("customers", "contact_opt_out")
