"""messages.body_phrases, floor_messages.body_phrases: a server note's sentences as templates
and params (issue 13).

An SLA warning, a split note or a notice to one agent's desk (a review, a training comment) is
shown in the agent's language: the desk renders each ``{"template", "params"}`` from its
catalogue (docs/server-notes.md); ``body_text``/``body`` keep the English text. Plain ADD
COLUMN (nullable), no table rebuild on SQLite.

Revision ID: 0013_notephrases
Revises: 0013_side
Create Date: 2026-12-07 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_notephrases"
down_revision = "0013_side"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("body_phrases", sa.JSON(), nullable=True))
    op.add_column("floor_messages", sa.Column("body_phrases", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("floor_messages", "body_phrases")
    op.drop_column("messages", "body_phrases")
