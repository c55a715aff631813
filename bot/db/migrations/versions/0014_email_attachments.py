"""Attachments of received mail (issue 20): kept up to the size limit for agents to download.

Revision ID: 0014
Revises: 0013
Create Date: 2025-01-11 00:00:00

The shape is frozen here (not imported from `bot.db.schema`) so that this revision
keeps creating the same table when the schema module moves on. Mail stored before it keeps its
attachments listed in `email_messages.attachments` only (their content was never kept).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `email_attachments` (identical on SQLite and PostgreSQL); existing data is
    untouched."""
    op.create_table(
        "email_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["email_messages.id"],
            name="fk_email_attachments_email_id_email_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_email_attachments"),
        sa.UniqueConstraint("email_id", "position", name="uq_email_attachments_email_id_position"),
    )
    op.create_index("ix_email_attachments_email_id", "email_attachments", ["email_id"])


def downgrade() -> None:
    """Drop `email_attachments` and the kept contents (the messages keep their listing)."""
    op.drop_index("ix_email_attachments_email_id", table_name="email_attachments")
    op.drop_table("email_attachments")
