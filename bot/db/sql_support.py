"""SQL tables of the escalation backends and their transaction helper (SQLite and PostgreSQL).

`escalation` is a leaf package, so it does not own a `MetaData`: the application calls
`define_tables(metadata)` on its own metadata, and its migrations create the tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from escalation.errors import EscalationError

# Tickets in these statuses are "active": a conversation has at most one of them.
ACTIVE_STATUSES = ("open", "claimed")
ACTIVE_TICKET_WHERE = "status IN ('open', 'claimed')"


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Convert to UTC; naive values are refused so no local time slips in."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use a timezone-aware UTC value")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Attach UTC to values read back naive (SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]
        return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


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


class ConstraintViolation(EscalationError):
    """A write broke a unique or foreign-key constraint; backends turn it into a specific error."""


@contextlib.contextmanager
def transaction(
    engine: Engine,
    *,
    subject: str = "escalation database",
    failure: type[Exception] = EscalationError,
    violation: type[Exception] = ConstraintViolation,
) -> Iterator[Connection]:
    """A connection in a transaction, committed on success.

    Database failures raise `failure` with a readable message naming `subject` (no SQL, no
    parameters); a broken constraint raises `violation` so callers can resolve races. Errors
    raised by the caller's own code pass through and roll the transaction back. The
    application passes its own error types and reuses this for its stores.
    """
    try:
        connection = engine.connect()
    except DBAPIError as exc:
        raise failure(_unreachable_message(engine, subject, exc)) from exc
    except SQLAlchemyError as exc:
        raise failure(_error_message(engine, subject, exc)) from exc
    try:
        with connection, connection.begin():
            yield connection
    except IntegrityError as exc:
        raise violation(_error_message(engine, subject, exc)) from exc
    except SQLAlchemyError as exc:
        raise failure(_error_message(engine, subject, exc)) from exc


def write_lock(conn: Connection) -> None:
    """Take the database's write lock now; call it first in a transaction that reads, then writes.

    SQLite gives a deferred transaction its write lock only at its first write, and refuses it
    (SQLITE_BUSY, no waiting) when another connection wrote since this one first read, so a
    check-then-write must start IMMEDIATE. PostgreSQL locks rows as they are read FOR UPDATE or
    written: nothing to do.
    """
    if conn.dialect.name == "sqlite":
        # pysqlite has not begun the transaction yet (it does so before the first write).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def display_url(url: str | URL) -> str:
    """The URL without password or driver, safe to show in messages and logs."""
    parsed = make_url(url) if isinstance(url, str) else url
    shown = URL.create(
        parsed.get_backend_name(),
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
    )
    return shown.render_as_string()


def _unreachable_message(engine: Engine, subject: str, exc: DBAPIError) -> str:
    where = display_url(engine.url)
    if engine.dialect.name == "sqlite":
        return f"cannot open the {subject} at {where}: {_reason(exc)}"
    return f"cannot reach the {subject} at {where}: {_reason(exc)}; is it running?"


def _error_message(engine: Engine, subject: str, exc: SQLAlchemyError) -> str:
    return f"{subject} error at {display_url(engine.url)}: {_reason(exc)}"


def _reason(exc: SQLAlchemyError) -> str:
    # The driver's own message, without SQLAlchemy's SQL and parameters (customer data).
    original = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__
