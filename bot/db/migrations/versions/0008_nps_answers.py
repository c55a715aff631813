"""NPS survey answers (issue 21): a 0-10 score and a comment per answer.

Revision ID: 0008
Revises: 0007
Create Date: 2025-01-08 00:00:00

The shape is frozen here (not imported from `bot.db.schema`) so that this revision
keeps creating the same table when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = ("conversation_id", "customer_id", "answered_at")


def upgrade() -> None:
    """Create `nps_answers` (identical on SQLite and PostgreSQL); existing data is untouched."""
    op.create_table(
        "nps_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_nps_answers_conversation_id_conversations",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_nps_answers_customer_id_customers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_nps_answers"),
    )
    for column in _INDEXES:
        op.create_index(f"ix_nps_answers_{column}", "nps_answers", [column])


def downgrade() -> None:
    """Drop `nps_answers` (the conversations stay)."""
    for column in _INDEXES:
        op.drop_index(f"ix_nps_answers_{column}", table_name="nps_answers")
    op.drop_table("nps_answers")
