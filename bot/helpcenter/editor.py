"""Content editing: validated drafts, versions, publishing into the indexes, file sync."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import datetime as dt
import difflib
import hashlib
import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Sequence

import anyio
import anyio.to_thread

from bot.errors import BotError, Conflict, InvalidInput, NotFound
from bot.helpcenter.articles import (
    ArticleContent,
    ArticleStatus,
    ArticleVersion,
    IndexState,
    StoredArticle,
)
from bot.helpcenter.interfaces import ArticleStore
from bot.settings import EditorConfig
from retrieval.indexer import Progress
from retrieval.knowledge_base import KnowledgeBase
from retrieval.types import Article, IngestReport, Problem

log = logging.getLogger(__name__)

ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
# Help-center paths beside /help/{article_id} (issue 20): such an article would be unreachable.
RESERVED_IDS = frozenset({"search"})
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
FILE_AUTHOR = "kb_content"
FILE_SOURCE = "file:"
MAX_TITLE_CHARS = 200
MAX_CATEGORY_CHARS = 100
MAX_TAGS = 20
MAX_TAG_CHARS = 50
MAX_PAGES = 20
MAX_PAGE_CHARS = 300
MAX_QUESTIONS = 10
MAX_QUESTION_CHARS = 200
MAX_PLANS = 20
MAX_PLAN_CHARS = 50
_POLL_S = 0.05
# Articles indexed together in one worker-thread call (one embedding batch).
INDEX_BATCH = 16


def check_id(article_id: str) -> str:
    """The id if it is a valid article slug; `InvalidInput` saying how to fix it otherwise."""
    if not ARTICLE_ID.match(article_id):
        raise InvalidInput(
            f"article id {article_id!r} is not valid: use 1-100 lowercase letters, digits and "
            "'-', starting with a letter or digit (e.g. 'reset-password')",
            "invalid_article_id",
        )
    if article_id in RESERVED_IDS:
        raise InvalidInput(
            f"article id {article_id!r} is reserved for a help-center page; choose another",
            "invalid_article_id",
        )
    return article_id


def check_content(content: ArticleContent, max_body_chars: int) -> ArticleContent:
    """The content with whitespace trimmed, or `InvalidInput` naming the field to fix."""
    title = content.title.strip()
    if not title:
        raise InvalidInput("the title is required", "invalid_article")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidInput(
            f"the title is {len(title)} characters; keep it to {MAX_TITLE_CHARS}",
            "invalid_article",
        )
    body = content.body.strip()
    if len(body) > max_body_chars:
        raise InvalidInput(
            f"the body is {len(body):,} characters, over the {max_body_chars:,} limit; "
            "split it into several articles",
            "article_too_long",
        )
    locale = content.locale.strip() or "en"
    if not LOCALE.match(locale):
        raise InvalidInput(
            f"locale {locale!r} is not a language tag: use e.g. 'en', 'es' or 'pt-BR'",
            "invalid_article",
        )
    category = content.category.strip()
    if len(category) > MAX_CATEGORY_CHARS:
        raise InvalidInput(
            f"the category is longer than {MAX_CATEGORY_CHARS} characters", "invalid_article"
        )
    tags = tuple(dict.fromkeys(t.strip() for t in content.tags if t.strip()))
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in tags):
        raise InvalidInput(
            f"use at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters each",
            "invalid_article",
        )
    url = content.url.strip()
    if url and not url.startswith(("http://", "https://", "/")):
        raise InvalidInput(f"url {url!r} must start with http://, https:// or /", "invalid_article")
    pages = _bounded(content.pages, MAX_PAGES, MAX_PAGE_CHARS, "page patterns")
    questions = _bounded(content.questions, MAX_QUESTIONS, MAX_QUESTION_CHARS, "questions")
    original = content.translation_of.strip()
    plans = _bounded([p.lower() for p in content.audience], MAX_PLANS, MAX_PLAN_CHARS, "plans")
    if any("," in p for p in plans):
        raise InvalidInput(
            "a plan name cannot contain a comma: give one plan per entry", "invalid_article"
        )
    return ArticleContent(
        title, body, category, locale, tags, url, pages, questions, original, tuple(sorted(plans))
    )


def _bounded(values: Sequence[str], most: int, chars: int, what: str) -> tuple[str, ...]:
    kept = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(kept) > most or any(len(v) > chars for v in kept):
        raise InvalidInput(
            f"use at most {most} {what} of at most {chars} characters each", "invalid_article"
        )
    return kept


def content_of(article: Article) -> ArticleContent:
    """The editable content of a loaded article (as written; `check_content` validates it)."""
    return ArticleContent(
        article.title,
        article.body,
        article.category,
        article.locale,
        article.tags,
        article.url,
        article.pages,
        article.questions,
        article.translation_of,
        article.audience,
    )


def content_hash(content: ArticleContent) -> str:
    """A stable hash of everything an editor can change in a version."""
    fields = [content.title, content.body, content.category, content.locale, content.tags]
    extra: list[object] = [content.pages, content.questions]
    if content.translation_of:
        extra.append(content.translation_of)
    elif not (content.pages or content.questions):
        # Without pages, questions or an original the hash is what it was before they
        # existed (issues 20 and 21).
        extra = []
    if content.audience:  # only a restricted article's hash covers it: others keep theirs
        extra.append(["audience", *content.audience])
    encoded = json.dumps([*fields, content.url, *extra], ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def as_text(content: ArticleContent) -> str:
    """A version as plain text for diffs: its fields, a blank line, then the body."""
    head = [
        f"title: {content.title}",
        f"category: {content.category}",
        f"locale: {content.locale}",
        f"tags: {', '.join(content.tags)}",
        f"url: {content.url}",
    ]
    if content.pages or content.questions:
        head.append(f"pages: {', '.join(content.pages)}")
        head.append(f"questions: {' | '.join(content.questions)}")
    if content.translation_of:
        head.append(f"translation_of: {content.translation_of}")
    if content.audience:
        head.append(f"audience: {', '.join(content.audience)}")
    return "\n".join(head) + "\n\n" + content.body + "\n"


def as_article(
    article_id: str, content: ArticleContent, updated: dt.datetime, source: str = ""
) -> Article:
    """The retrieval (and export) form of an article's content, last changed at `updated`."""
    return Article(
        id=article_id,
        title=content.title,
        body=content.body,
        url=content.url,
        category=content.category,
        locale=content.locale,
        tags=content.tags,
        updated=updated.date().isoformat(),
        source=source,
        pages=content.pages,
        questions=content.questions,
        translation_of=content.translation_of,
        audience=content.audience,
    )


