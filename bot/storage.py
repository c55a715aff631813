"""Opens the conversation database named by a URL (the one entry for the app and the CLI)."""

from __future__ import annotations

from bot.backends.sql_conversations import SqlConversationStore
from bot.backends.sql_database import create_engine_for, migrate


def open_store(url: str, pool_size: int = 10) -> SqlConversationStore:
    """A store on `url` (SQLite file or PostgreSQL) with its schema migrated to the latest."""
    engine = create_engine_for(url, pool_size)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlConversationStore(engine)
