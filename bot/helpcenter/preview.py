"""The editor's "try it": a draft answered as a customer would see it, beside today's answer.

Each try indexes the draft under its own preview id (`<article id>~<random>`) in a preview
knowledge base (its own collection and keyword index, next to the live ones) and removes it
afterwards, so concurrent tries on any worker never remove each other's drafts; the live
indexes are never touched. Answers come from `Responder.preview`: nothing is stored, nobody
is escalated to.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import anyio

from bot.answering.interfaces import ArticleSearch
from bot.answering.responder import Draft, Responder
from bot.helpcenter.editor import EditorService, retrieval_article
from retrieval.knowledge_base import KnowledgeBase
from retrieval.types import Article, Chunk, SearchResult

# Other tries' drafts share the preview index; fetch this many more so they cannot crowd
# ours out.
PREVIEW_SLACK = 20


class DraftOverlay:
    """The live articles with one of them replaced by its draft from the preview index."""

    def __init__(
        self, live: ArticleSearch, preview: ArticleSearch, article_id: str, preview_id: str
    ) -> None:
        self._live = live
        self._preview = preview
        self._article_id = article_id
        self._preview_id = preview_id

    def search(
        self, query: str, k: int = 5, *, locale: str | None = None, plan: str | None = None
    ) -> list[SearchResult]:
        """Live results without the drafted article, merged by relevance with its draft."""
        live = self._live.search(query, k + 1, locale=locale, plan=plan)
        drafts = self._preview.search(query, k + PREVIEW_SLACK, locale=locale, plan=plan)
        merged = [r for r in live if r.article_id != self._article_id] + [
            _renamed(r, self._article_id) for r in drafts if r.article_id == self._preview_id
        ]
        return sorted(merged, key=lambda r: r.relevance, reverse=True)[:k]

    def locales(self) -> frozenset[str]:
        """Locales of the live articles and of the drafts."""
        return self._live.locales() | self._preview.locales()

    def chunks_of(self, article_id: str, start: int, count: int) -> list[Chunk]:
        """The draft's chunks for the drafted article, the live one's for the others."""
        if article_id != self._article_id:
            return self._live.chunks_of(article_id, start, count)
        found = self._preview.chunks_of(self._preview_id, start, count)
        return [_renamed_chunk(c, article_id) for c in found]


def _renamed(result: SearchResult, article_id: str) -> SearchResult:
    """A preview hit under the real article id (citations link to the article itself)."""
    chunks = tuple(
        replace(scored, chunk=_renamed_chunk(scored.chunk, article_id)) for scored in result.chunks
    )
    return replace(result, article_id=article_id, chunks=chunks)


def _renamed_chunk(chunk: Chunk, article_id: str) -> Chunk:
    """A preview chunk under the real article id."""
    return replace(chunk, id=f"{article_id}#{chunk.id.rpartition('#')[2]}", article_id=article_id)


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
        self.preview = preview  # holds drafts only while questions are answered against them

    async def ask(self, article_id: str, question: str) -> tuple[Draft, Draft]:
        """(the answer with the draft, the answer customers get today) to `question`."""
        question = self._responder.validate(question)
        article = await self._editor.get(article_id)
        current = await self._editor.version(article_id, article.current_version)
        locale = article.content.locale
        draft_copy = replace(
            retrieval_article(current, article.source),
            id=f"{article_id}~{secrets.token_hex(6)}",
        )
        async with self._indexed(draft_copy):
            overlay = DraftOverlay(self._live, self.preview, article_id, draft_copy.id)
            draft = await self._responder.preview(question, locale=locale, kb=overlay)
        live = await self._responder.preview(question, locale=locale)
        return draft, live

    @asynccontextmanager
    async def _indexed(self, article: Article) -> AsyncIterator[None]:
        """`article` in the preview index while the block runs."""
        await anyio.to_thread.run_sync(self.preview.index_articles, [article])
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled request still cleans up
                await anyio.to_thread.run_sync(self.preview.remove_articles, [article.id])

    def close(self) -> None:
        """Close the preview indexes."""
        self.preview.close()