def retrieval_article(version: ArticleVersion, source: str = "") -> Article:
    """The indexable form of a published version."""
    return as_article(version.article_id, version.content, version.created_at, source)


def _file_of(path: str) -> str:
    """The file of a source path; JSONL rows are `<file>:<line>`."""
    return re.sub(r":\d+$", "", path)


class EditorService:
    """What content editors do to articles; keeps the indexes equal to the published versions.

    Index writes are serialized (one at a time per process) so that a publish running in the
    background and an unpublish never interleave. Published articles wait in one queue (a set
    of ids, so at most one entry per article) drained by one consumer task per process: a
    burst of publishes costs one worker thread, never one per article (issue 15).
    """

    def __init__(self, store: ArticleStore, kb: KnowledgeBase, config: EditorConfig) -> None:
        self.store = store
        self._kb = kb
        self._config = config
        # A thread lock, not an asyncio one: the service is shared by event loops (server,
        # CLI, tests). It is only ever tried, never waited on in a thread (see `_exclusive`).
        self._index_lock = threading.Lock()
        self._queue_lock = threading.Lock()  # guards the queue and its consumer
        self._queued: dict[str, None] = {}  # article ids to index, in publish order
        self._consumer: asyncio.Task[None] | None = None

    async def list(
        self,
        query: str = "",
        status: ArticleStatus | None = None,
        category: str = "",
        locale: str = "",
    ) -> builtins.list[StoredArticle]:
        """Articles matching every filter, newest update first (deleted only when asked)."""
        return await self.store.list(query=query, status=status, category=category, locale=locale)

    async def get(self, article_id: str) -> StoredArticle:
        """The article (`NotFound` when unknown)."""
        return await self.store.get(article_id)

    async def create(
        self, article_id: str, content: ArticleContent, *, author: str
    ) -> StoredArticle:
        """A new draft at version 1 (`Conflict` "article_exists" when the id is taken)."""
        clean = check_content(content, self._config.max_article_chars)
        await self.check_translation(check_id(article_id), clean)
        return await self.store.create(article_id, clean, author=author)

    async def save(
        self, article_id: str, content: ArticleContent, *, author: str, base_version: int
    ) -> StoredArticle:
        """A new version on top of `base_version` (`Conflict` "stale_version" when outdated).

        Saving the current content again writes nothing.
        """
        clean = check_content(content, self._config.max_article_chars)
        current = await self.store.get(article_id)
        if current.current_version == base_version and current.content == clean:
            return current
        await self.check_translation(article_id, clean)
        return await self.store.save(article_id, clean, author=author, base_version=base_version)

    async def check_translation(self, article_id: str, content: ArticleContent) -> None:
        """`InvalidInput` unless `content.translation_of` is empty or names another article,
        not deleted, that translates nothing itself (links always point at the original)."""
        original_id = content.translation_of
        if not original_id:
            return
        if original_id == article_id:
            raise InvalidInput(
                "an article cannot be a translation of itself; clear 'translation of' or "
                "enter the original article's id",
                "invalid_article",
            )
        try:
            original = await self.store.get(original_id)
        except NotFound:
            original = None
        if original is None or original.status is ArticleStatus.DELETED:
            raise InvalidInput(
                f"'translation of' names {original_id!r}, but there is no such article; "
                "enter the id of the original article",
                "invalid_article",
            )
        if original.content.translation_of:
            raise InvalidInput(
                f"{original_id!r} is itself a translation of "
                f"{original.content.translation_of!r}; link to that original instead",
                "invalid_article",
            )

    async def publish(
        self, article_id: str, *, author: str, version: int | None = None
    ) -> StoredArticle:
        """Make a version (default: the current one) live; indexing runs in the background.

        Returns at once with index state pending; `wait_indexed` follows it to the end.
        """
        article = await self.store.get(article_id)
        if article.status is ArticleStatus.DELETED:
            raise Conflict(
                f"article {article_id!r} is deleted; restore a version before publishing",
                "article_deleted",
            )
        chosen = await self.store.version(article_id, version or article.current_version)
        if not chosen.content.body.strip():
            raise InvalidInput(
                f"version {chosen.version} has no body; write the article before publishing",
                "invalid_article",
            )
        published = await self.store.publish(article_id, chosen.version, author=author)
        self._schedule_indexing(article_id)
        return published

    async def resume_indexing(self) -> int:
        """Index again what a stopped process left pending or indexing; returns how many.

        Run at start by every worker: indexing is incremental, so a duplicate costs nothing.
        """
        stuck = [
            a.id
            for a in await self.store.list(status=ArticleStatus.PUBLISHED)
            if a.index_state in (IndexState.PENDING, IndexState.INDEXING)
        ]
        for article_id in stuck:
            self._schedule_indexing(article_id)
        return len(stuck)

    def _schedule_indexing(self, article_id: str) -> None:
        """Queue the article; start the consumer on this event loop unless one runs."""
        with self._queue_lock:
            self._queued[article_id] = None
            if self._consumer is None or self._consumer.done():
                self._consumer = asyncio.get_running_loop().create_task(self._consume())

    async def _consume(self) -> None:
        """Index queued articles, a batch at a time, until the queue is empty."""
        try:
            while True:
                with self._queue_lock:
                    batch = list(self._queued)[:INDEX_BATCH]
                    for article_id in batch:
                        del self._queued[article_id]
                    if not batch:
                        self._consumer = None
                        return
                try:
                    await self._index_published(batch)
                except Exception:  # the next batch still runs; these stay pending until a start
                    log.exception("indexing articles %s failed", ", ".join(batch))
        finally:
            with self._queue_lock:
                if self._consumer is asyncio.current_task():
                    self._consumer = None

    async def unpublish(self, article_id: str, *, author: str) -> StoredArticle:
        """Take the article off the help center; out of the indexes before this returns."""
        return await self._withdraw(article_id, ArticleStatus.UNPUBLISHED, author)

    async def delete(self, article_id: str, *, author: str) -> StoredArticle:
        """Delete the article (versions are kept, the id is never reused); out of the indexes
        before this returns."""
        return await self._withdraw(article_id, ArticleStatus.DELETED, author)

    async def versions(self, article_id: str) -> builtins.list[ArticleVersion]:
        """Every version, oldest first."""
        return await self.store.versions(article_id)

    async def version(self, article_id: str, version: int) -> ArticleVersion:
        """One version (`NotFound` when it does not exist)."""
        return await self.store.version(article_id, version)

    async def diff(self, article_id: str, a: int, b: int) -> str:
        """A unified diff from version `a` to version `b` (fields, then the body)."""
        old, new = await self.store.version(article_id, a), await self.store.version(article_id, b)
        lines = difflib.unified_diff(
            as_text(old.content).splitlines(keepends=True),
            as_text(new.content).splitlines(keepends=True),
            fromfile=f"{article_id} v{a}",
            tofile=f"{article_id} v{b}",
        )
        return "".join(lines)

    async def restore(
        self, article_id: str, version: int, *, author: str, base_version: int
    ) -> StoredArticle:
        """A new version copying `version`; it is a draft until published."""
        old = await self.store.version(article_id, version)
        return await self.store.save(
            article_id,
            old.content,
            author=author,
            base_version=base_version,
            note=f"restored version {version}",
        )

    async def wait_indexed(self, article_id: str, timeout_s: float) -> StoredArticle:
        """The article once its index state is final (indexed or failed), or at the timeout."""
        with anyio.move_on_after(timeout_s):
            while True:
                article = await self.store.get(article_id)
                if article.index_state not in (IndexState.PENDING, IndexState.INDEXING):
                    return article
                await anyio.sleep(_POLL_S)
        return await self.store.get(article_id)

    async def sync_files(
        self,
        articles: Sequence[Article],
        problems: Sequence[Problem],
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Sync articles loaded from files, then make the indexes hold exactly what is published.

        A file whose content changed since the last sync becomes a new published version
        (author "kb_content"); a file-sourced article whose file vanished is unpublished; an
        article whose file failed to load (`problems`) is left as it is.
        """
        found = list(problems)
        async with self._exclusive():
            known = await self.store.sources()
            for article in articles:
                problem = await self._sync_file(article, known.get(article.id))
                if problem is not None:
                    found.append(problem)
            broken = {_file_of(p.path) for p in problems}
            loaded = {a.id for a in articles}
            for article_id, (source, _) in known.items():
                path = source.removeprefix(FILE_SOURCE)
                if (
                    source.startswith(FILE_SOURCE)
                    and article_id not in loaded
                    and _file_of(path) not in broken
                ):
                    await self._unpublish_vanished(article_id)
            published = await self.store.published_versions()
            report = await anyio.to_thread.run_sync(
                lambda: self._kb.ingest(
                    [retrieval_article(v) for v in published],
                    problems=found,
                    rebuild=rebuild,
                    progress=progress,
                )
            )
            for version in published:
                await self.store.set_index_state(
                    version.article_id, version.version, IndexState.INDEXED
                )
        return report

    async def aclose(self) -> None:
        """Let background indexing finish."""
        with self._queue_lock:
            consumer = self._consumer
        if consumer is None:
            return
        if consumer.get_loop() is asyncio.get_running_loop():
            await asyncio.gather(consumer, return_exceptions=True)
        while not consumer.done():  # it runs on another event loop (a server's thread)
            await anyio.sleep(_POLL_S)

    async def _sync_file(self, article: Article, known: tuple[str, str] | None) -> Problem | None:
        content = content_of(article)
        digest = content_hash(content)
        source = FILE_SOURCE + article.source
        note = f"synced from {article.source}"
        try:
            if known is None:
                stored = await self.store.create(
                    article.id,
                    content,
                    author=FILE_AUTHOR,
                    source=source,
                    source_hash=digest,
                    note=note,
                )
            elif not known[0].startswith(FILE_SOURCE):
                return Problem(
                    article.source,
                    f"id {article.id!r} belongs to an article made in the app "
                    f"({known[0]}); give the file another id",
                )
            elif known[1] == digest:
                return None
            else:
                current = await self.store.get(article.id)
                stored = await self.store.save(
                    article.id,
                    content,
                    author=FILE_AUTHOR,
                    base_version=current.current_version,
                    note=note,
                    source=source,
                    source_hash=digest,
                )
            await self.store.publish(article.id, stored.current_version, author=FILE_AUTHOR)
        except Conflict as exc:
            return Problem(article.source, f"{exc}; run the ingest again")
        return None

    async def _unpublish_vanished(self, article_id: str) -> None:
        article = await self.store.get(article_id)
        if article.status is ArticleStatus.PUBLISHED:
            # A cleared hash makes the file, should it come back, publish again.
            await self.store.withdraw(
                article_id, ArticleStatus.UNPUBLISHED, author=FILE_AUTHOR, source_hash=""
            )

    async def _withdraw(self, article_id: str, status: ArticleStatus, author: str) -> StoredArticle:
        async with self._exclusive():
            article = await self.store.get(article_id)
            if not (
                article.status is status
                or (
                    status is ArticleStatus.UNPUBLISHED
                    and article.status is not ArticleStatus.PUBLISHED
                )
            ):
                # Status first, then the index: a worker indexing this article right now
                # checks the status after writing and removes what it wrote.
                article = await self.store.withdraw(article_id, status, author=author)
            # Always (it is idempotent): a retry finishes a removal that failed before.
            await anyio.to_thread.run_sync(self._kb.remove_articles, [article_id])
            return article

    async def _index_published(self, article_ids: Sequence[str]) -> None:
        """Index the live versions of these articles in one go; when that fails, one at a
        time, so that only the article at fault is marked failed."""
        async with self._exclusive():
            live: builtins.list[ArticleVersion] = []
            for article_id in article_ids:
                try:
                    article = await self.store.get(article_id)
                    number = article.published_version
                    if article.status is ArticleStatus.PUBLISHED and number is not None:
                        await self.store.set_index_state(article_id, number, IndexState.INDEXING)
                        live.append(await self.store.version(article_id, number))
                except BotError as exc:
                    log.error("could not start indexing article %r: %s", article_id, exc)
            if not live:
                return
            try:
                await anyio.to_thread.run_sync(
                    self._kb.index_articles, [retrieval_article(v) for v in live]
                )
                indexed = True
            except Exception:  # any backend failure: find the article at fault
                indexed = False
            for version in live:
                await self._index_one(version, done=indexed)

    async def _index_one(self, live: ArticleVersion, *, done: bool) -> None:
        """Index one version (unless `done`), then record the outcome or undo a withdrawn one."""
        article_id, number = live.article_id, live.version
        try:
            if not done:
                try:
                    await anyio.to_thread.run_sync(
                        self._kb.index_articles, [retrieval_article(live)]
                    )
                except Exception as exc:  # any backend failure is shown to the editor
                    log.error("indexing article %r failed: %s", article_id, exc)
                    await self.store.set_index_state(
                        article_id, number, IndexState.FAILED, f"indexing failed: {exc}"
                    )
                    return
            if (await self.store.get(article_id)).status is not ArticleStatus.PUBLISHED:
                # Withdrawn (on another worker) while this one was writing: undo it.
                await anyio.to_thread.run_sync(self._kb.remove_articles, [article_id])
                return
            await self.store.set_index_state(article_id, number, IndexState.INDEXED)
        except BotError as exc:
            log.error("could not record the index state of article %r: %s", article_id, exc)

    @contextlib.asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        # Polled, never waited on in a worker thread: parked threads once took every token of
        # the thread limiter, and the holder could not get one to finish (issue 15).
        while not self._index_lock.acquire(blocking=False):
            await anyio.sleep(_POLL_S)
        try:
            yield
        finally:
            self._index_lock.release()
