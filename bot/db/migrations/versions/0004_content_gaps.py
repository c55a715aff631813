"""Content gaps: links from a group of unanswered questions to the article that covers it.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04 00:00:00

The shape is frozen here (not imported from `bot.db.schema`) so that this revision
keeps creating the same table when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `gap_links` (identical on SQLite and PostgreSQL); existing data is untouched."""
    op.create_table(
        "gap_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("centroid", sa.JSON(), nullable=False),
        sa.Column("article_id", sa.String(255), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gap_links"),
        sa.UniqueConstraint("key", name="uq_gap_links_key"),
    )
    op.create_index("ix_gap_links_article_id", "gap_links", ["article_id"])


def downgrade() -> None:
    """Drop `gap_links` (the articles and conversations stay)."""
    op.drop_table("gap_links")
