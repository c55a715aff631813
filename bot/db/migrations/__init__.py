"""Alembic migrations of the bot's SQL schema; run them with `sql_database.migrate()`."""
