"""Announcements (issue 21): incidents, maintenance and policy changes for an audience and a
time window, also made and ended by a status page's signed incident updates.

Revision ID: 0010
Revises: 0009
Create Date: 2025-01-10 00:00:00

The shape is frozen here (not imported from `bot.db.schema`) so that this revision
keeps creating the same table when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = ("starts_at", "ends_at")


def upgrade() -> None:
    """Create `announcements` (identical on SQLite and PostgreSQL); existing data is untouched."""
    op.create_table(
        "announcements",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(35), server_default="", nullable=False),
        sa.Column("page_pattern", sa.String(500), server_default="", nullable=False),
        sa.Column("plan", sa.String(64), server_default="", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(32), server_default="", nullable=False),
        sa.Column("created_by", sa.String(255), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
        sa.UniqueConstraint("source_id", name="uq_announcements_source_id"),
    )
    for column in _INDEXES:
        op.create_index(f"ix_announcements_{column}", "announcements", [column])


def downgrade() -> None:
    """Drop `announcements`."""
    for column in _INDEXES:
        op.drop_index(f"ix_announcements_{column}", table_name="announcements")
    op.drop_table("announcements")
