"""survey_answers and conversation_reopens, and the indexes the KPI scans use.

``survey_answers`` holds a customer's CSAT/NPS/CES answer about a conversation (synced; the
survey loop fills it). ``conversation_reopens`` records each resolution that was undone, so the
reopen rate and first-contact resolution can be computed (server-only). See docs/kpis.md.

Revision ID: 0008_kpis
Revises: 0008_outreach
Create Date: 2026-12-06 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0008_kpis"
down_revision = "0008_outreach"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "survey_answers",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("ces", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", when, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_survey_answers_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_survey_answers_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_answers_answered_at"), ["answered_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_answers_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_answers_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_survey_answers_realm"), ["realm"], unique=False)

    op.create_table(
        "conversation_reopens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("resolved_at", when, nullable=False),
        sa.Column("reopened_at", when, nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("by_user_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_reopens_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_reopens")),
    )
    with op.batch_alter_table("conversation_reopens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_reopens_conversation_id"),
            ["conversation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversation_reopens_resolved_at"), ["resolved_at"], unique=False
        )
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"], unique=False)
    op.create_index("ix_conversations_resolved_at", "conversations", ["resolved_at"], unique=False)
    op.create_index("ix_calls_ended_at", "calls", ["ended_at"], unique=False)
    op.create_index("ix_messages_created_at", "messages", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_messages_created_at", table_name="messages")
    op.drop_index("ix_calls_ended_at", table_name="calls")
    op.drop_index("ix_conversations_resolved_at", table_name="conversations")
    op.drop_index("ix_conversations_created_at", table_name="conversations")
    op.drop_table("conversation_reopens")
    op.drop_table("survey_answers")
