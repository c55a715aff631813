"""Help-center "Was this helpful?" votes (issue 20): one row per article and visitor.

Revision ID: 0007
Revises: 0006
Create Date: 2025-01-07 00:00:00

The shape is frozen here (not imported from `bot.db.schema`) so that this revision
keeps creating the same table when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `help_votes` (identical on SQLite and PostgreSQL); existing data is untouched."""
    op.create_table(
        "help_votes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(128), nullable=False),
        sa.Column("visitor", sa.String(64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_help_votes"),
        sa.UniqueConstraint("article_id", "visitor", name="uq_help_votes_article_id_visitor"),
    )
    op.create_index("ix_help_votes_voted_at", "help_votes", ["voted_at"])


def downgrade() -> None:
    """Drop `help_votes` (the articles stay)."""
    op.drop_index("ix_help_votes_voted_at", table_name="help_votes")
    op.drop_table("help_votes")
