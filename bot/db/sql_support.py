"""Shared SQL types and helpers of every store: UTC datetimes, transactions with readable
errors, SQLite's write lock, and URLs safe to show (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from escalation.errors import EscalationError


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
