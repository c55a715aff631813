"""The self-service help center's queries: published articles by category and locale, popular
and related articles, search with the bot's retriever, and "Was this helpful?" votes (issue 20).

Lists are read from the article store on every call (one query: a page always shows what is
published now); only the popular list, which reads the conversations of a whole window, is
cached for `POPULAR_TTL_S`.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import anyio
import anyio.to_thread

from bot.answering.passages import help_url
from bot.db.sql_gaps import SqlGapStore
from bot.db.sql_votes import SqlVoteStore
from bot.errors import Gone, NotFound
from bot.helpcenter.articles import ArticleStatus, ArticleVersion
from bot.helpcenter.help_votes import VoteCount, visitor_key
from bot.helpcenter.interfaces import ArticleStore
from bot.helpcenter.sanitize import clean_text
from retrieval.errors import RetrievalError
from retrieval.knowledge_base import KnowledgeBase
from retrieval.types import SearchResult

DEFAULT_LOCALE = "en"
POPULAR_DAYS = 30
POPULAR_TTL_S = 300.0
LISTED = 5  # popular, related and suggested articles shown, at most
SEARCH_RESULTS = 10
MAX_QUERY_CHARS = 300
# Search hits at least this relevant are listed (the bot suggests articles from 0.2 up).
MIN_RELEVANCE = 0.2
SNIPPET_CHARS = 220
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[*_`#>|~]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Listed:
    """A published article as lists show it."""

    id: str
    title: str
    category: str
    locale: str
    updated: dt.date
    url: str
    original: str  # the id of the original: its own, or the one it translates

    @classmethod
    def of(cls, version: ArticleVersion) -> Listed:
        """The list entry of a live version."""
        content, article_id = version.content, version.article_id
        url, day = help_url(article_id), version.created_at.date()
        original = content.translation_of or article_id
        return cls(article_id, content.title, content.category, content.locale, day, url, original)


@dataclass(frozen=True, slots=True)
class Category:
    """A category with its published articles (of one locale), newest first."""

    slug: str
    name: str
    articles: tuple[Listed, ...]

    @property
    def updated(self) -> dt.date:
        """When its newest article was published."""
        return max(a.updated for a in self.articles)


@dataclass(frozen=True, slots=True)
class Hit:
    """A search result: the article and a plain-text snippet of its best passage."""

    article: Listed
    snippet: str


def category_name(slug: str) -> str:
    """A category as people read it: "account-login" → "Account login"."""
    words = slug.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Plain text of a markdown passage (no markup, links as their text), cut at a word."""
    plain = " ".join(_MARKUP.sub(" ", _LINK.sub(r"\1", clean_text(text))).split())
    if len(plain) <= limit:
        return plain
    return plain[:limit].rsplit(" ", 1)[0] + "…"


