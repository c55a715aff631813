"""Page-aware help (issue 21): which articles and questions editors mapped to a page of the host
site (front matter `pages:` globs and `questions:`), and the retrieval tie-breaker that prefers
those articles when scores are close. A question an article declares is answered from it
wherever it is asked (issue 16): the widget suggests it as that article's question.

A page is matched by its URL path (`/checkout/pay` for `https://shop.example/checkout/pay?x=1`)
against each published article's globs (`fnmatch`, case-sensitive; `*` also crosses `/`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from bot.answering.yes_no import asks_the_same
from bot.helpcenter.interfaces import ArticleStore
from bot.settings import PageHelpConfig
from retrieval.types import SearchResult

MAX_PATH_CHARS = 2000


@dataclass(frozen=True, slots=True)
class PageArticle:
    """A published article mapped to pages of the host site."""

    article_id: str
    title: str
    url: str
    locale: str
    pages: tuple[str, ...]
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suggestions:
    """What the widget offers on one page before the customer types."""

    path: str
    questions: tuple[str, ...] = ()
    articles: tuple[tuple[str, str, str], ...] = ()  # (article id, title, url)
    nudge_after_s: int = 0  # the widget's nudge to ask, when it has questions to suggest


def page_path(page: str) -> str:
    """The URL path of `page` (a full URL or a path), "/" when it has none."""
    try:
        path = urlsplit(page.strip()[:MAX_PATH_CHARS]).path
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return "/"
    return path if path.startswith("/") else "/" + path


def on_page(article: PageArticle, path: str) -> bool:
    """Whether one of the article's globs matches `path`."""
    return any(fnmatchcase(path, glob) for glob in article.pages)


def _language(locale: str) -> str:
    return locale.split("-")[0].lower()


def mapped(entries: Sequence[PageArticle], page: str, locale: str) -> list[PageArticle]:
    """The articles mapped to `page` in the locale's language (else in any language), in order."""
    path = page_path(page)
    found = [a for a in entries if on_page(a, path)]
    language = _language(locale)
    same = [a for a in found if _language(a.locale) == language]
    return same or found


def suggest(entries: Sequence[PageArticle], page: str, locale: str, limit: int) -> Suggestions:
    """At most `limit` questions and `limit` article links for `page`."""
    found = mapped(entries, page, locale)
    questions = tuple(dict.fromkeys(q for a in found for q in a.questions))[:limit]
    links = tuple((a.article_id, a.title, a.url or f"/help/{a.article_id}") for a in found)
    return Suggestions(page_path(page), questions, links[:limit])


def declaring(entries: Sequence[PageArticle], question: str, locale: str) -> str:
    """The id of the article that declares `question` (the same content words) in the locale's
    language, else in any; "" when none does."""
    found = [a for a in entries if any(asks_the_same(question, q) for q in a.questions)]
    language = _language(locale)
    same = [a for a in found if _language(a.locale) == language]
    chosen = same or found
    return chosen[0].article_id if chosen else ""


def prefer_page(
    results: Sequence[SearchResult], preferred: frozenset[str], margin: float
) -> list[SearchResult]:
    """`results` with the page's articles moved first when their relevance is within `margin`
    of the best result's: a tie-breaker only, never over a clearly better match."""
    if not results or not preferred:
        return list(results)
    best = max(r.relevance for r in results)
    close = [r for r in results if r.article_id in preferred and best - r.relevance <= margin]
    return close + [r for r in results if r not in close]


class PageHelp:
    """The page map of the published articles, read from the store at most every `cache_s`."""

    def __init__(self, store: ArticleStore, config: PageHelpConfig) -> None:
        self._store = store
        self._config = config
        self._cached: tuple[float, list[PageArticle]] | None = None

    async def entries(self) -> list[PageArticle]:
        """Every published article that has page globs or questions, by article id."""
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < self._config.cache_s:
            return self._cached[1]
        versions = await self._store.published_versions()
        entries = [
            PageArticle(
                v.article_id,
                v.content.title,
                v.content.url,
                v.content.locale,
                v.content.pages,
                v.content.questions,
            )
            for v in versions
            if v.content.pages or v.content.questions
        ]
        self._cached = (now, entries)
        return entries

    async def suggestions(self, page: str, locale: str) -> Suggestions:
        """The questions and articles the widget suggests on `page`, and after how long it
        nudges the customer to ask one (0: no nudge without questions)."""
        found = suggest(await self.entries(), page, locale, self._config.max_suggestions)
        if not found.questions:
            return found
        return replace(found, nudge_after_s=self._config.nudge_after_s)

    async def declared(self, question: str, locale: str) -> str:
        """The id of the published article that declares `question`, "" when none does."""
        return declaring(await self.entries(), question, locale)

    async def prefer(
        self, results: Sequence[SearchResult], page: str, locale: str
    ) -> list[SearchResult]:
        """`results` reordered by `prefer_page` for the articles mapped to `page`."""
        if not page or self._config.boost_margin <= 0:
            return list(results)
        ids = frozenset(a.article_id for a in mapped(await self.entries(), page, locale))
        return prefer_page(results, ids, self._config.boost_margin)
