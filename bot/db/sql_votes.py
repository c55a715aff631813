"""The `help_votes` table: "Was this helpful?" answers on help-center pages (SQLite or
PostgreSQL). Synchronous: call it from a worker thread."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.engine import ConstraintViolation, transaction
from bot.db.schema import help_votes
from bot.helpcenter.help_votes import VoteCount


class SqlVoteStore:
    """One vote per article and visitor; a later vote of the same visitor replaces it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def vote(self, article_id: str, visitor: str, helpful: bool) -> None:
        """Record (or change) the visitor's answer for the article."""
        values = {"helpful": helpful, "voted_at": dt.datetime.now(dt.UTC)}
        mine = (help_votes.c.article_id == article_id) & (help_votes.c.visitor == visitor)
        try:
            with transaction(self._engine) as conn:
                if not conn.execute(help_votes.update().where(mine).values(**values)).rowcount:
                    conn.execute(
                        help_votes.insert().values(article_id=article_id, visitor=visitor, **values)
                    )
        except ConstraintViolation:
            # The same visitor's two tabs voted at once: the later one wins.
            with transaction(self._engine) as conn:
                conn.execute(help_votes.update().where(mine).values(**values))

    def counts(self, since: dt.datetime, until: dt.datetime) -> dict[str, VoteCount]:
        """Yes and no votes per article, of the votes last cast in [since, until]."""
        yes = sa.func.sum(sa.case((help_votes.c.helpful, 1), else_=0))
        statement = (
            sa.select(help_votes.c.article_id, yes.label("yes"), sa.func.count().label("n"))
            .where(help_votes.c.voted_at >= since, help_votes.c.voted_at <= until)
            .group_by(help_votes.c.article_id)
        )
        with transaction(self._engine) as conn:
            rows = conn.execute(statement).all()
        return {row.article_id: VoteCount(int(row.yes), int(row.n - row.yes)) for row in rows}
