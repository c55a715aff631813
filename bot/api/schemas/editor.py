"""Editor API request and response models (articles, versions, diffs)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field

from bot.api.schemas.chat import MAX_INT
from bot.helpcenter.articles import (
    ArticleContent,
    ArticleStatus,
    ArticleVersion,
    IndexState,
    StoredArticle,
)

Version = Annotated[int, Field(ge=1, le=MAX_INT)]


class ContentIn(BaseModel):
    """The editable fields of an article (checked again by the editor service)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=1_000)
    body: str = ""
    category: str = Field(default="", max_length=1_000)
    locale: str = Field(default="en", max_length=35)
    tags: list[str] = Field(default_factory=list, max_length=100)
    url: str = Field(default="", max_length=2_000)
    pages: list[str] = Field(default_factory=list, max_length=100)
    questions: list[str] = Field(default_factory=list, max_length=100)
    translation_of: str = Field(default="", max_length=128)
    audience: list[str] = Field(default_factory=list, max_length=100)

    def content(self) -> ArticleContent:
        """As the domain type."""
        return ArticleContent(
            title=self.title,
            body=self.body,
            category=self.category,
            locale=self.locale,
            tags=tuple(self.tags),
            url=self.url,
            pages=tuple(self.pages),
            questions=tuple(self.questions),
            translation_of=self.translation_of,
            audience=tuple(self.audience),
        )


class ArticleIn(ContentIn):
    """A new article: its id (a slug, never reused) and its first version."""

    id: str = Field(max_length=200)


class ArticleUpdate(ContentIn):
    """A new version, saved on top of the version the editor loaded."""

    base_version: Version = Field(description="current_version when the editor loaded it")


class PublishIn(BaseModel):
    """Which version to publish (default: the current one)."""

    model_config = ConfigDict(extra="forbid")

    version: Version | None = None


class RestoreIn(BaseModel):
    """Copy an old version into a new (unpublished) one."""

    model_config = ConfigDict(extra="forbid")

    version: Version
    base_version: Version


class ContentOut(BaseModel):
    """The content of one version of an article."""

    title: str
    body: str
    category: str
    locale: str
    tags: list[str]
    url: str
    pages: list[str]
    questions: list[str]
    translation_of: str
    audience: list[str]

    @classmethod
    def of(cls, saved: StoredArticle | ArticleVersion) -> Self:
        """From the domain type: its content's fields beside its own (the API keeps them flat,
        the domain nests them in `content`)."""
        content = set(ContentOut.model_fields)
        return cls.model_validate(
            {
                name: getattr(saved.content if name in content else saved, name)
                for name in cls.model_fields
            }
        )


class ArticleOut(ContentOut):
    """An article with its current version's content."""

    id: str
    status: ArticleStatus
    current_version: int
    published_version: int | None
    has_unpublished_changes: bool
    source: str
    updated_at: dt.datetime
    updated_by: str
    index_state: IndexState
    index_error: str


class ArticleListOut(BaseModel):
    """Articles matching the filters, newest update first."""

    articles: list[ArticleOut]


class VersionOut(ContentOut):
    """One saved version."""

    article_id: str
    version: int
    author: str
    note: str
    created_at: dt.datetime


class VersionsOut(BaseModel):
    """Every version of an article, oldest first."""

    versions: list[VersionOut]


class DiffOut(BaseModel):
    """A unified diff between two versions."""

    article_id: str
    from_version: int = Field(serialization_alias="from")
    to_version: int = Field(serialization_alias="to")
    diff: str
