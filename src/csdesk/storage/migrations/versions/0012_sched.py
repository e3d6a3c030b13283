"""Scheduled send and follow-up reminders (issue 14, docs/scheduled-send.md).

``scheduled_messages``: replies the server holds until their time; ``reminders``: one agent's
"remind me about this conversation" (personal feed rows).

Revision ID: 0012_sched
Revises: 0012_convmerge
Create Date: 2026-12-06 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0012_sched"
down_revision = "0012_convmerge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "scheduled_messages",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("send_at", when, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("sent_at", when, nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_scheduled_messages_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_scheduled_messages_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_messages")),
    )
    for column in ("conversation_id", "send_at", "status", "realm"):
        op.create_index(f"ix_scheduled_messages_{column}", "scheduled_messages", [column])
    op.create_table(
        "reminders",
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("due_at", when, nullable=False),
        sa.Column("only_if_no_reply", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("fired_at", when, nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_reminders_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    for column in ("owner_id", "conversation_id", "due_at", "status", "realm"):
        op.create_index(f"ix_reminders_{column}", "reminders", [column])


def downgrade() -> None:
    for column in ("owner_id", "conversation_id", "due_at", "status", "realm"):
        op.drop_index(f"ix_reminders_{column}", table_name="reminders")
    op.drop_table("reminders")
    for column in ("conversation_id", "send_at", "status", "realm"):
        op.drop_index(f"ix_scheduled_messages_{column}", table_name="scheduled_messages")
    op.drop_table("scheduled_messages")
