"""The editor's "try it": a draft answered as a customer would see it, beside today's answer.

The draft is indexed in a preview knowledge base (its own collection and keyword index, next
to the live ones) only while a question is answered against it; the live indexes are never
touched. Answers come from `Responder.preview`: nothing is stored, nobody is escalated to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from bot.editor import EditorService, retrieval_article
from bot.interfaces import ArticleSearch
from bot.responder import Draft, Responder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.types import Article, SearchResult


class DraftOverlay:
    """The live articles with some of them replaced by their drafts from the preview index."""

    def __init__(
        self,
        live: ArticleSearch,
        preview: ArticleSearch,
        drafted: frozenset[str],
        preview_size: int,
    ) -> None:
        self._live = live
        self.preview = preview  # holds a draft only while a question is answered against it
        self._drafted = drafted
        self.preview_size = preview_size

    def search(self, query: str, k: int = 5, *, locale: str | None = None) -> list[SearchResult]:
        """Live results without the drafted articles, merged by relevance with their drafts."""
        live = self._live.search(query, k + len(self._drafted), locale=locale)
        # Other editors' drafts may share the preview index: ask for enough to see all of it.
        drafts = self.preview.search(query, max(k, self.preview_size), locale=locale)
        merged = [r for r in live if r.article_id not in self._drafted] + [
            r for r in drafts if r.article_id in self._drafted
        ]
        return sorted(merged, key=lambda r: r.relevance, reverse=True)[:k]

    def locales(self) -> frozenset[str]:
        """Locales of the live articles and of the drafts."""
        return self._live.locales() | self.preview.locales()


class TryIt:
    """Answers a question against an article's current draft and against the live articles."""

    def __init__(
        self,
        *,
        responder: Responder,
        editor: EditorService,
        live: ArticleSearch,
        preview: KnowledgeBase,
    ) -> None:
        self._responder = responder
        self._editor = editor
        self._live = live
        self.preview = preview  # holds a draft only while a question is answered against it
        self._users: Counter[str] = Counter()
        self._lock = anyio.Lock()

    async def ask(self, article_id: str, question: str) -> tuple[Draft, Draft]:
        """(the answer with the draft, the answer customers get today) to `question`."""
        question = self._responder.validate(question)
        article = await self._editor.get(article_id)
        current = await self._editor.version(article_id, article.current_version)
        locale = article.content.locale
        async with self._indexed(retrieval_article(current, article.source)):
            overlay = DraftOverlay(
                self._live, self.preview, frozenset({article_id}), len(self._users)
            )
            draft = await self._responder.preview(question, locale=locale, kb=overlay)
        live = await self._responder.preview(question, locale=locale)
        return draft, live

    @asynccontextmanager
    async def _indexed(self, article: Article) -> AsyncIterator[None]:
        """`article` in the preview index while the block runs (shared by concurrent tries)."""
        async with self._lock:
            self._users[article.id] += 1
            try:
                await anyio.to_thread.run_sync(self.preview.index_articles, [article])
            except BaseException:
                await self._release(article.id)
                raise
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled request still cleans up
                async with self._lock:
                    await self._release(article.id)

    async def _release(self, article_id: str) -> None:
        self._users[article_id] -= 1
        if self._users[article_id] <= 0:
            del self._users[article_id]
            await anyio.to_thread.run_sync(self.preview.remove_articles, [article_id])

    def close(self) -> None:
        """Close the preview indexes."""
        self.preview.close()
