"""Content-gap queries and the `gap_links` table (SQLite or PostgreSQL).

Synchronous, like the analytics it shares its queries with: call it from a worker thread.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.engine import ConstraintViolation, transaction
from bot.db.schema import gap_links
from bot.db.sql_window import read_window
from bot.helpcenter.gaps import FlaggedQuestion, GapLink, flag_questions
from bot.reporting.resolution import Rules
from bot.reporting.window import cited_articles
from retrieval.interfaces import Embedder


class SqlGapStore:
    """Reads the questions the bot handled badly; stores which article covers a gap."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def questions(
        self,
        since: dt.datetime,
        until: dt.datetime,
        rules: Rules,
        embedder: Embedder | None = None,
    ) -> list[FlaggedQuestion]:
        """The gap questions of the conversations started in [since, until]."""
        return flag_questions(read_window(self._engine, since, until), rules, until, embedder)

    def citation_counts(self, since: dt.datetime, until: dt.datetime) -> Counter[str]:
        """How many bot answers cited each article, in conversations started in the window."""
        counts: Counter[str] = Counter()
        for row in read_window(self._engine, since, until).turns:
            if row.role == "bot":
                counts.update(cited_articles(row.citations).keys())
        return counts

    def links(self) -> list[GapLink]:
        """Every "covered by" link, oldest first."""
        with transaction(self._engine) as conn:
            rows = conn.execute(sa.select(gap_links).order_by(gap_links.c.id)).all()
        return [
            GapLink(
                key=row.key,
                label=row.label,
                centroid=tuple(float(x) for x in row.centroid),
                article_id=row.article_id,
                created_by=row.created_by,
                created_at=row.created_at,
            )
            for row in rows
        ]

    def cover(
        self,
        key: str,
        label: str,
        centroid: Sequence[float],
        article_id: str,
        created_by: str,
    ) -> GapLink:
        """Link the group `key` to the article (replacing an earlier link of that key)."""
        link = GapLink(
            key=key,
            label=label,
            centroid=tuple(centroid),
            article_id=article_id,
            created_by=created_by,
            created_at=dt.datetime.now(dt.UTC),
        )
        values = {
            "label": link.label,
            "centroid": list(link.centroid),
            "article_id": link.article_id,
            "created_by": link.created_by,
            "created_at": link.created_at,
        }
        try:
            with transaction(self._engine) as conn:
                updated = conn.execute(
                    gap_links.update().where(gap_links.c.key == key).values(**values)
                ).rowcount
                if not updated:
                    conn.execute(gap_links.insert().values(key=key, **values))
        except ConstraintViolation:
            # Another editor covered the same key at the same moment: the later one wins.
            with transaction(self._engine) as conn:
                conn.execute(gap_links.update().where(gap_links.c.key == key).values(**values))
        return link
