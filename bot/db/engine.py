"""SQLAlchemy engines for SQLite and PostgreSQL, schema migration and error translation."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from bot.db import sql_support as tables
from bot.db.sql_support import display_url as display_url  # shown in messages
from bot.errors import ConfigError, StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant works: it only has to be the same in every process that migrates.
_MIGRATION_LOCK_ID = 0x5B07DB
_migrate_lock = threading.Lock()


class ConstraintViolation(StorageError):
    """A write broke a unique or foreign-key constraint (e.g. a concurrent duplicate)."""


def normalize_url(url: str) -> str:
    """The URL with the psycopg 3 driver for PostgreSQL; creates a SQLite file's folder."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"invalid database URL {url!r}: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed.render_as_string(hide_password=False)
    if backend != "sqlite":
        raise ConfigError(
            f"unsupported database {display_url(parsed)}: use sqlite:///path or postgresql://"
        )
    if parsed.database in (None, "", ":memory:"):
        # Each pooled connection would get its own empty database.
        raise ConfigError("an in-memory SQLite database is not supported: give a file path")
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed.render_as_string(hide_password=False)


def create_engine_for(url: str, pool_size: int = 10) -> Engine:
    """An engine for `url` (normalized first); SQLite gets WAL, foreign keys, busy timeout."""
    normalized = normalize_url(url)
    if make_url(normalized).get_backend_name() == "sqlite":
        engine = sa.create_engine(
            normalized,
            pool_size=pool_size,
            connect_args={"check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(normalized, pool_size=pool_size, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@contextlib.contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction, committed on success; database errors → `StorageError`.

    A broken constraint raises `ConstraintViolation` so that callers can resolve races.
    """
    with tables.transaction(
        engine, subject="database", failure=StorageError, violation=ConstraintViolation
    ) as connection:
        yield connection


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (idempotent; safe from several processes)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic keeps its context in module globals: one migration per process at a time.
    with _migrate_lock, transaction(engine) as connection:
        _lock_database(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _lock_database(connection: Connection) -> None:
    # Processes starting together (replicas, workers) would otherwise race to create the
    # same tables; with the lock held, the later ones find the schema already at head.
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_ID)))
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
