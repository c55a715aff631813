"""SQL tables of the bot (SQLAlchemy Core), portable across SQLite and PostgreSQL.

`metadata` is the target of the alembic migrations in `bot/db/migrations`; a test checks that
the migrated schema matches it. Later tables (tickets, agents, articles) join this metadata
with a new migration each.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.db.escalation_tables import EscalationTables, define_tables
from bot.db.sql_support import UtcDateTime

# Named constraints keep migrations deterministic and let SQLite batch mode alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("external_id", sa.String(255), nullable=False, server_default="", index=True),
    sa.Column("name", sa.String(255), nullable=False, server_default=""),
    # Stored lower-cased so the plain index serves case-insensitive lookups.
    sa.Column("email", sa.String(320), nullable=False, server_default="", index=True),
    sa.Column("locale", sa.String(35), nullable=False, server_default=""),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "customer_id",
        sa.String(64),
        sa.ForeignKey("customers.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("mode", sa.String(32), nullable=False),
    sa.Column("locale", sa.String(35), nullable=False, server_default=""),
    sa.Column("page_url", sa.Text, nullable=False, server_default=""),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Column("csat", sa.Integer, nullable=True),
    sa.Column("csat_comment", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # The signed identity and whether it checked out (migration 0011, bot/customers/identity.py).
    sa.Column("identity", sa.JSON, nullable=True),
)

turns = sa.Table(
    "turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("citations", sa.JSON, nullable=False),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("kind", sa.String(32), nullable=False, server_default=""),
    sa.Column("meta", sa.JSON, nullable=False),
    sa.Column("client_id", sa.String(128), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("conversation_id", "seq"),
    sa.UniqueConstraint("conversation_id", "client_id"),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("turn_id", sa.Integer, sa.ForeignKey("turns.id"), primary_key=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# The escalation package owns its tables' shape; defining them on this metadata keeps one
# schema for alembic (migration 0002 creates them).
escalation_tables: EscalationTables = define_tables(metadata)

# Help-center articles edited in the app (migration 0003). `current_version` is the optimistic
# lock: a save is one conditional UPDATE on it, so two editors never overwrite each other.
articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("current_version", sa.Integer, nullable=False),
    sa.Column("published_version", sa.Integer, nullable=True),
    sa.Column("source", sa.String(1024), nullable=False, server_default="app"),
    sa.Column("source_hash", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(255), nullable=False),
    sa.Column("index_state", sa.String(16), nullable=False),
    sa.Column("index_error", sa.Text, nullable=False, server_default=""),
)

article_versions = sa.Table(
    "article_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "article_id", sa.String(128), sa.ForeignKey("articles.id"), nullable=False, index=True
    ),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("category", sa.String(255), nullable=False, server_default=""),
    sa.Column("locale", sa.String(35), nullable=False, server_default="en"),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("url", sa.Text, nullable=False, server_default=""),
    # Page-aware help (migration 0012): URL path globs and suggested questions.
    sa.Column("pages", sa.JSON, nullable=False),
    sa.Column("questions", sa.JSON, nullable=False),
    # Translations (migration 0013): the id of the original article, "" when none.
    sa.Column("translation_of", sa.String(128), nullable=False, server_default=""),
    # Plan-aware articles (migration 0015): the plans it is for, [] = everyone.
    sa.Column("audience", sa.JSON, nullable=False),
    sa.Column("author", sa.String(255), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("article_id", "version"),
)

# Content gaps marked "covered by article X" (migration 0004). `centroid` is the group's unit
# mean embedding (JSON list of floats): later groups match the link by cosine, so the link
# survives new questions joining the group (issue #6).
gap_links = sa.Table(
    "gap_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(64), nullable=False, unique=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("centroid", sa.JSON, nullable=False),
    sa.Column("article_id", sa.String(255), nullable=False, index=True),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Earlier conversations of a ticket's customer (migration 0006): when an agent merges a ticket
# possibly of the same customer into this one, its conversation is listed here with the summary
# it had, and follows this ticket's status (issue 17, item 5). Emails are not verified, so only
# an agent's merge links conversations.
ticket_links = sa.Table(
    "ticket_links",
    metadata,
    sa.Column("ticket_id", sa.String(64), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("linked_at", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("ticket_id", "conversation_id"),
)

# "Was this helpful?" on help-center pages (migration 0007). `visitor` is a hash of the
# visitor's cookie, never the cookie itself: one vote per article and visitor, a later vote
# replaces the earlier one (issue 20).
help_votes = sa.Table(
    "help_votes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("article_id", sa.String(128), nullable=False),
    sa.Column("visitor", sa.String(64), nullable=False),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("voted_at", UtcDateTime, nullable=False, index=True),
    sa.UniqueConstraint("article_id", "visitor"),
)

# NPS survey answers (migration 0008): 0-10 and an optional comment, one row per answer. A
# customer answers at most once per `analytics.nps_period_days`; the store checks that under a
# write lock (SQLite) or a lock on the customer's row (PostgreSQL) (issue 21).
nps_answers = sa.Table(
    "nps_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "customer_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=False, index=True
    ),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("answered_at", UtcDateTime, nullable=False, index=True),
)

announcements = sa.Table(
    "announcements",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("locale", sa.String(35), nullable=False, server_default=""),
    sa.Column("page_pattern", sa.String(500), nullable=False, server_default=""),
    sa.Column("plan", sa.String(64), nullable=False, server_default=""),
    sa.Column("starts_at", UtcDateTime, nullable=False, index=True),
    sa.Column("ends_at", UtcDateTime, nullable=True, index=True),
    # The status page's incident id: its updates change this one row.
    sa.Column("source_id", sa.String(200), nullable=True, unique=True),
    sa.Column("status", sa.String(32), nullable=False, server_default=""),
    sa.Column("created_by", sa.String(255), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# Mail of the email channel (migration 0009, issue 20), both directions. `message_id` is unique:
# a message delivered twice is stored, and answered, once. An inbound row is stored before the
# message is marked seen on the server; `claimed_at` (a worker took it) and `handled_at` (it is
# answered, or needs no answer) let a crash between the two re-process it without a second
# reply. An outbound row names the turn it sent (`turn_id`, unique: one email per turn).
email_messages = sa.Table(
    "email_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(512), nullable=False, unique=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("conversations.id"),
        nullable=True,
        index=True,
    ),
    sa.Column("turn_id", sa.Integer, sa.ForeignKey("turns.id"), nullable=True, unique=True),
    sa.Column("direction", sa.String(3), nullable=False),
    sa.Column("sender", sa.String(320), nullable=False, server_default=""),
    sa.Column("recipient", sa.String(320), nullable=False, server_default=""),
    sa.Column("subject", sa.Text, nullable=False, server_default=""),
    sa.Column("in_reply_to", sa.String(512), nullable=False, server_default="", index=True),
    sa.Column("reference_ids", sa.JSON, nullable=False),
    sa.Column("flags", sa.JSON, nullable=False),
    sa.Column("attachments", sa.JSON, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("size", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claimed_at", UtcDateTime, nullable=True),
    sa.Column("handled_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
)

# Attachments of received mail (issue 20): `content` is NULL when over the size limit.
email_attachments = sa.Table(
    "email_attachments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "email_id",
        sa.Integer,
        sa.ForeignKey("email_messages.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=True),
    sa.UniqueConstraint("email_id", "position"),
)
