"""Plan-aware articles through the editor store (issue 21): each article version's audience.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `audience` (a JSON list of plan names, empty = everyone, as existing versions were
    indexed)."""
    with op.batch_alter_table("article_versions") as batch:
        batch.add_column(sa.Column("audience", sa.JSON(), server_default="[]", nullable=False))
    # The default only fills existing rows (PostgreSQL cannot compare JSON defaults); every new
    # version is written with its list.
    with op.batch_alter_table("article_versions") as batch:
        batch.alter_column("audience", server_default=None, existing_type=sa.JSON())


def downgrade() -> None:
    """Drop the column (the versions keep everything else)."""
    with op.batch_alter_table("article_versions") as batch:
        batch.drop_column("audience")
