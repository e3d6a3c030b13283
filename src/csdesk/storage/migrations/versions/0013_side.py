"""Side conversations (issue 14, docs/side-conversations.md).

``side_conversations``: a customer conversation (or one message of it) forwarded by email to an
outside address; ``side_messages``: what went out and the replies that came back, filed
beside the customer's thread, never in it.

Revision ID: 0013_side
Revises: 0013_followup
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0013_side"
down_revision = "0013_followup"
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
        "side_conversations",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.String(length=36), nullable=False),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("reply_count", sa.Integer(), nullable=False),
        sa.Column("last_in_at", when, nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_side_conversations_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_side_conversations_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_side_conversations")),
        sa.UniqueConstraint("token", name=op.f("uq_side_conversations_token")),
    )
    for column in ("conversation_id", "realm"):
        op.create_index(f"ix_side_conversations_{column}", "side_conversations", [column])
    op.create_table(
        "side_messages",
        sa.Column("side_conversation_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("sent_at", when, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", when, nullable=True),
        sa.Column("lease_until", when, nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["side_conversation_id"],
            ["side_conversations.id"],
            name=op.f("fk_side_messages_side_conversation_id_side_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_side_messages")),
    )
    for column in (
        "side_conversation_id", "conversation_id", "status", "provider_message_id", "realm"
    ):  # fmt: skip
        op.create_index(f"ix_side_messages_{column}", "side_messages", [column])


def downgrade() -> None:
    for column in (
        "side_conversation_id", "conversation_id", "status", "provider_message_id", "realm"
    ):  # fmt: skip
        op.drop_index(f"ix_side_messages_{column}", table_name="side_messages")
    op.drop_table("side_messages")
    for column in ("conversation_id", "realm"):
        op.drop_index(f"ix_side_conversations_{column}", table_name="side_conversations")
    op.drop_table("side_conversations")
