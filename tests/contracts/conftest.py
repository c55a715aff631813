"""Backends for the contract suites: SQLite in tmp_path and a throwaway PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Engine, make_url

from bot.db.engine import create_engine_for, display_url, migrate
from bot.db.schema import escalation_tables, ticket_links

POSTGRES_URL_ENV = "SUPPORTBOT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Read at import (collection): the autouse fixture clears SUPPORTBOT_* before each test.
POSTGRES_SERVER_URL = os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL


@pytest.fixture
def anyio_backend() -> str:
    """The contract suites run on asyncio, like the app."""
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The test PostgreSQL server's URL (see `require_postgres`)."""
    return require_postgres()


def require_postgres() -> str:
    """The test PostgreSQL server's URL; unreachable: fails under CI=true, else skips."""
    try:
        with psycopg.connect(_libpq_url(POSTGRES_SERVER_URL, "postgres"), connect_timeout=5):
            pass
    except psycopg.Error as exc:
        where = display_url(POSTGRES_SERVER_URL)
        reason = f"PostgreSQL at {where} is unreachable ({exc}); set {POSTGRES_URL_ENV}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    return POSTGRES_SERVER_URL


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """URL of a new, empty database on the server, dropped afterwards."""
    name = f"supportbot_test_{secrets.token_hex(6)}"
    admin_url = _libpq_url(server_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database for this test session."""
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database URL of one backend (every contract suite runs on both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'supportbot.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """A migrated database of one backend with empty escalation tables."""
    created = create_engine_for(store_url)
    try:
        migrate(created)
        clear_escalation_tables(created)
        yield created
    finally:
        created.dispose()


def clear_escalation_tables(engine: Engine) -> None:
    """Empty the escalation tables (the PostgreSQL database lives for the whole session)."""
    t = escalation_tables
    children_first = [
        t.webhook_deliveries,
        t.agent_sessions,
        t.agents,
        t.ticket_notes,
        ticket_links,
        t.tickets,
    ]
    with engine.begin() as conn:
        for table in children_first:
            conn.execute(sa.delete(table))


def _libpq_url(url: str, database: str) -> str:
    # psycopg reads plain postgresql:// URLs, not SQLAlchemy's postgresql+psycopg://.
    parsed = make_url(url)
    plain = parsed.set(drivername="postgresql", database=database)
    return plain.render_as_string(hide_password=False)