def clean_query(query: str) -> str:
    """A search query with control characters removed and whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", query).split())


class HelpPortal:
    """What the public help-center pages read and the one thing they write (votes)."""

    def __init__(
        self,
        articles: ArticleStore,
        kb: KnowledgeBase,
        gaps: SqlGapStore,
        votes: SqlVoteStore,
    ) -> None:
        self._articles = articles
        self._kb = kb
        self._gaps = gaps
        self._votes = votes
        self._cited: tuple[float, Counter[str]] | None = None

    async def published(self) -> list[Listed]:
        """Every published article, newest first (by title within a day)."""
        live = await self._articles.published_versions()
        by_title = sorted(map(Listed.of, live), key=lambda a: (a.title.casefold(), a.id))
        return sorted(by_title, key=lambda a: a.updated, reverse=True)

    async def locales(self) -> list[str]:
        """Locales with at least one published article, the default first."""
        found = {a.locale for a in await self.published()}
        return sorted(found, key=lambda locale: (locale != DEFAULT_LOCALE, locale))

    async def categories(self, locale: str) -> list[Category]:
        """The categories that have published articles in `locale`, by name."""
        by_slug: dict[str, list[Listed]] = {}
        for article in await self.published():
            if article.locale == locale and article.category:
                by_slug.setdefault(article.category, []).append(article)
        return [
            Category(slug, category_name(slug), tuple(found))
            for slug, found in sorted(by_slug.items())
        ]

    async def category(self, slug: str, locale: str) -> Category:
        """One category's articles in `locale` (else in any locale); `NotFound` when it has
        none published."""
        listed = [a for a in await self.published() if a.category == slug]
        if not listed:
            raise NotFound(f"no published articles in category {slug!r}")
        mine = [a for a in listed if a.locale == locale] or listed
        return Category(slug, category_name(slug), tuple(mine))

    async def popular(self, locale: str) -> tuple[list[Listed], bool]:
        """The articles the bot cited most in its answers of the last `POPULAR_DAYS` days
        (stored with every answer: a real measure of what customers ask about), and True; or,
        before anything was cited, the newest articles and False."""
        published = [a for a in await self.published() if a.locale == locale]
        cited = await self._citations()
        ranked = sorted(
            (a for a in published if cited[a.id]), key=lambda a: (-cited[a.id], a.title)
        )
        if ranked:
            return ranked[:LISTED], True
        return published[:LISTED], False

    async def article(self, article_id: str) -> ArticleVersion:
        """The live version; `NotFound` for an unknown id or a draft, `Gone` when withdrawn."""
        article = await self._articles.get(article_id)
        number = article.published_version
        if article.status is ArticleStatus.PUBLISHED and number is not None:
            return await self._articles.version(article_id, number)
        if article.status is ArticleStatus.DRAFT:
            raise NotFound(f"article {article_id!r} is not published")
        raise Gone(f"article {article_id!r} is no longer published")

    async def translations(self, live: ArticleVersion) -> dict[str, Listed]:
        """The published articles of each other locale in `live`'s group (its original and
        every article translating that original), by locale; the first by id when a locale
        has several. Unpublished ones are never listed."""
        original = live.content.translation_of or live.article_id
        group = (
            a
            for a in sorted(await self.published(), key=lambda a: a.id, reverse=True)
            if a.original == original and a.locale != live.content.locale
        )
        return {a.locale: a for a in group}

    async def last_title(self, article_id: str) -> str:
        """The title of the newest version (for what to suggest instead of a withdrawn one)."""
        return (await self._articles.get(article_id)).content.title

    async def related(
        self, article_id: str, about: str, category: str, locale: str | None
    ) -> list[Listed]:
        """Other published articles: the retriever's nearest to `about` (a title) in
        `locale` (None: any), then the newest of the same category."""
        published = {a.id: a for a in await self.published() if a.id != article_id}
        found = await self._search(about, LISTED + 1, locale)
        chosen = [published[r.article_id] for r in found if r.article_id in published]
        same = (
            a
            for a in published.values()
            if category and a.category == category and locale in (None, a.locale)
        )
        return _unique([*chosen, *same])[:LISTED]

    async def search(self, query: str, locale: str | None) -> list[Hit]:
        """Published articles for a customer's words, best first, with the same hybrid
        retriever as the bot (typos and paraphrases match by meaning)."""
        published = {a.id: a for a in await self.published()}
        results = await self._search(query, SEARCH_RESULTS, locale)
        return [
            Hit(published[r.article_id], snippet(r.best.text))
            for r in results
            if r.article_id in published and r.relevance >= MIN_RELEVANCE
        ]

    async def vote(self, article_id: str, visitor: str, helpful: bool) -> None:
        """Record a visitor's answer for a published article (`NotFound` / `Gone` else)."""
        await self.article(article_id)
        await anyio.to_thread.run_sync(self._votes.vote, article_id, visitor_key(visitor), helpful)

    async def vote_counts(self, days: int) -> dict[str, VoteCount]:
        """Votes per article over the last `days` days."""
        until = dt.datetime.now(dt.UTC)
        since = until - dt.timedelta(days=days)
        return await anyio.to_thread.run_sync(self._votes.counts, since, until)

    async def _search(self, query: str, k: int, locale: str | None) -> Sequence[SearchResult]:
        """The retriever's results; none when the indexes fail (pages still render)."""
        try:
            return await anyio.to_thread.run_sync(lambda: self._kb.search(query, k, locale=locale))
        except RetrievalError:
            return []

    async def _citations(self) -> Counter[str]:
        now = time.monotonic()
        if self._cited is None or now - self._cited[0] > POPULAR_TTL_S:
            until = dt.datetime.now(dt.UTC)
            since = until - dt.timedelta(days=POPULAR_DAYS)
            counts = await anyio.to_thread.run_sync(self._gaps.citation_counts, since, until)
            self._cited = (now, counts)
        return self._cited[1]


def _unique(articles: Iterable[Listed]) -> list[Listed]:
    return list({a.id: a for a in articles}.values())
