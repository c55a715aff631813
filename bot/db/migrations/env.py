"""Alembic environment: runs on the connection that `sql_database.migrate()` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.db.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "run the migrations with bot.db.engine.migrate(engine), not the alembic CLI"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables in later revisions.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
