"""users.call_phone and callbacks: click-to-call and callback tasks (issue 11).

``users.call_phone`` is what a click-to-call rings first (the agent's phone or Twilio client);
``callbacks`` holds each promised call back with its time, its assignee (or the queue) and its
life (scheduled, due, done, cancelled); it syncs to the desks.

Revision ID: 0008_callout
Revises: 0008_stores
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0008_callout"
down_revision = "0008_stores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("call_phone", sa.String(length=64), nullable=True))
    when = csdesk.storage.types.UTCDateTime(timezone=True)
    op.create_table(
        "callbacks",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("call_id", sa.String(length=36), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("due_at", when, nullable=False),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.Column("fired_at", when, nullable=True),
        sa.Column("seen_at", when, nullable=True),
        sa.Column("done_at", when, nullable=True),
        sa.Column("done_call_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_callbacks_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_callbacks_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_callbacks_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_callbacks_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    op.create_index("ix_callbacks_customer_id", "callbacks", ["customer_id"])
    op.create_index("ix_callbacks_due_at", "callbacks", ["due_at"])
    op.create_index("ix_callbacks_assignee_id", "callbacks", ["assignee_id"])
    op.create_index("ix_callbacks_status", "callbacks", ["status"])
    op.create_index("ix_callbacks_realm", "callbacks", ["realm"])


def downgrade() -> None:
    op.drop_table("callbacks")
    op.drop_column("users", "call_phone")
