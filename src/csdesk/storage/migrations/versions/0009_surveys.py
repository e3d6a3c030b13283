"""survey_requests: the satisfaction survey sent after each resolution (docs/surveys.md).

One row per surveyed resolution, unique on ``(conversation_id, resolved_at)`` so that one
resolution is surveyed at most once whatever the retries and server processes; the answer
goes to ``survey_answers`` (0008_kpis). Server-only.

Revision ID: 0009_surveys
Revises: 0009_trainreview
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0009_surveys"
down_revision = "0009_trainreview"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "survey_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("resolved_at", when, nullable=False),
        sa.Column("sent_at", when, nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("answered_at", when, nullable=True),
        sa.Column("answer_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_survey_requests_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_survey_requests_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_requests")),
        sa.UniqueConstraint(
            "conversation_id",
            "resolved_at",
            name=op.f("uq_survey_requests_conversation_id_resolved_at"),
        ),
    )
    with op.batch_alter_table("survey_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_requests_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_survey_requests_customer_sent", ["customer_id", "sent_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_requests_customer_sent")
        batch_op.drop_index(batch_op.f("ix_survey_requests_conversation_id"))
    op.drop_table("survey_requests")
