"""calls: synced (id, realm, agent, wrap-up); call_scripts

Calls become a synced entity so the desk of the agent who takes one can pop the caller and
the call script, and the agent's wrap-up (notes, disposition, script trail) syncs back. The
provider's ``call_sid`` stays unique but is no longer the key: synced rows are keyed by a
UUID like every other entity. Existing calls get fresh ids and the realm of their
conversation, so a server upgraded with calls on record keeps them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 20:30:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIME = csdesk.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("realm", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("created_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("updated_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("agent_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("answered_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("script_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("script_trail", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("wrapup_notes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("disposition", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("wrapped_up_at", _TIME, nullable=True))

    bind = op.get_bind()
    calls = sa.table("calls", sa.column("call_sid", sa.String), sa.column("id", sa.String))
    for (sid,) in bind.execute(sa.select(calls.c.call_sid)).all():
        bind.execute(calls.update().where(calls.c.call_sid == sid).values(id=str(uuid.uuid4())))
    op.execute(
        "UPDATE calls SET realm = COALESCE((SELECT c.realm FROM conversations c "
        "WHERE c.id = calls.conversation_id), 'production'), created_at = started_at, "
        "updated_at = started_at, script_trail = '[]', wrapup_notes = ''"
    )

    with op.batch_alter_table("calls", schema=None, recreate="auto") as batch_op:
        batch_op.alter_column("id", existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column("realm", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("created_at", existing_type=_TIME, nullable=False)
        batch_op.alter_column("updated_at", existing_type=_TIME, nullable=False)
        batch_op.alter_column("script_trail", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("wrapup_notes", existing_type=sa.Text(), nullable=False)
        batch_op.drop_constraint("pk_calls", type_="primary")
        batch_op.create_primary_key("pk_calls", ["id"])
        batch_op.create_unique_constraint(batch_op.f("uq_calls_call_sid"), ["call_sid"])
        batch_op.create_foreign_key(
            batch_op.f("fk_calls_agent_id_users"), "users", ["agent_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_calls_realm"), ["realm"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "call_scripts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_scripts")),
        sa.UniqueConstraint("realm", "key", name=op.f("uq_call_scripts_realm_key")),
    )
    with op.batch_alter_table("call_scripts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_scripts_realm"), ["realm"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_scripts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_scripts_realm"))
    op.drop_table("call_scripts")

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_agent_id"))
        batch_op.drop_index(batch_op.f("ix_calls_realm"))
        batch_op.drop_constraint(batch_op.f("fk_calls_agent_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_calls_call_sid"), type_="unique")
        batch_op.drop_constraint("pk_calls", type_="primary")
        batch_op.create_primary_key("pk_calls", ["call_sid"])
    with op.batch_alter_table("calls", schema=None) as batch_op:
        for name in (
            "wrapped_up_at",
            "disposition",
            "wrapup_notes",
            "script_trail",
            "script_id",
            "answered_at",
            "agent_id",
            "updated_at",
            "created_at",
            "realm",
            "id",
        ):
            batch_op.drop_column(name)
