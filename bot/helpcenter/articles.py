"""Help-center articles as edited in the app: statuses, versions and their content (no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class ArticleStatus(StrEnum):
    """Where an article is in its life: only `published` articles are in the indexes."""

    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    DELETED = "deleted"


class IndexState(StrEnum):
    """Whether the published version has reached the search indexes."""

    PENDING = "pending"
    INDEXING = "indexing"
    INDEXED = "indexed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ArticleContent:
    """What an editor writes: one version of an article."""

    title: str
    body: str
    category: str = ""
    locale: str = "en"
    tags: tuple[str, ...] = ()
    url: str = ""
    pages: tuple[str, ...] = ()  # URL path globs of the host site (issue 21)
    questions: tuple[str, ...] = ()  # suggested on those pages
    translation_of: str = ""  # the id of the original this version translates (issue 20)
    audience: tuple[str, ...] = ()  # the plans it is for, lower-case; () = everyone (issue 21)


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """One saved version (numbered from 1 per article, never changed afterwards)."""

    article_id: str
    version: int
    content: ArticleContent
    author: str
    note: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article with the content of its current (newest) version."""

    id: str
    status: ArticleStatus
    content: ArticleContent
    current_version: int
    published_version: int | None
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: str
    index_state: IndexState
    index_error: str

    @property
    def has_unpublished_changes(self) -> bool:
        """True when the newest version is not the one customers see."""
        return self.published_version != self.current_version
