"""The rows of a reporting window, read in one transaction (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.schema import conversations, escalation_tables, feedback, nps_answers, turns
from bot.reporting.window import WindowRows


class SqlWindowSource:
    """`WindowSource` on SQLite or PostgreSQL. Synchronous: call it from a worker thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def rows(self, since: dt.datetime, until: dt.datetime) -> WindowRows:
        """Conversations started in [since, until] with their turns, feedback and tickets."""
        return read_window(self._engine, since, until)


def read_window(engine: Engine, since: dt.datetime, until: dt.datetime) -> WindowRows:
    """Conversations started in [since, until] with their turns, feedback and tickets, read in
    one transaction."""
    tickets = escalation_tables.tickets
    in_window = sa.and_(conversations.c.created_at >= since, conversations.c.created_at <= until)
    chosen = sa.select(conversations.c.id).where(in_window)
    with engine.connect() as conn, conn.begin():
        return WindowRows(
            conversations=conn.execute(
                sa.select(
                    conversations.c.id,
                    conversations.c.customer_id,
                    conversations.c.channel,
                    conversations.c.created_at,
                    conversations.c.csat,
                ).where(in_window)
            ).all(),
            turns=conn.execute(
                sa.select(
                    turns.c.id,
                    turns.c.conversation_id,
                    turns.c.seq,
                    turns.c.role,
                    turns.c.text,
                    turns.c.kind,
                    turns.c.confidence,
                    turns.c.citations,
                    turns.c.meta,
                    turns.c.created_at,
                )
                .where(turns.c.conversation_id.in_(chosen))
                .order_by(turns.c.conversation_id, turns.c.seq)
            ).all(),
            feedback=conn.execute(
                sa.select(feedback.c.conversation_id, feedback.c.turn_id, feedback.c.rating).where(
                    feedback.c.conversation_id.in_(chosen)
                )
            ).all(),
            tickets=conn.execute(
                sa.select(
                    tickets.c.conversation_id,
                    tickets.c.created_at,
                    tickets.c.reasons,
                    tickets.c.status,
                    tickets.c.resolved_at,
                ).where(tickets.c.conversation_id.in_(chosen))
            ).all(),
            nps=conn.execute(
                sa.select(nps_answers.c.score, nps_answers.c.answered_at, conversations.c.channel)
                .join(conversations, conversations.c.id == nps_answers.c.conversation_id)
                .where(nps_answers.c.answered_at >= since, nps_answers.c.answered_at <= until)
            ).all(),
        )
