"""agent_statuses, agent_status_spans and floor_messages: the live floor (docs/floor.md).

``agent_statuses`` holds each agent's status now (synced), ``agent_status_spans`` the history
of time spent in each status (server-only), ``floor_messages`` a supervisor's messages to an
agent's desk (synced).

Revision ID: 0009_floor
Revises: 0009_qa
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0009_floor"
down_revision = "0009_qa"
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
        "agent_statuses",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("chosen", sa.String(length=16), nullable=False),
        sa.Column("on_call", sa.Boolean(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("since", when, nullable=False),
        sa.Column("set_by_id", sa.String(length=36), nullable=True),
        sa.Column("seen_at", when, nullable=True),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_statuses")),
    )
    op.create_index(op.f("ix_agent_statuses_realm"), "agent_statuses", ["realm"])
    op.create_table(
        "agent_status_spans",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", when, nullable=False),
        sa.Column("ended_at", when, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_status_spans")),
    )
    op.create_index(
        "ix_agent_status_spans_user_started", "agent_status_spans", ["user_id", "started_at"]
    )
    op.create_index(op.f("ix_agent_status_spans_ended_at"), "agent_status_spans", ["ended_at"])
    op.create_table(
        "floor_messages",
        sa.Column("to_user_id", sa.String(length=36), nullable=False),
        sa.Column("from_user_id", sa.String(length=36), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floor_messages")),
    )
    op.create_index(op.f("ix_floor_messages_realm"), "floor_messages", ["realm"])
    op.create_index(op.f("ix_floor_messages_to_user_id"), "floor_messages", ["to_user_id"])


def downgrade() -> None:
    op.drop_table("floor_messages")
    op.drop_table("agent_status_spans")
    op.drop_table("agent_statuses")
