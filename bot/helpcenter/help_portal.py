"""The self-service help center's queries: published articles by category and locale, popular
and related articles, search with the bot's retriever, and "Was this helpful?" votes (issue 20);
and what each public page shows, gathered in one call (the routes only add URLs and render).

Lists are read from the article store on every call (one query: a page always shows what is
published now); only the popular list, which reads the conversations of a whole window, is
cached for `POPULAR_TTL_S`. Visitors are anonymous: an article for some plans only (`audience`)
is in no list, search or sitemap, as the bot never cites it to them; its page still opens from
the citation a verified customer on its plan was given.
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
from bot.helpcenter.editor import LOCALE
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


@dataclass(frozen=True, slots=True)
class Home:
    """The home page: categories, popular articles (`by_citations`: ranked by the bot's
    citations, else the newest) and articles without a category, in `locale`."""

    locale: str
    locales: list[str]
    categories: list[Category]
    popular: list[Listed]
    by_citations: bool
    uncategorised: list[Listed]


@dataclass(frozen=True, slots=True)
class Search:
    """A search page: the cleaned words (cut to `MAX_QUERY_CHARS`), the locale asked for
    (None: any) and the hits; `too_long` when the words were refused for their length."""

    query: str
    locale: str | None
    hits: list[Hit]
    too_long: bool = False


@dataclass(frozen=True, slots=True)
class CategoryPage:
    """A category in the locale it is shown in; for an unknown category, None and the
    categories of the visitor's locale to offer instead."""

    category: Category | None
    locale: str
    categories: list[Category]


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """An article's page: its live version, its translations by locale, related articles
    and the locales the help center has."""

    live: ArticleVersion
    translations: dict[str, Listed]
    related: list[Listed]
    locales: list[str]


@dataclass(frozen=True, slots=True)
class SitemapLocale:
    """One locale's pages in the sitemap: its home (changed with its newest article) and its
    categories."""

    locale: str
    updated: dt.date
    categories: list[Category]


@dataclass(frozen=True, slots=True)
class Sitemap:
    """Every public page: each locale's, then every published article; `alternates` maps the
    URL of a translated article to its group's URL in each locale (hreflang)."""

    locales: list[SitemapLocale]
    articles: list[Listed]
    alternates: dict[str, dict[str, str]]


def chosen_locale(requested: str | None, available: list[str]) -> str:
    """The requested locale when articles exist in it, else the default (or the first)."""
    if requested and LOCALE.match(requested) and requested in available:
        return requested
    return DEFAULT_LOCALE if DEFAULT_LOCALE in available or not available else available[0]


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

    async def home(self, lang: str) -> Home:
        """The home page in the requested language (else the default)."""
        published = await self.published()
        locales = _locales(published)
        locale = chosen_locale(lang, locales)
        popular, by_citations = await self._popular(published, locale)
        categories = _categories(published, locale)
        uncategorised = [a for a in published if a.locale == locale and not a.category]
        return Home(locale, locales, categories, popular, by_citations, uncategorised)

    async def find(self, words: str, lang: str) -> Search:
        """The search page for a visitor's words, in the requested language (none: any)."""
        locale = chosen_locale(lang, await self.locales()) if lang else None
        query = clean_query(words)
        if len(query) > MAX_QUERY_CHARS:
            return Search(query[:MAX_QUERY_CHARS], locale, [], too_long=True)
        return Search(query, locale, await self.search(query, locale) if query else [])

    async def category_page(self, slug: str, lang: str) -> CategoryPage:
        """A category's page in the requested language (else the one it has articles in)."""
        published = await self.published()
        locale = chosen_locale(lang, _locales(published))
        found = _category(published, slug, locale)
        if found is None:
            return CategoryPage(None, locale, _categories(published, locale))
        return CategoryPage(found, found.articles[0].locale, [])

    async def article_page(self, article_id: str) -> ArticlePage:
        """An article's page; `NotFound` for an unknown id or a draft, `Gone` when withdrawn."""
        live = await self.article(article_id)
        content = live.content
        translations = await self.translations(live)
        related = await self.related(article_id, content.title, content.category, content.locale)
        return ArticlePage(live, translations, related, await self.locales())

    async def suggestions(self, article_id: str, *, gone: bool) -> list[Listed]:
        """Articles to offer instead of a withdrawn (`gone`) or unknown one: those near its
        last title, or near the words of its id."""
        if gone:
            about = (await self._articles.get(article_id)).content.title
        else:
            about = article_id.replace("-", " ")[:100]
        return await self.related(article_id, about, "", None)

    async def sitemap(self) -> Sitemap:
        """Every public page, with its last change."""
        published = await self.published()
        groups: dict[str, dict[str, str]] = {}
        for article in sorted(published, key=lambda a: a.id):
            groups.setdefault(article.original, {}).setdefault(article.locale, article.url)
        alternates = {
            url: group for group in groups.values() if len(group) > 1 for url in group.values()
        }
        locales = [
            SitemapLocale(
                locale,
                next(a.updated for a in published if a.locale == locale),
                _categories(published, locale),
            )
            for locale in _locales(published)
        ]
        return Sitemap(locales, published, alternates)

    async def published(self) -> list[Listed]:
        """Every published article for everyone, newest first (by title within a day)."""
        live = [v for v in await self._articles.published_versions() if not v.content.audience]
        by_title = sorted(map(Listed.of, live), key=lambda a: (a.title.casefold(), a.id))
        return sorted(by_title, key=lambda a: a.updated, reverse=True)

    async def locales(self) -> list[str]:
        """Locales with at least one published article, the default first."""
        return _locales(await self.published())

    async def _popular(self, published: list[Listed], locale: str) -> tuple[list[Listed], bool]:
        """The articles the bot cited most in its answers of the last `POPULAR_DAYS` days
        (stored with every answer: a real measure of what customers ask about), and True; or,
        before anything was cited, the newest articles and False."""
        published = [a for a in published if a.locale == locale]
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
            return await anyio.to_thread.run_sync(
                lambda: self._kb.search(query, k, locale=locale, plan="")
            )
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


def _locales(published: Iterable[Listed]) -> list[str]:
    found = {a.locale for a in published}
    return sorted(found, key=lambda locale: (locale != DEFAULT_LOCALE, locale))


def _category(published: Iterable[Listed], slug: str, locale: str) -> Category | None:
    """One category's published articles in `locale` (else in any locale); None when it has
    none."""
    listed = [a for a in published if a.category == slug]
    if not listed:
        return None
    mine = [a for a in listed if a.locale == locale] or listed
    return Category(slug, category_name(slug), tuple(mine))


def _categories(published: Iterable[Listed], locale: str) -> list[Category]:
    """The categories that have published articles in `locale`, by name."""
    by_slug: dict[str, list[Listed]] = {}
    for article in published:
        if article.locale == locale and article.category:
            by_slug.setdefault(article.category, []).append(article)
    return [
        Category(slug, category_name(slug), tuple(found)) for slug, found in sorted(by_slug.items())
    ]
