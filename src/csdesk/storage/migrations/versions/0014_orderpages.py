"""orders.store_incomplete: what csdesk could not read whole of a store's order (issue 11).

The Shopify connector pages an order's lines, shipments, refunds and returns up to caps
(docs/commerce.md); an order with more is marked here (``["lines", "returns"]``) and the
customer view says so. Plain ADD COLUMN (nullable), no table rebuild on SQLite.

Revision ID: 0014_orderpages
Revises: 0013_notephrases
Create Date: 2026-12-07 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_orderpages"
down_revision = "0013_notephrases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("store_incomplete", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "store_incomplete")
