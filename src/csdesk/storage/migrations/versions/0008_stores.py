"""Connected stores: ``store_connections`` (settings, encrypted secrets, import progress),
``store_customer_links`` (store customer -> csdesk customer), and the store's ids on the rows
an import fills (order lines, shipments, returns) plus a shipment's tracking URL.

Revision ID: 0008_stores
Revises: 0008_actions
Create Date: 2026-12-06 00:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0008_stores"
down_revision = "0008_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "store_connections",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("customers_done", sa.Integer(), nullable=False),
        sa.Column("orders_done", sa.Integer(), nullable=False),
        sa.Column("synced_through", when, nullable=True),
        sa.Column("next_run_at", when, nullable=False),
        sa.Column("lease_until", when, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_connections")),
    )
    op.create_table(
        "store_customer_links",
        sa.Column("store", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_store_customer_links_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("store", "external_id", name=op.f("pk_store_customer_links")),
    )
    op.create_index("ix_store_customer_links_customer_id", "store_customer_links", ["customer_id"])
    op.add_column("order_lines", sa.Column("external_id", sa.String(length=80), nullable=True))
    op.add_column("shipments", sa.Column("external_id", sa.String(length=80), nullable=True))
    op.add_column("shipments", sa.Column("tracking_url", sa.String(length=500), nullable=True))
    op.add_column("returns", sa.Column("external_id", sa.String(length=80), nullable=True))


def downgrade() -> None:
    op.drop_column("returns", "external_id")
    op.drop_column("shipments", "tracking_url")
    op.drop_column("shipments", "external_id")
    op.drop_column("order_lines", "external_id")
    op.drop_index("ix_store_customer_links_customer_id", table_name="store_customer_links")
    op.drop_table("store_customer_links")
    op.drop_table("store_connections")
