"""Verified customers (issue 21): the identity the host site signed, kept with a conversation.

Revision ID: 0011
Revises: 0010
Create Date: 2025-01-11 00:00:00

`conversations.identity` holds `{"status": "verified", "user_id", ...}` for a signed identity
that checked out, `{"status": "unverified", "problem"}` for one that did not, and NULL when
none was offered. Existing conversations stay anonymous.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable `conversations.identity` (identical on SQLite and PostgreSQL)."""
    op.add_column("conversations", sa.Column("identity", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop `conversations.identity` (the conversations stay, anonymous).

    A plain DROP COLUMN (SQLite 3.35 and later): a batch copy would drop and recreate
    `conversations`, which the turns and tickets reference.
    """
    op.execute("ALTER TABLE conversations DROP COLUMN identity")
