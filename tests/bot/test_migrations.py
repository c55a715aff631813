"""Schema migrations on SQLite and PostgreSQL, URL handling and database error messages."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.conversations.channels.email.types import Attachment, InboundEmail
from bot.conversations.models import Channel, Customer, Role
from bot.db.engine import (
    MIGRATIONS_DIR,
    create_engine_for,
    migrate,
    normalize_url,
)
from bot.db.schema import escalation_tables, metadata
from bot.db.sql_agents import SqlAgentStore
from bot.db.sql_articles import SqlArticleStore
from bot.db.sql_conversations import SqlConversationStore
from bot.db.sql_email import SqlEmailStore
from bot.errors import ConfigError, StorageError
from bot.helpcenter.articles import ArticleContent
from escalation.types import AgentRole
from tests.conftest import ROOT
from tests.contracts.conftest import fresh_database, require_postgres
from tests.waiting import WAIT_S


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The test PostgreSQL server's URL (skips, or fails under CI, when it is unreachable)."""
    return require_postgres()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a new, empty database of each backend."""
    if request.param == "sqlite":
        created = create_engine_for(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield created
        created.dispose()
        return
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        created = create_engine_for(url)
        yield created
        created.dispose()


def alembic_config() -> Config:
    """A programmatic alembic configuration for the bot's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrate_is_idempotent(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    tables = set(sa.inspect(engine).get_table_names())
    assert tables == {
        "alembic_version",
        "customers",
        "conversations",
        "turns",
        "feedback",
        "tickets",
        "ticket_notes",
        "agents",
        "agent_sessions",
        "webhook_deliveries",
        "articles",
        "article_versions",
        "gap_links",
        "ticket_links",
        "help_votes",
        "nps_answers",
        "announcements",
        "email_messages",
        "email_attachments",
    }


MIGRATE_SCRIPT = """
import sys
from bot.db.engine import create_engine_for, migrate
migrate(create_engine_for(sys.argv[1]))
"""


