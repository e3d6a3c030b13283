"""login_throttle: an index on last_failure_at, so stale rows can be swept cheaply

Failed logins are now counted per (user name, client address) and per client address, under
new keys in the same table; rows nobody has failed under for a while are deleted whenever a
new row is written, and that delete finds them through this index. Old per-user-name rows
(the previous keys) are simply left to expire the same way.

Revision ID: 0006_auth
Revises: 0005
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006_auth"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttle_last_failure_at"), ["last_failure_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_last_failure_at"))
