"""Article translations (issue 20): each version names the original it translates.

Revision ID: 0013
Revises: 0012
Create Date: 2025-01-10 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `translation_of` ("" for existing versions: they translate nothing)."""
    with op.batch_alter_table("article_versions") as batch:
        batch.add_column(
            sa.Column("translation_of", sa.String(128), server_default="", nullable=False)
        )


def downgrade() -> None:
    """Drop the column (the versions keep everything else)."""
    with op.batch_alter_table("article_versions") as batch:
        batch.drop_column("translation_of")
