"""The `nps_answers` table: NPS survey answers (SQLite or PostgreSQL). Synchronous: call it
from a worker thread."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.engine import transaction
from bot.db.schema import conversations, customers, nps_answers
from bot.db.sql_support import write_lock
from bot.errors import Conflict, NotFound
from bot.reporting.nps import NpsAnswer


class SqlSurveyStore:
    """NPS answers; a customer answers at most once per period."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def answer_nps(
        self,
        conversation_id: str,
        score: int,
        comment: str,
        period: dt.timedelta,
        now: dt.datetime | None = None,
    ) -> NpsAnswer:
        """Store the answer of the conversation's customer; `Conflict` if they answered within
        `period` before `now`, `NotFound` for an unknown conversation."""
        now = now or dt.datetime.now(dt.UTC)
        with transaction(self._engine) as conn:
            write_lock(conn)  # SQLite: the check and the insert under one write lock
            customer_id = _customer_of(conn, conversation_id)
            # PostgreSQL: two answers of one customer sent at once wait for each other here.
            conn.execute(
                sa.select(customers.c.id).where(customers.c.id == customer_id).with_for_update()
            )
            last = _last_answer(conn, customer_id, now - period)
            if last is not None:
                raise Conflict(
                    f"this survey was already answered on {last.date().isoformat()}; it is "
                    f"asked at most once every {period.days} days",
                    code="nps_already_answered",
                )
            answer = NpsAnswer(conversation_id, customer_id, score, comment, now)
            conn.execute(
                nps_answers.insert().values(
                    conversation_id=conversation_id,
                    customer_id=customer_id,
                    score=score,
                    comment=comment,
                    answered_at=now,
                )
            )
        return answer

    def nps_due(
        self, conversation_id: str, period: dt.timedelta, now: dt.datetime | None = None
    ) -> bool:
        """Whether the conversation's customer may be asked (no answer within `period`)."""
        now = now or dt.datetime.now(dt.UTC)
        with transaction(self._engine) as conn:
            customer_id = _customer_of(conn, conversation_id)
            return _last_answer(conn, customer_id, now - period) is None

    def nps_answers(self, since: dt.datetime, until: dt.datetime) -> list[NpsAnswer]:
        """The answers given in [since, until], oldest first."""
        statement = (
            sa.select(nps_answers)
            .where(nps_answers.c.answered_at >= since, nps_answers.c.answered_at <= until)
            .order_by(nps_answers.c.answered_at, nps_answers.c.id)
        )
        with transaction(self._engine) as conn:
            rows = conn.execute(statement).all()
        return [
            NpsAnswer(r.conversation_id, r.customer_id, r.score, r.comment, r.answered_at)
            for r in rows
        ]


def _customer_of(conn: sa.Connection, conversation_id: str) -> str:
    customer_id: str | None = conn.execute(
        sa.select(conversations.c.customer_id).where(conversations.c.id == conversation_id)
    ).scalar_one_or_none()
    if customer_id is None:
        raise NotFound(f"no conversation {conversation_id!r}")
    return customer_id


def _last_answer(conn: sa.Connection, customer_id: str, after: dt.datetime) -> dt.datetime | None:
    last: dt.datetime | None = conn.execute(
        sa.select(sa.func.max(nps_answers.c.answered_at)).where(
            nps_answers.c.customer_id == customer_id, nps_answers.c.answered_at > after
        )
    ).scalar_one_or_none()
    return last
