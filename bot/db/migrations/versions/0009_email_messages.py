"""Mail of the email channel (issue 20): one row per message, in or out, unique Message-ID.

Revision ID: 0009
Revises: 0008
Create Date: 2025-01-09 00:00:00

The shape is frozen here (not imported from `bot.db.schema`) so that this revision
keeps creating the same table when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = ("conversation_id", "in_reply_to", "created_at")


def upgrade() -> None:
    """Create `email_messages` (identical on SQLite and PostgreSQL); existing data is untouched."""
    op.create_table(
        "email_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(512), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("turn_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("sender", sa.String(320), server_default="", nullable=False),
        sa.Column("recipient", sa.String(320), server_default="", nullable=False),
        sa.Column("subject", sa.Text(), server_default="", nullable=False),
        sa.Column("in_reply_to", sa.String(512), server_default="", nullable=False),
        sa.Column("reference_ids", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("size", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_email_messages_conversation_id_conversations",
        ),
        sa.ForeignKeyConstraint(["turn_id"], ["turns.id"], name="fk_email_messages_turn_id_turns"),
        sa.PrimaryKeyConstraint("id", name="pk_email_messages"),
        sa.UniqueConstraint("message_id", name="uq_email_messages_message_id"),
        sa.UniqueConstraint("turn_id", name="uq_email_messages_turn_id"),
    )
    for column in _INDEXES:
        op.create_index(f"ix_email_messages_{column}", "email_messages", [column])


def downgrade() -> None:
    """Drop `email_messages` (the conversations stay)."""
    for column in _INDEXES:
        op.drop_index(f"ix_email_messages_{column}", table_name="email_messages")
    op.drop_table("email_messages")
