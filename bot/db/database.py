"""Opens the SQL database named by a URL (the one entry for the app and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.db.engine import create_engine_for, migrate
from bot.db.schema import escalation_tables
from bot.db.sql_agents import SqlAgentStore
from bot.db.sql_announcements import SqlAnnouncementStore
from bot.db.sql_articles import SqlArticleStore
from bot.db.sql_conversations import SqlConversationStore
from bot.db.sql_email import SqlEmailStore
from bot.db.sql_gaps import SqlGapStore
from bot.db.sql_lifecycle import SqlTicketLifecycle
from bot.db.sql_queue import SqlHandoffQueue
from bot.db.sql_surveys import SqlSurveyStore
from bot.db.sql_votes import SqlVoteStore
from bot.db.sql_webhooks import SqlWebhookLog
from bot.db.sql_window import SqlWindowSource


@dataclass(frozen=True, slots=True)
class Database:
    """Every store on one migrated database (and its engine, for reports that read across)."""

    engine: Engine
    conversations: SqlConversationStore
    queue: SqlHandoffQueue
    lifecycle: SqlTicketLifecycle
    agents: SqlAgentStore
    webhooks: SqlWebhookLog
    articles: SqlArticleStore
    gaps: SqlGapStore
    votes: SqlVoteStore
    surveys: SqlSurveyStore
    announcements: SqlAnnouncementStore
    emails: SqlEmailStore
    windows: SqlWindowSource


def open_store(url: str, pool_size: int = 10) -> SqlConversationStore:
    """The conversation store on `url` (SQLite file or PostgreSQL), schema migrated."""
    return open_database(url, pool_size).conversations


def open_database(url: str, pool_size: int = 10) -> Database:
    """All stores on `url` (SQLite file or PostgreSQL), schema migrated to the latest."""
    engine = create_engine_for(url, pool_size)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    queue = SqlHandoffQueue(engine, escalation_tables)
    return Database(
        engine=engine,
        conversations=SqlConversationStore(engine),
        queue=queue,
        lifecycle=SqlTicketLifecycle(engine, queue),
        agents=SqlAgentStore(engine, escalation_tables),
        webhooks=SqlWebhookLog(engine, escalation_tables),
        articles=SqlArticleStore(engine),
        gaps=SqlGapStore(engine),
        votes=SqlVoteStore(engine),
        surveys=SqlSurveyStore(engine),
        announcements=SqlAnnouncementStore(engine),
        emails=SqlEmailStore(engine),
        windows=SqlWindowSource(engine),
    )
