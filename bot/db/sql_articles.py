"""`ArticleStore` on SQLite or PostgreSQL: sync SQLAlchemy Core run in worker threads."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from bot.db.engine import ConstraintViolation, transaction
from bot.db.schema import article_versions, articles
from bot.errors import Conflict, NotFound
from bot.helpcenter.articles import (
    ArticleContent,
    ArticleStatus,
    ArticleVersion,
    IndexState,
    StoredArticle,
)

_CONTENT = (
    "title",
    "body",
    "category",
    "locale",
    "tags",
    "url",
    "pages",
    "questions",
    "translation_of",
    "audience",
)
_LIVE = (articles.c.id == article_versions.c.article_id) & (
    article_versions.c.version == articles.c.current_version
)


class SqlArticleStore:
    """Articles in the SQL database of `engine` (schema migrated by `migrate()`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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
        """A new draft at version 1; `Conflict` "article_exists" when the id is taken."""
        return await anyio.to_thread.run_sync(
            self._create, article_id, content, author, source, source_hash, note
        )

    async def get(self, article_id: str) -> StoredArticle:
        """The article with its current version's content (deleted ones too)."""
        return await anyio.to_thread.run_sync(self._get, article_id)

    async def list(
        self,
        *,
        query: str = "",
        status: ArticleStatus | None = None,
        category: str = "",
        locale: str = "",
    ) -> list[StoredArticle]:
        """Articles matching every filter, newest update first (deleted only when asked)."""
        return await anyio.to_thread.run_sync(self._list, query, status, category, locale)

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
        """Write version base_version + 1 in one conditional UPDATE (else `Conflict`)."""
        changes: dict[str, Any] = {}
        if source is not None:
            changes["source"] = source
        if source_hash is not None:
            changes["source_hash"] = source_hash
        return await anyio.to_thread.run_sync(
            self._save, article_id, content, author, base_version, note, changes
        )

    async def publish(self, article_id: str, version: int, *, author: str) -> StoredArticle:
        """Make `version` the live one: status published, index state pending."""
        return await anyio.to_thread.run_sync(self._publish, article_id, version, author)

    async def withdraw(
        self,
        article_id: str,
        status: ArticleStatus,
        *,
        author: str,
        source_hash: str | None = None,
    ) -> StoredArticle:
        """Status unpublished or deleted, with no live version (and maybe a new source hash)."""
        if status not in (ArticleStatus.UNPUBLISHED, ArticleStatus.DELETED):
            raise ValueError(f"withdraw sets unpublished or deleted, not {status}")
        values: dict[str, Any] = {
            "status": status.value,
            "published_version": None,
            "index_state": IndexState.INDEXED.value,
            "index_error": "",
        }
        if source_hash is not None:
            values["source_hash"] = source_hash
        return await anyio.to_thread.run_sync(self._update, article_id, author, values)

    async def set_index_state(
        self, article_id: str, version: int, state: IndexState, error: str = ""
    ) -> bool:
        """Record the index state of published `version`; False when another one is live."""
        return await anyio.to_thread.run_sync(
            self._set_index_state, article_id, version, state, error
        )

    async def versions(self, article_id: str) -> builtins.list[ArticleVersion]:
        """Every version, oldest first."""
        return await anyio.to_thread.run_sync(self._versions, article_id)

    async def version(self, article_id: str, version: int) -> ArticleVersion:
        """One version."""
        return await anyio.to_thread.run_sync(self._version, article_id, version)

    async def published_versions(self) -> builtins.list[ArticleVersion]:
        """The live version of every published article, by article id."""
        return await anyio.to_thread.run_sync(self._published_versions)

    async def sources(self) -> dict[str, tuple[str, str]]:
        """(source, source hash) of every article, by id."""
        return await anyio.to_thread.run_sync(self._sources)

    def _create(
        self,
        article_id: str,
        content: ArticleContent,
        author: str,
        source: str,
        source_hash: str,
        note: str,
    ) -> StoredArticle:
        now = _now()
        try:
            with transaction(self._engine) as conn:
                conn.execute(
                    articles.insert().values(
                        id=article_id,
                        status=ArticleStatus.DRAFT.value,
                        current_version=1,
                        published_version=None,
                        source=source,
                        source_hash=source_hash,
                        created_at=now,
                        updated_at=now,
                        updated_by=author,
                        index_state=IndexState.INDEXED.value,
                        index_error="",
                    )
                )
                _insert_version(conn, article_id, 1, content, author, note, now)
                return _article_row(conn, article_id)
        except ConstraintViolation as exc:
            raise Conflict(
                f"an article with the id {article_id!r} already exists (ids are never reused, "
                "even after a delete); open it, or choose another id",
                "article_exists",
            ) from exc

    def _get(self, article_id: str) -> StoredArticle:
        with transaction(self._engine) as conn:
            return _article_row(conn, article_id)

    def _list(
        self, query: str, status: ArticleStatus | None, category: str, locale: str
    ) -> builtins.list[StoredArticle]:
        statement = _joined().order_by(articles.c.updated_at.desc(), articles.c.id)
        if status is None:
            statement = statement.where(articles.c.status != ArticleStatus.DELETED.value)
        else:
            statement = statement.where(articles.c.status == status.value)
        if category:
            statement = statement.where(article_versions.c.category == category)
        if locale:
            statement = statement.where(article_versions.c.locale == locale)
        if query.strip():
            pattern = f"%{query.strip().lower()}%"
            statement = statement.where(
                sa.func.lower(articles.c.id).like(pattern)
                | sa.func.lower(article_versions.c.title).like(pattern)
            )
        with transaction(self._engine) as conn:
            return [_stored(row) for row in conn.execute(statement).mappings()]

    def _save(
        self,
        article_id: str,
        content: ArticleContent,
        author: str,
        base_version: int,
        note: str,
        changes: dict[str, Any],
    ) -> StoredArticle:
        now = _now()
        with transaction(self._engine) as conn:
            # The WHERE on current_version is the lock: of two saves on the same base, the
            # database lets exactly one UPDATE match; the other sees rowcount 0.
            deleted = ArticleStatus.DELETED.value
            updated = conn.execute(
                sa.update(articles)
                .where(articles.c.id == article_id, articles.c.current_version == base_version)
                .values(
                    current_version=base_version + 1,
                    updated_at=now,
                    updated_by=author,
                    status=sa.case(
                        (articles.c.status == deleted, ArticleStatus.DRAFT.value),
                        else_=articles.c.status,
                    ),
                    **changes,
                )
            ).rowcount
            if not updated:
                current = _article_row(conn, article_id)
                raise Conflict(
                    f"{current.updated_by or 'someone'} saved version {current.current_version} "
                    f"at {current.updated_at:%Y-%m-%d %H:%M} UTC while you were editing version "
                    f"{base_version}; reload the article to see their changes, then apply "
                    "yours again (nothing was saved)",
                    "stale_version",
                )
            _insert_version(conn, article_id, base_version + 1, content, author, note, now)
            return _article_row(conn, article_id)

    def _publish(self, article_id: str, version: int, author: str) -> StoredArticle:
        with transaction(self._engine) as conn:
            _version_row(conn, article_id, version)
            conn.execute(
                sa.update(articles)
                .where(articles.c.id == article_id)
                .values(
                    status=ArticleStatus.PUBLISHED.value,
                    published_version=version,
                    index_state=IndexState.PENDING.value,
                    index_error="",
                    updated_at=_now(),
                    updated_by=author,
                )
            )
            return _article_row(conn, article_id)

    def _update(self, article_id: str, author: str, values: dict[str, Any]) -> StoredArticle:
        with transaction(self._engine) as conn:
            updated = conn.execute(
                sa.update(articles)
                .where(articles.c.id == article_id)
                .values(updated_at=_now(), updated_by=author, **values)
            ).rowcount
            if not updated:
                raise NotFound(f"no article {article_id!r}")
            return _article_row(conn, article_id)

    def _set_index_state(
        self, article_id: str, version: int, state: IndexState, error: str
    ) -> bool:
        with transaction(self._engine) as conn:
            updated = conn.execute(
                sa.update(articles)
                .where(
                    articles.c.id == article_id,
                    articles.c.status == ArticleStatus.PUBLISHED.value,
                    articles.c.published_version == version,
                )
                .values(index_state=state.value, index_error=error)
            ).rowcount
        return bool(updated)

    def _versions(self, article_id: str) -> builtins.list[ArticleVersion]:
        with transaction(self._engine) as conn:
            rows = (
                conn.execute(
                    sa.select(article_versions)
                    .where(article_versions.c.article_id == article_id)
                    .order_by(article_versions.c.version)
                )
                .mappings()
                .all()
            )
            if not rows:
                _article_row(conn, article_id)
        return [_version(row) for row in rows]

    def _version(self, article_id: str, version: int) -> ArticleVersion:
        with transaction(self._engine) as conn:
            return _version(_version_row(conn, article_id, version))

    def _published_versions(self) -> builtins.list[ArticleVersion]:
        statement = (
            sa.select(article_versions)
            .join(
                articles,
                (articles.c.id == article_versions.c.article_id)
                & (article_versions.c.version == articles.c.published_version),
            )
            .where(articles.c.status == ArticleStatus.PUBLISHED.value)
            .order_by(articles.c.id)
        )
        with transaction(self._engine) as conn:
            return [_version(row) for row in conn.execute(statement).mappings()]

    def _sources(self) -> dict[str, tuple[str, str]]:
        statement = sa.select(articles.c.id, articles.c.source, articles.c.source_hash)
        with transaction(self._engine) as conn:
            return {row.id: (row.source, row.source_hash) for row in conn.execute(statement)}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _joined() -> sa.Select[Any]:
    """Articles joined with their current version's content."""
    content = [article_versions.c[name] for name in _CONTENT]
    return sa.select(articles, *content).join(article_versions, _LIVE)


def _insert_version(
    conn: Connection,
    article_id: str,
    version: int,
    content: ArticleContent,
    author: str,
    note: str,
    now: dt.datetime,
) -> None:
    conn.execute(
        article_versions.insert().values(
            article_id=article_id,
            version=version,
            title=content.title,
            body=content.body,
            category=content.category,
            locale=content.locale,
            tags=list(content.tags),
            url=content.url,
            pages=list(content.pages),
            questions=list(content.questions),
            translation_of=content.translation_of,
            audience=list(content.audience),
            author=author,
            note=note,
            created_at=now,
        )
    )


def _article_row(conn: Connection, article_id: str) -> StoredArticle:
    row = conn.execute(_joined().where(articles.c.id == article_id)).mappings().first()
    if row is None:
        raise NotFound(f"no article {article_id!r}")
    return _stored(row)


def _version_row(conn: Connection, article_id: str, version: int) -> RowMapping:
    row = (
        conn.execute(
            sa.select(article_versions).where(
                article_versions.c.article_id == article_id,
                article_versions.c.version == version,
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        _article_row(conn, article_id)
        raise NotFound(f"article {article_id!r} has no version {version}")
    return row


def _content(row: RowMapping) -> ArticleContent:
    return ArticleContent(
        title=row["title"],
        body=row["body"],
        category=row["category"],
        locale=row["locale"],
        tags=tuple(row["tags"]),
        url=row["url"],
        pages=tuple(row["pages"]),
        questions=tuple(row["questions"]),
        translation_of=row["translation_of"],
        audience=tuple(row["audience"]),
    )


def _stored(row: RowMapping) -> StoredArticle:
    return StoredArticle(
        id=row["id"],
        status=ArticleStatus(row["status"]),
        content=_content(row),
        current_version=row["current_version"],
        published_version=row["published_version"],
        source=row["source"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        index_state=IndexState(row["index_state"]),
        index_error=row["index_error"],
    )


def _version(row: RowMapping) -> ArticleVersion:
    return ArticleVersion(
        article_id=row["article_id"],
        version=row["version"],
        content=_content(row),
        author=row["author"],
        note=row["note"],
        created_at=row["created_at"],
    )
