"""kb_articles, kb_variants (synced) and, on SQLite, the FTS5 index kb_fts: the knowledge
base (docs/knowledge-base.md). PostgreSQL searches with tsvector expressions at query time.

Revision ID: 0011_kb
Revises: 0010_sla
Create Date: 2026-12-06 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csdesk.storage.types

revision = "0011_kb"
down_revision = "0010_sla"
branch_labels = None
depends_on = None

#: Kept in step with ``server.kb.search.FTS_DDL`` (the migration must not import the server).
_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts USING fts5(title, body, tags, "
    "variant_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
)


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
        "kb_articles",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("updated_by_id", sa.String(length=36), nullable=True),
        sa.Column("deleted_at", when, nullable=True),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
    )
    op.create_index(op.f("ix_kb_articles_realm"), "kb_articles", ["realm"])
    op.create_index(op.f("ix_kb_articles_slug"), "kb_articles", ["slug"])
    op.create_table(
        "kb_variants",
        sa.Column("article_id", sa.String(length=36), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("deleted_at", when, nullable=True),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_variants")),
    )
    op.create_index(op.f("ix_kb_variants_realm"), "kb_variants", ["realm"])
    op.create_index(op.f("ix_kb_variants_article_id"), "kb_variants", ["article_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_FTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS kb_fts")
    op.drop_index(op.f("ix_kb_variants_article_id"), table_name="kb_variants")
    op.drop_index(op.f("ix_kb_variants_realm"), table_name="kb_variants")
    op.drop_table("kb_variants")
    op.drop_index(op.f("ix_kb_articles_slug"), table_name="kb_articles")
    op.drop_index(op.f("ix_kb_articles_realm"), table_name="kb_articles")
    op.drop_table("kb_articles")
