"""Conversations an agent merged into a ticket (issue 17, item 5): the customer's earlier chats.

Revision ID: 0006
Revises: 0005
Create Date: 2025-01-06 00:00:00

The shape is frozen here (not imported from `bot.db.schema`) so that this revision
keeps creating the same table when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `ticket_links` (identical on SQLite and PostgreSQL); existing data is untouched."""
    op.create_table(
        "ticket_links",
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_links_ticket_id_tickets"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_ticket_links_conversation_id_conversations",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "conversation_id", name="pk_ticket_links"),
    )
    op.create_index("ix_ticket_links_conversation_id", "ticket_links", ["conversation_id"])


def downgrade() -> None:
    """Drop `ticket_links`."""
    op.drop_index("ix_ticket_links_conversation_id", table_name="ticket_links")
    op.drop_table("ticket_links")
