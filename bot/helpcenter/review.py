"""What editors review to improve the help center: content gaps, stale articles and the
"Was this helpful?" votes (issue 19: the editor routes only call it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from bot.helpcenter.articles import ArticleStatus
from bot.helpcenter.editor import EditorService
from bot.helpcenter.gaps import ContentGaps, GapGroup, GapLink
from bot.helpcenter.help_portal import HelpPortal
from bot.helpcenter.help_votes import VoteCount
from bot.helpcenter.stale import StaleArticle, find_stale
from bot.settings import EditorConfig

if TYPE_CHECKING:
    from bot.db.sql_gaps import SqlGapStore


class ContentReview:
    """Gaps, stale articles and votes; the blocking work (embedding questions, counting
    citations) runs in worker threads."""

    def __init__(
        self,
        gaps: ContentGaps,
        store: SqlGapStore,
        editor: EditorService,
        portal: HelpPortal,
        config: EditorConfig,
    ) -> None:
        self._gaps = gaps
        self._store = store
        self._editor = editor
        self._portal = portal
        self._config = config

    async def gaps(self, days: int) -> list[GapGroup]:
        """Questions answered badly, refused, disliked or escalated in the last `days` UTC
        days, grouped by meaning, most questions first."""
        return await anyio.to_thread.run_sync(self._gaps.groups, days)

    async def cover(self, key: str, article_id: str, editor: str, days: int) -> GapLink:
        """Mark the group `key` (listed in the last `days`) as covered by the article; later
        similar questions stay covered. `NotFound` for an unknown article or key."""
        article = await self._editor.get(article_id)
        return await anyio.to_thread.run_sync(
            lambda: self._gaps.cover(key, article, editor, days=days)
        )

    async def stale(self) -> list[StaleArticle]:
        """Published articles not updated for long that answers still cite often, most cited
        first."""
        published = await self._editor.list(status=ArticleStatus.PUBLISHED)
        return await anyio.to_thread.run_sync(find_stale, self._store, published, self._config)

    async def helpful(self, days: int) -> list[tuple[str, VoteCount]]:
        """The votes per article in the last `days` days, most "no" votes first."""
        counts = await self._portal.vote_counts(days)
        return sorted(counts.items(), key=lambda item: (-item[1].not_helpful, item[0]))
