"""routing_rules, agent_skills (synced) and routing_pointers, routing_auto_replies
(server-only): routing rules and automatic assignment (docs/routing.md).

Revision ID: 0010_routing
Revises: 0009_floor
Create Date: 2026-12-06 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0010_routing"
down_revision = "0009_floor"
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
        "routing_rules",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("stop", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.String(length=36), nullable=True),
        sa.Column("deleted_at", when, nullable=True),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    op.create_index(op.f("ix_routing_rules_realm"), "routing_rules", ["realm"])
    op.create_index(op.f("ix_routing_rules_position"), "routing_rules", ["position"])
    op.create_table(
        "agent_skills",
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("set_by_id", sa.String(length=36), nullable=True),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_skills")),
    )
    op.create_index(op.f("ix_agent_skills_realm"), "agent_skills", ["realm"])
    op.create_table(
        "routing_pointers",
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("last_user_id", sa.String(length=36), nullable=True),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_routing_pointers")),
    )
    op.create_table(
        "routing_auto_replies",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("sent_at", when, nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_routing_auto_replies")),
    )


def downgrade() -> None:
    op.drop_table("routing_auto_replies")
    op.drop_table("routing_pointers")
    op.drop_index(op.f("ix_agent_skills_realm"), table_name="agent_skills")
    op.drop_table("agent_skills")
    op.drop_index(op.f("ix_routing_rules_position"), table_name="routing_rules")
    op.drop_index(op.f("ix_routing_rules_realm"), table_name="routing_rules")
    op.drop_table("routing_rules")
