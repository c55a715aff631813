"""Articles: help-center articles edited in the app, with every saved version.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03 00:00:00

The shapes are frozen here (not imported from `bot.db.schema`) so that this revision
keeps creating the same tables when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `articles` and `article_versions` (same on SQLite and PostgreSQL); data untouched."""
    op.create_table(
        "articles",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(1024), nullable=False, server_default="app"),
        sa.Column("source_hash", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.Column("index_state", sa.String(16), nullable=False),
        sa.Column("index_error", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
    )
    op.create_index("ix_articles_status", "articles", ["status"])

    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(255), nullable=False, server_default=""),
        sa.Column("locale", sa.String(35), nullable=False, server_default="en"),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False, server_default=""),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_article_versions"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_versions_article_id_articles"
        ),
        sa.UniqueConstraint(
            "article_id", "version", name="uq_article_versions_article_id_version"
        ),
    )
    op.create_index("ix_article_versions_article_id", "article_versions", ["article_id"])


def downgrade() -> None:
    """Drop both tables (conversations, tickets and agents stay)."""
    op.drop_table("article_versions")
    op.drop_table("articles")
