"""Migration 0002 (escalation tables) on SQLite and PostgreSQL: data written at 0001 survives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.conversations.models import Channel, Customer, Role
from bot.db.engine import MIGRATIONS_DIR, create_engine_for, migrate
from bot.db.escalation_tables import define_tables
from bot.db.schema import escalation_tables
from bot.db.sql_agents import SqlAgentStore
from bot.db.sql_conversations import SqlConversationStore
from bot.db.sql_queue import SqlHandoffQueue
from bot.db.sql_webhooks import SqlWebhookLog
from escalation.errors import EscalationError
from escalation.types import AgentRole, Priority, TicketStatus
from tests.contracts.conftest import fresh_database

ESCALATION_TABLES = {"tickets", "ticket_notes", "agents", "agent_sessions", "webhook_deliveries"}
BOT_TABLES = {"alembic_version", "customers", "conversations", "turns", "feedback"}
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


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


def run_alembic(engine: Engine, action: str, revision: str) -> None:
    """`alembic upgrade|downgrade revision` on the engine's database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def revision_of(engine: Engine) -> str | None:
    """The revision recorded in the database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_0001_data_survives_0002_and_back(engine: Engine) -> None:
    run_alembic(engine, "upgrade", "0001")

    async def write() -> tuple[str, str]:
        store = SqlConversationStore(engine)
        conversation, token = await store.create_conversation(
            Customer(id="", email="old@example.com"), channel=Channel.WIDGET, locale="en"
        )
        await store.append(conversation.id, Role.CUSTOMER, "written at 0001")
        return conversation.id, token

    conversation_id, token = anyio.run(write)
    migrate(engine)
    assert revision_of(engine) == HEAD
    assert set(sa.inspect(engine).get_table_names()) >= BOT_TABLES | ESCALATION_TABLES

    async def use_both() -> list[str]:
        conversations = SqlConversationStore(engine)
        await conversations.check_token(conversation_id, token)
        queue = SqlHandoffQueue(engine, escalation_tables)
        agents = SqlAgentStore(engine, escalation_tables)
        agent = await agents.add("ana", "correct horse", AgentRole.AGENT)
        ticket = await queue.enqueue(
            conversation_id,
            priority=Priority.HIGH,
            reasons=["explicit_request"],
            summary="wants a person",
            context={"transcript": ["written at 0001"]},
        )
        assert (await queue.claim(ticket.id, agent.id)).status is TicketStatus.CLAIMED
        await queue.add_note(ticket.id, agent.id, "note")
        await SqlWebhookLog(engine, escalation_tables).record("ticket.created", "https://h", {})
        return [turn.text for turn in await conversations.turns(conversation_id)]

    assert anyio.run(use_both) == ["written at 0001"]

    run_alembic(engine, "downgrade", "0001")
    assert set(sa.inspect(engine).get_table_names()) == BOT_TABLES

    async def read() -> list[str]:
        store = SqlConversationStore(engine)
        await store.check_token(conversation_id, token)
        return [turn.text for turn in await store.turns(conversation_id)]

    assert anyio.run(read) == ["written at 0001"]
    migrate(engine)
    assert revision_of(engine) == HEAD


def test_one_active_ticket_per_conversation_is_a_database_rule(engine: Engine) -> None:
    migrate(engine)
    indexes = {index["name"]: index for index in sa.inspect(engine).get_indexes("tickets")}
    assert indexes["ix_tickets_active_conversation"]["unique"]
    tickets = escalation_tables.tickets
    row = {
        "conversation_id": "conv-1",
        "priority": "normal",
        "priority_rank": 2,
        "reasons": [],
        "summary": "",
        "context": {},
        "customer_email": "",
        "offline": False,
        "created_at": sa.func.now(),
        "updated_at": sa.func.now(),
    }
    with engine.begin() as conn:
        conn.execute(tickets.insert().values(id="t1", status="resolved", **row))
        conn.execute(tickets.insert().values(id="t2", status="returned", **row))
        conn.execute(tickets.insert().values(id="t3", status="open", **row))
    # Bypassing the code's check, the index still refuses a second active ticket.
    for status in ("open", "claimed"):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(tickets.insert().values(id="t4", status=status, **row))


def test_define_tables_works_on_its_own_metadata(tmp_path: Path) -> None:
    # A bare MetaData and create_all are enough for the escalation stores.
    metadata = sa.MetaData()
    tables = define_tables(metadata)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'standalone.db'}")
    try:
        metadata.create_all(engine)

        async def use() -> TicketStatus:
            queue = SqlHandoffQueue(engine, tables)
            ticket = await queue.enqueue(
                "c", priority=Priority.NORMAL, reasons=[], summary="", context={}
            )
            return (await queue.claim(ticket.id, "a")).status

        assert anyio.run(use) is TicketStatus.CLAIMED
    finally:
        engine.dispose()
    empty = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(EscalationError, match=r"^escalation database error at .*no such table"):
            anyio.run(SqlHandoffQueue(empty, tables).list)
    finally:
        empty.dispose()
