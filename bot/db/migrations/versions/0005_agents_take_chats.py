"""Who is online (issue 17): admins opt in to take chats, and the console's own heartbeat.

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-05 00:00:00

`takes_chats` is false for every existing account (agents take chats by their role; admins
opt in). `console_seen` is refreshed only by the agent console, so editing the help center
no longer makes anyone look available.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add two columns to `agents` (identical on SQLite and PostgreSQL); rows are kept."""
    op.add_column(
        "agents",
        sa.Column("takes_chats", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("agents", sa.Column("console_seen", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("console_seen")
        batch.drop_column("takes_chats")