def test_processes_migrating_at_once_all_succeed(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-c", MIGRATE_SCRIPT, url]
    processes = [subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE) for _ in range(3)]
    errors = [process.communicate(timeout=WAIT_S)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * 3, errors
    assert current_revision(engine) == head_revision()


def test_migrated_schema_matches_the_metadata(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        # Alembic misreads SQLite's reflected '' defaults, so only PostgreSQL compares them.
        compare_defaults = conn.dialect.name == "postgresql"
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": compare_defaults}
        )
        assert compare_metadata(context, metadata) == []


def test_data_at_revision_0001_survives_migrate(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    assert current_revision(engine) == "0001"

    async def write() -> tuple[str, str]:
        store = SqlConversationStore(engine)
        conversation, token = await store.create_conversation(
            Customer(id="", email="old@example.com"), channel=Channel.EMAIL, locale="en"
        )
        await store.append(conversation.id, Role.CUSTOMER, "written at 0001")
        return conversation.id, token

    conversation_id, token = anyio.run(write)
    migrate(engine)
    assert current_revision(engine) == head_revision()

    async def read() -> list[str]:
        store = SqlConversationStore(engine)
        await store.check_token(conversation_id, token)
        return [turn.text for turn in await store.turns(conversation_id)]

    assert anyio.run(read) == ["written at 0001"]


def test_data_at_revision_0002_survives_the_articles_migration(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
    assert current_revision(engine) == "0002"

    async def write() -> tuple[str, str]:
        store = SqlConversationStore(engine)
        conversation, token = await store.create_conversation(
            Customer(id="", email="kept@example.com"), channel=Channel.WIDGET, locale="en"
        )
        await store.append(conversation.id, Role.CUSTOMER, "written at 0002")
        return conversation.id, token

    conversation_id, token = anyio.run(write)
    migrate(engine)
    assert current_revision(engine) == head_revision()

    async def use() -> list[str]:
        store = SqlConversationStore(engine)
        await store.check_token(conversation_id, token)
        articles = SqlArticleStore(engine)
        await articles.create("after-upgrade", ArticleContent("Title", "Body"), author="ana")
        await articles.publish("after-upgrade", 1, author="ana")
        assert [v.article_id for v in await articles.published_versions()] == ["after-upgrade"]
        return [turn.text for turn in await store.turns(conversation_id)]

    assert anyio.run(use) == ["written at 0002"]


def test_normalize_url(tmp_path: Path) -> None:
    psycopg_url = "postgresql+psycopg://u:p@db:5432/bot"
    assert normalize_url("postgresql://u:p@db:5432/bot") == psycopg_url
    assert normalize_url("postgres://u:p@db:5432/bot") == psycopg_url
    assert normalize_url(psycopg_url) == psycopg_url
    sqlite_url = f"sqlite:///{tmp_path / 'a' / 'b' / 'bot.db'}"
    assert normalize_url(sqlite_url) == sqlite_url
    assert (tmp_path / "a" / "b").is_dir()
    for bad in ("mysql://db/bot", "sqlite://", "sqlite:///:memory:", "not a url"):
        with pytest.raises(ConfigError):
            normalize_url(bad)


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        engine.dispose()


def test_unreachable_server_is_a_readable_storage_error() -> None:
    engine = create_engine_for("postgresql://bot:s3cret@127.0.0.1:1/supportbot")
    try:
        with pytest.raises(StorageError) as caught:
            migrate(engine)
    finally:
        engine.dispose()
    message = str(caught.value)
    assert message.startswith(
        "cannot reach the database at postgresql://bot@127.0.0.1:1/supportbot: "
    )
    assert message.endswith("; is it running?")
    assert "s3cret" not in message


def test_articles_at_revision_0003_survive_the_content_gaps_migration(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    assert current_revision(engine) == "0003"

    # Written as rows of revision 0003's shape: today's store writes columns added later.
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO articles (id, status, current_version, published_version, created_at,"
                " updated_at, updated_by, index_state)"
                " VALUES ('kept', 'published', 2, 2, :now, :now, 'bo', 'pending')"
            ),
            {"now": now},
        )
        for version, author, body in ((1, "ana", "Version one."), (2, "bo", "Version two.")):
            conn.execute(
                sa.text(
                    "INSERT INTO article_versions (article_id, version, title, body, tags, author,"
                    " created_at) VALUES ('kept', :version, 'Kept', :body, '[]', :author, :now)"
                ),
                {"version": version, "body": body, "author": author, "now": now},
            )
    migrate(engine)
    assert current_revision(engine) == head_revision()

    async def read() -> list[tuple[int, str, str]]:
        articles = SqlArticleStore(engine)
        assert (await articles.get("kept")).published_version == 2
        return [(v.version, v.author, v.content.body) for v in await articles.versions("kept")]

    assert anyio.run(read) == [(1, "ana", "Version one."), (2, "bo", "Version two.")]


def test_accounts_at_revision_0004_survive_the_takes_chats_migration(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    assert current_revision(engine) == "0004"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO agents (id, name, display_name, role, password_hash, created_at)"
                " VALUES ('a1', 'root', 'Root', 'admin', 'x', :now)"
            ),
            {"now": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)},
        )
    migrate(engine)
    assert current_revision(engine) == head_revision()

    agents = SqlAgentStore(engine, escalation_tables)
    root = anyio.run(agents.get, "a1")
    assert (root.name, root.role, root.takes_chats) == ("root", AgentRole.ADMIN, False)
    assert anyio.run(agents.online, 60) == []


def draft_at(engine: Engine, revision: str, article_id: str) -> Config:
    """Migrate to `revision` (0012 or later) and write a draft in that revision's shape; the
    alembic configuration, to migrate further."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO articles (id, status, current_version, published_version, created_at,"
                " updated_at, updated_by, index_state)"
                " VALUES (:id, 'draft', 1, NULL, :now, :now, 'ana', 'pending')"
            ),
            {"id": article_id, "now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO article_versions (article_id, version, title, body, tags, pages,"
                " questions, author, created_at)"
                " VALUES (:id, 1, 'Title', 'Body.', '[]', '[]', '[]', 'ana', :now)"
            ),
            {"id": article_id, "now": now},
        )
    return config


def test_versions_at_revision_0012_translate_nothing_after_0013(engine: Engine) -> None:
    config = draft_at(engine, "0012", "hola")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert anyio.run(SqlArticleStore(engine).get, "hola").content.translation_of == ""

    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("article_versions")}
    assert "translation_of" not in columns and "pages" in columns


def test_mail_stored_before_0014_keeps_its_listing_and_new_mail_keeps_attachments(
    engine: Engine,
) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0013")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO email_messages (message_id, direction, reference_ids, flags,"
                " attachments, created_at) VALUES ('<old@c>', 'in', '[]', '[]',"
                ' \'[{"filename": "a.pdf"}]\', :now)'
            ),
            {"now": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)},
        )
    migrate(engine)
    assert current_revision(engine) == head_revision()
    emails = SqlEmailStore(engine)
    assert emails.record("<old@c>").attachments == ({"filename": "a.pdf"},)
    new = InboundEmail(
        message_id="<new@c>",
        sender="ann@c.test",
        sender_name="",
        subject="",
        text="",
        full_text="",
        attachments=(Attachment("b.txt", "text/plain", 2, False, b"hi"),),
    )
    emails.add_inbound(new)

    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
    assert "email_attachments" not in sa.inspect(engine).get_table_names()
    assert emails.record("<new@c>").attachments == (
        {"filename": "b.txt", "content_type": "text/plain", "size": 2, "over_limit": False},
    )


def test_versions_before_0015_are_for_everyone_and_new_ones_keep_their_plans(
    engine: Engine,
) -> None:
    config = draft_at(engine, "0014", "old")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    store = SqlArticleStore(engine)
    assert anyio.run(store.get, "old").content.audience == ()
    plus = ArticleContent("Priority line", "Call us.", audience=("plus",))
    assert anyio.run(lambda: store.create("plus-line", plus, author="ana")).content == plus

    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("article_versions")}
    assert "audience" not in columns and "translation_of" in columns
