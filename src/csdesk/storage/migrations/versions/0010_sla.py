"""sla_policies, team_hours and sla_escalations: the editable SLA policy (docs/sla.md).

``sla_policies`` holds the policy as JSON (synced), ``team_hours`` each team's business
calendar (synced), ``sla_escalations`` one row per escalated clock and level (server-only; its
unique key is the claim that makes escalation happen once across server processes).

Revision ID: 0010_sla
Revises: 0009_floor
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0010_sla"
down_revision = "0010_lang"
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
        "sla_policies",
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.String(length=36), nullable=True),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
    )
    op.create_index(op.f("ix_sla_policies_realm"), "sla_policies", ["realm"])
    op.create_table(
        "team_hours",
        sa.Column("hours", sa.String(length=500), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_hours")),
    )
    op.create_index(op.f("ix_team_hours_realm"), "team_hours", ["realm"])
    op.create_table(
        "sla_escalations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("clock", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("due_at", when, nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_escalations")),
        sa.UniqueConstraint(
            "conversation_id",
            "clock",
            "level",
            name=op.f("uq_sla_escalations_conversation_id_clock_level"),
        ),
    )
    op.create_index(
        op.f("ix_sla_escalations_conversation_id"), "sla_escalations", ["conversation_id"]
    )


def downgrade() -> None:
    op.drop_table("sla_escalations")
    op.drop_table("team_hours")
    op.drop_table("sla_policies")
