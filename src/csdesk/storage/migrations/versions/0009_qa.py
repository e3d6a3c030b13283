"""qa_rubrics and qa_reviews: quality review scorecards (issue 12, docs/qa.md).

``qa_rubrics`` holds every version of a rubric (criteria as JSON; editing adds a version, so
old reviews keep the criteria they were scored on); ``qa_reviews`` a supervisor's review of a
conversation: values per criterion, comments on messages, an overall comment and the weighted
score. Both sync to the desks (reviews to supervisors and administrators only).

Revision ID: 0009_qa
Revises: 0009_surveys
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0009_qa"
down_revision = "0009_surveys"
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
        "qa_rubrics",
        sa.Column("family", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_qa_rubrics_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_rubrics")),
        sa.UniqueConstraint("family", "version", name=op.f("uq_qa_rubrics_family_version")),
    )
    op.create_index("ix_qa_rubrics_family", "qa_rubrics", ["family"])
    op.create_index("ix_qa_rubrics_realm", "qa_rubrics", ["realm"])
    op.create_table(
        "qa_reviews",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("reviewer_id", sa.String(length=36), nullable=False),
        sa.Column("rubric_id", sa.String(length=36), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("message_comments", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reviewed_at", when, nullable=False),
        sa.Column("edited_by_id", sa.String(length=36), nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_qa_reviews_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_qa_reviews_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_qa_reviews_reviewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"], ["qa_rubrics.id"], name=op.f("fk_qa_reviews_rubric_id_qa_rubrics")
        ),
        sa.ForeignKeyConstraint(
            ["edited_by_id"], ["users.id"], name=op.f("fk_qa_reviews_edited_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_reviews")),
    )
    op.create_index("ix_qa_reviews_conversation_id", "qa_reviews", ["conversation_id"])
    op.create_index("ix_qa_reviews_agent_id", "qa_reviews", ["agent_id"])
    op.create_index("ix_qa_reviews_reviewed_at", "qa_reviews", ["reviewed_at"])
    op.create_index("ix_qa_reviews_realm", "qa_reviews", ["realm"])


def downgrade() -> None:
    op.drop_table("qa_reviews")
    op.drop_table("qa_rubrics")
