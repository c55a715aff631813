"""Protocols of the help center's stores: articles with their versions, and announcements."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import TYPE_CHECKING, Protocol

from bot.helpcenter.articles import (
    ArticleContent,
    ArticleStatus,
    ArticleVersion,
    IndexState,
    StoredArticle,
)

if TYPE_CHECKING:
    from bot.helpcenter.announcements import Announcement


class ArticleStore(Protocol):
    """Help-center articles and every saved version (the source of truth for what is published).

    Versions are numbered from 1 per article and never change once written. Methods raise
    `NotFound` for unknown ids or versions, `Conflict` when a write collides with the stored
    state, and `StorageError` when the database fails. Deleted articles keep their row (an id
    is never reused) and are listed only when asked for by status.
    """

    async def create(
        self,
        article_id: str,
        content: ArticleContent,
        *,
        author: str,
        source: str = "app",
        source_hash: str = "",
        note: str = "",
    ) -> StoredArticle:
        """A new draft at version 1; `Conflict` (code "article_exists") when the id is taken."""
        ...

    async def get(self, article_id: str) -> StoredArticle:
        """The article with its current version's content (deleted ones too)."""
        ...

    async def list(
        self,
        *,
        query: str = "",
        status: ArticleStatus | None = None,
        category: str = "",
        locale: str = "",
    ) -> list[StoredArticle]:
        """Articles matching every filter, newest update first; `query` matches id or title
        (case-insensitive substring). Without `status`, deleted articles are left out."""
        ...

    async def save(
        self,
        article_id: str,
        content: ArticleContent,
        *,
        author: str,
        base_version: int,
        note: str = "",
        source: str | None = None,
        source_hash: str | None = None,
    ) -> StoredArticle:
        """Write version base_version + 1 atomically.

        `Conflict` (code "stale_version", naming who saved the newer version and when) unless
        `base_version` is still the current version. The status stays (a deleted article comes
        back as a draft); a published article keeps serving its published version.
        """
        ...

    async def publish(self, article_id: str, version: int, *, author: str) -> StoredArticle:
        """Make `version` the live one: status published, index state pending."""
        ...

    async def withdraw(
        self,
        article_id: str,
        status: ArticleStatus,
        *,
        author: str,
        source_hash: str | None = None,
    ) -> StoredArticle:
        """Take the article off the help center: status unpublished or deleted, no live version.

        A `source_hash` replaces the recorded one (e.g. "" so that a returning file syncs again).
        """
        ...

    async def set_index_state(
        self, article_id: str, version: int, state: IndexState, error: str = ""
    ) -> bool:
        """Record the index state of published `version`; False (nothing written) when another
        version is live by now."""
        ...

    async def versions(self, article_id: str) -> builtins.list[ArticleVersion]:
        """Every version, oldest first."""
        ...

    async def version(self, article_id: str, version: int) -> ArticleVersion:
        """One version."""
        ...

    async def published_versions(self) -> builtins.list[ArticleVersion]:
        """The live version of every published article, by article id."""
        ...

    async def sources(self) -> dict[str, tuple[str, str]]:
        """(source, source hash) of every article, by id."""
        ...


class AnnouncementStore(Protocol):
    """Announcements and their time windows (issue 21). Synchronous: call it from a worker thread.

    Times are timezone-aware UTC. Methods raise `NotFound` for unknown ids and `StorageError`
    when the database fails.
    """

    def add(self, announcement: Announcement) -> None:
        """Store a new announcement (its id is new)."""
        ...

    def get(self, announcement_id: str) -> Announcement:
        """One announcement."""
        ...

    def end(self, announcement_id: str, now: dt.datetime) -> Announcement:
        """End it at `now` (one that ended earlier keeps its end); the stored result."""
        ...

    def current(self, now: dt.datetime) -> builtins.list[Announcement]:
        """Every announcement not ended at `now` (active or scheduled), by start."""
        ...

    def apply_incident(
        self, incident_id: str, status: str, title: str, text: str, now: dt.datetime
    ) -> Announcement | None:
        """Create or update the announcement of a status page's incident, atomically: status
        "resolved" ends it, any other (re)opens it; empty title/text keep the stored ones.
        None for a resolved incident that was never announced (nothing is stored)."""
        ...
