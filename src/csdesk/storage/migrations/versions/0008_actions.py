"""orders.shipping_address and customers.store_credit_cents: what the desk's order actions
and goodwill grants change on csdesk's own records.

An address change before fulfilment sets ``orders.shipping_address`` (the ``store_api.Address``
fields as JSON); goodwill store credit adds to ``customers.store_credit_cents``.

Revision ID: 0008_actions
Revises: 0008_record
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_actions"
down_revision = "0008_record"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "orders", sa.Column("shipping_address", sa.JSON(none_as_null=True), nullable=True)
    )
    op.add_column(
        "customers",
        sa.Column("store_credit_cents", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("customers", "store_credit_cents")
    op.drop_column("orders", "shipping_address")
