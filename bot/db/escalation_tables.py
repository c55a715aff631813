"""The escalation stores' tables: tickets, their notes, agents, sessions, webhook deliveries.

`define_tables(metadata)` adds them to the application's `MetaData` (`bot/db/schema.py`); a
bare `MetaData` with `create_all` is enough to use the stores on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from bot.db.sql_support import UtcDateTime

# Tickets in these statuses are "active": a conversation has at most one of them.
ACTIVE_STATUSES = ("open", "claimed")
ACTIVE_TICKET_WHERE = "status IN ('open', 'claimed')"


@dataclass(frozen=True, slots=True)
class EscalationTables:
    """The escalation tables, as defined on one `MetaData`."""

    tickets: sa.Table
    ticket_notes: sa.Table
    agents: sa.Table
    agent_sessions: sa.Table
    webhook_deliveries: sa.Table


def define_tables(metadata: sa.MetaData) -> EscalationTables:
    """Add the escalation tables to `metadata` and return them (call once per metadata).

    Constraint and index names are explicit, so they do not depend on the metadata's
    naming convention; they match the migration that creates the tables.
    """
    tickets = sa.Table(
        "tickets",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        # No foreign key: conversations belong to the application, not to this package.
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("priority_rank", sa.Integer, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("customer_email", sa.String(320), nullable=False),
        sa.Column("offline", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("claimed_at", UtcDateTime, nullable=True),
        sa.Column("resolved_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.Index("ix_tickets_conversation_id", "conversation_id"),
        sa.Index("ix_tickets_agent_id", "agent_id"),
        sa.Index("ix_tickets_queue", "status", "priority_rank", "created_at"),
        # The database backs up the code's one-active-ticket check against concurrent
        # enqueues (partial indexes exist on both SQLite and PostgreSQL).
        sa.Index(
            "ix_tickets_active_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=sa.text(ACTIVE_TICKET_WHERE),
            postgresql_where=sa.text(ACTIVE_TICKET_WHERE),
        ),
    )
    ticket_notes = sa.Table(
        "ticket_notes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_notes"),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_notes_ticket_id_tickets"
        ),
        sa.Index("ix_ticket_notes_ticket_id", "ticket_id"),
    )
    agents = sa.Table(
        "agents",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_seen", UtcDateTime, nullable=True),
        # An admin who answers chats too (agents always do, editors never).
        sa.Column("takes_chats", sa.Boolean, nullable=False, server_default=sa.false()),
        # The agent console's last request or WebSocket ping: what "online" means.
        sa.Column("console_seen", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.UniqueConstraint("name", name="uq_agents_name"),
    )
    agent_sessions = sa.Table(
        "agent_sessions",
        metadata,
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_agent_sessions"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_agent_sessions_agent_id_agents"
        ),
        sa.Index("ix_agent_sessions_agent_id", "agent_id"),
    )
    webhook_deliveries = sa.Table(
        "webhook_deliveries",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    return EscalationTables(
        tickets=tickets,
        ticket_notes=ticket_notes,
        agents=agents,
        agent_sessions=agent_sessions,
        webhook_deliveries=webhook_deliveries,
    )
