"""Stale content: published articles not updated for a long time that customers still get cited.

An article is stale when its last update is more than `editor.stale_days` days old and bot
answers cited it at least `editor.stale_min_citations` times in the conversations started in
the last `editor.stale_window_days` days. Most cited first: those are the ones to review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.helpcenter.articles import ArticleStatus, StoredArticle
from bot.reporting.window import window
from bot.settings import EditorConfig

if TYPE_CHECKING:
    from bot.db.sql_gaps import SqlGapStore


@dataclass(frozen=True, slots=True)
class StaleArticle:
    """A published article due for review."""

    article_id: str
    title: str
    updated_at: dt.datetime
    citations: int

    def as_json(self) -> dict[str, Any]:
        """The article in the `GET /api/editor/stale` shape."""
        return {
            "article_id": self.article_id,
            "title": self.title,
            "updated_at": self.updated_at.isoformat(),
            "citations": self.citations,
        }


def stale_articles(
    articles: Iterable[StoredArticle],
    citations: Mapping[str, int],
    config: EditorConfig,
    now: dt.datetime,
) -> list[StaleArticle]:
    """The stale ones of `articles`, given how often each was cited; most cited first."""
    cutoff = now - dt.timedelta(days=config.stale_days)
    found = [
        StaleArticle(a.id, a.content.title, a.updated_at, citations.get(a.id, 0))
        for a in articles
        if a.status is ArticleStatus.PUBLISHED and a.updated_at < cutoff
    ]
    return sorted(
        (a for a in found if a.citations >= config.stale_min_citations),
        key=lambda a: (-a.citations, a.updated_at, a.article_id),
    )


def find_stale(
    store: SqlGapStore,
    articles: Iterable[StoredArticle],
    config: EditorConfig,
    now: dt.datetime | None = None,
) -> list[StaleArticle]:
    """The stale articles, citations counted in the database (blocking: use a worker thread)."""
    since, until = window(config.stale_window_days, now)
    return stale_articles(articles, store.citation_counts(since, until), config, until)
