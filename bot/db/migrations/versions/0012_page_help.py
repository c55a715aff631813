"""Page-aware help (issue 21): each article version's URL path globs and suggested questions.

Revision ID: 0012
Revises: 0011
Create Date: 2025-01-09 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("pages", "questions")


def upgrade() -> None:
    """Add `pages` and `questions` (JSON lists, empty for existing versions)."""
    with op.batch_alter_table("article_versions") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, sa.JSON(), server_default="[]", nullable=False))
    # The default only fills existing rows: PostgreSQL cannot compare JSON defaults, and every
    # new version is written with both lists.
    with op.batch_alter_table("article_versions") as batch:
        for name in _COLUMNS:
            batch.alter_column(name, server_default=None, existing_type=sa.JSON())


def downgrade() -> None:
    """Drop both columns (the versions keep everything else)."""
    with op.batch_alter_table("article_versions") as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
