"""customer_stats and customer_events: the customer record's figures and profile changes.

``customer_stats`` holds one row per customer (its id is the customer's) with the figures the
server computes in the shop's currency (lifetime value, orders, average order, return rate,
last contact); ``customer_events`` holds the profile changes (edits, merges and their undo,
conversations linked to another customer) the desk's timeline shows. Both sync to the desks.
Existing customers get their figures when the server next starts
(``csdesk.server.crm.backfill``) or on their next change.

Revision ID: 0008_record
Revises: 0007_commerce
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0008_record"
down_revision = "0007_commerce"
branch_labels = None
depends_on = None


def _synced() -> list[sa.Column[object]]:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
    ]


def upgrade() -> None:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "customer_stats",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("gross_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("average_order_cents", sa.BigInteger(), nullable=False),
        sa.Column("returned_orders", sa.Integer(), nullable=False),
        sa.Column("return_rate_bp", sa.Integer(), nullable=False),
        sa.Column("other_currency_orders", sa.Integer(), nullable=False),
        sa.Column("last_contact_at", when, nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_stats_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_stats")),
    )
    op.create_index("ix_customer_stats_customer_id", "customer_stats", ["customer_id"])
    op.create_index("ix_customer_stats_realm", "customer_stats", ["realm"])
    op.create_table(
        "customer_events",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("other_customer_id", sa.String(length=36), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_events_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_events")),
    )
    op.create_index("ix_customer_events_customer_id", "customer_events", ["customer_id"])
    op.create_index("ix_customer_events_realm", "customer_events", ["realm"])


def downgrade() -> None:
    op.drop_table("customer_events")
    op.drop_table("customer_stats")
