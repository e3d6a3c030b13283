"""orders.store / orders.external_id and order_actions: the ground the store connectors and
the desk's order actions stand on.

An order csdesk imported from a connected store (Shopify, WooCommerce) carries the store's name
and its id there; an order without one is csdesk's own record (the demo), which actions change
directly. ``order_actions`` holds each refund, return, exchange, cancel, resend, address change
and note an agent asked for, with its approval and the store's answer; it syncs to the desks.

Revision ID: 0007_commerce
Revises: 0006_flow
Create Date: 2026-12-05 17:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0007_commerce"
down_revision = "0006_flow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("store", sa.String(length=16), nullable=True))
    op.add_column("orders", sa.Column("external_id", sa.String(length=80), nullable=True))
    op.create_index(
        "ux_orders_store_external_id", "orders", ["realm", "store", "external_id"], unique=True
    )
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "order_actions",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("requested_by_id", sa.String(length=36), nullable=True),
        sa.Column("decided_by_id", sa.String(length=36), nullable=True),
        sa.Column("decided_at", when, nullable=True),
        sa.Column("external_id", sa.String(length=80), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", when, nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_actions_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_order_actions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_order_actions_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_order_actions_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_actions")),
    )
    op.create_index("ix_order_actions_order_id", "order_actions", ["order_id"])
    op.create_index("ix_order_actions_customer_id", "order_actions", ["customer_id"])
    op.create_index("ix_order_actions_realm", "order_actions", ["realm"])
    op.create_index("ix_order_actions_next_attempt_at", "order_actions", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("order_actions")
    op.drop_index("ux_orders_store_external_id", table_name="orders")
    op.drop_column("orders", "external_id")
    op.drop_column("orders", "store")
