"""identity_claims; messages.recipient

* An address a chat visitor (or the offline form) types proves nothing, yet it used to become
  a ``customer_identities`` row (unverified, but matched all the same) or merge the visitor
  into whoever owned it. Typed identities get ``identity_claims``: shown to agents with the
  customer who owns the value as a possible match, never used to route anything.
* A mail the server writes itself (a chat transcript, the link that proves an address) goes to
  one address; ``messages.recipient`` (server-only) names it, and counting by it rate-limits
  what any one address receives.

Existing unverified identity rows stay; routing ignores them and the first verified contact
with that value takes them over (audited).

Revision ID: 0006_identity
Revises: 0006_files
Create Date: 2026-12-04 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0006_identity"
down_revision = "0006_files"
branch_labels = None
depends_on = None

_TIME = csdesk.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "identity_claims",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("match_customer_id", sa.String(length=36), nullable=True),
        sa.Column("proven_at", _TIME, nullable=True),
        sa.Column("linked_at", _TIME, nullable=True),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", _TIME, nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_identity_claims_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_identity_claims_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["match_customer_id"],
            ["customers.id"],
            name=op.f("fk_identity_claims_match_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_claims")),
    )
    with op.batch_alter_table("identity_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_claims_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_identity_claims_realm"), ["realm"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_identity_claims_session_hash"), ["session_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_identity_claims_token_hash"), ["token_hash"], unique=False
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient", sa.String(length=320), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_recipient"), ["recipient"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_recipient"))
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as in 0005: a batch copy of messages
    # would cascade-delete the rows that reference it (media_fetches, outbound_attempts).
    op.drop_column("messages", "recipient")
    with op.batch_alter_table("identity_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_claims_token_hash"))
        batch_op.drop_index(batch_op.f("ix_identity_claims_session_hash"))
        batch_op.drop_index(batch_op.f("ix_identity_claims_realm"))
        batch_op.drop_index(batch_op.f("ix_identity_claims_customer_id"))
    op.drop_table("identity_claims")
