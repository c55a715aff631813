"""Contract of `ArticleStore`, run against every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.db.database import open_database
from bot.db.sql_articles import SqlArticleStore
from bot.errors import Conflict, NotFound
from bot.helpcenter.articles import ArticleContent, ArticleStatus, IndexState

pytestmark = pytest.mark.anyio

CONTENT = ArticleContent(
    title="Reset your password",
    body="Open the login page and choose **Forgot password**.",
    category="account",
    locale="en",
    tags=("login", "password"),
    url="https://help.example/reset",
)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlArticleStore]:
    """An open article store on a migrated database."""
    database = open_database(store_url)
    yield database.articles
    await database.conversations.aclose()


def new_id() -> str:
    """An id no other test uses (the PostgreSQL database is shared by the session)."""
    return f"art-{uuid.uuid4().hex[:12]}"


async def test_create_get_and_versions(store: SqlArticleStore) -> None:
    article_id = new_id()
    created = await store.create(article_id, CONTENT, author="ana", note="first")
    assert created.status is ArticleStatus.DRAFT
    assert (created.current_version, created.published_version) == (1, None)
    assert created.content == CONTENT
    assert created.source == "app" and created.updated_by == "ana"
    assert created.has_unpublished_changes
    assert await store.get(article_id) == created
    [first] = await store.versions(article_id)
    assert (first.version, first.author, first.note, first.content) == (1, "ana", "first", CONTENT)
    assert await store.version(article_id, 1) == first


async def test_ids_are_never_reused(store: SqlArticleStore) -> None:
    article_id = new_id()
    await store.create(article_id, CONTENT, author="ana")
    await store.withdraw(article_id, ArticleStatus.DELETED, author="ana")
    with pytest.raises(Conflict) as caught:
        await store.create(article_id, CONTENT, author="ben")
    assert caught.value.code == "article_exists"
    assert "already exists" in str(caught.value)


async def test_unknown_ids_and_versions_are_not_found(store: SqlArticleStore) -> None:
    with pytest.raises(NotFound):
        await store.get("no-such-article")
    with pytest.raises(NotFound):
        await store.versions("no-such-article")
    with pytest.raises(NotFound):
        await store.save("no-such-article", CONTENT, author="ana", base_version=1)
    article_id = new_id()
    await store.create(article_id, CONTENT, author="ana")
    with pytest.raises(NotFound, match="no version 7"):
        await store.version(article_id, 7)
    with pytest.raises(NotFound):
        await store.publish(article_id, 7, author="ana")


async def test_save_on_a_stale_version_is_refused_and_names_the_other_editor(
    store: SqlArticleStore,
) -> None:
    article_id = new_id()
    await store.create(article_id, CONTENT, author="ana")
    edited = ArticleContent(title="Reset it", body="New steps.")
    saved = await store.save(article_id, edited, author="ben", base_version=1)
    assert (saved.current_version, saved.content, saved.updated_by) == (2, edited, "ben")
    with pytest.raises(Conflict) as caught:
        await store.save(article_id, CONTENT, author="cleo", base_version=1)
    assert caught.value.code == "stale_version"
    assert "ben saved version 2" in str(caught.value) and "reload" in str(caught.value)
    assert [v.author for v in await store.versions(article_id)] == ["ana", "ben"]


async def test_concurrent_saves_on_one_base_exactly_one_wins(store: SqlArticleStore) -> None:
    article_id = new_id()
    await store.create(article_id, CONTENT, author="ana")

    async def save(n: int) -> str:
        content = ArticleContent(title=f"edit {n}", body=f"body {n}")
        try:
            await store.save(article_id, content, author=f"editor{n}", base_version=1)
        except Conflict:
            return "conflict"
        return "saved"

    outcomes = await asyncio.gather(*(save(n) for n in range(6)))
    assert sorted(outcomes) == ["conflict"] * 5 + ["saved"]
    assert [v.version for v in await store.versions(article_id)] == [1, 2]


async def test_publish_withdraw_and_index_state(store: SqlArticleStore) -> None:
    article_id = new_id()
    await store.create(article_id, CONTENT, author="ana")
    published = await store.publish(article_id, 1, author="ana")
    assert published.status is ArticleStatus.PUBLISHED
    assert (published.published_version, published.index_state) == (1, IndexState.PENDING)
    assert not published.has_unpublished_changes
    draft = await store.save(
        article_id, ArticleContent("New", "Changed"), author="b", base_version=1
    )
    assert draft.status is ArticleStatus.PUBLISHED and draft.has_unpublished_changes
    live = {v.article_id: v for v in await store.published_versions()}
    assert live[article_id].version == 1 and live[article_id].content == CONTENT

    assert not await store.set_index_state(article_id, 2, IndexState.INDEXED)
    assert await store.set_index_state(article_id, 1, IndexState.FAILED, "chroma is down")
    failed = await store.get(article_id)
    assert (failed.index_state, failed.index_error) == (IndexState.FAILED, "chroma is down")

    gone = await store.withdraw(article_id, ArticleStatus.UNPUBLISHED, author="cleo")
    assert (gone.status, gone.published_version) == (ArticleStatus.UNPUBLISHED, None)
    assert article_id not in {v.article_id for v in await store.published_versions()}


async def test_deleted_articles_are_listed_only_on_request_and_come_back_as_drafts(
    store: SqlArticleStore,
) -> None:
    article_id = new_id()
    await store.create(article_id, CONTENT, author="ana")
    deleted = await store.withdraw(article_id, ArticleStatus.DELETED, author="ana")
    assert deleted.status is ArticleStatus.DELETED
    assert article_id not in {a.id for a in await store.list()}
    assert article_id in {a.id for a in await store.list(status=ArticleStatus.DELETED)}
    revived = await store.save(article_id, CONTENT, author="ana", base_version=1)
    assert revived.status is ArticleStatus.DRAFT


async def test_list_filters(store: SqlArticleStore) -> None:
    tag = uuid.uuid4().hex[:8]
    english = new_id()
    spanish = new_id()
    await store.create(english, ArticleContent(f"Refunds {tag}", "b", category=tag), author="a")
    await store.create(
        spanish, ArticleContent(f"Reembolsos {tag}", "b", category=tag, locale="es"), author="a"
    )
    await store.publish(spanish, 1, author="a")
    assert {a.id for a in await store.list(category=tag)} == {english, spanish}
    assert [a.id for a in await store.list(category=tag, locale="es")] == [spanish]
    assert [a.id for a in await store.list(query=f"REFUNDS {tag}")] == [english]
    assert [a.id for a in await store.list(query=spanish.upper())] == [spanish]
    published = await store.list(category=tag, status=ArticleStatus.PUBLISHED)
    assert [a.id for a in published] == [spanish]
    listed = await store.list(category=tag)
    assert listed[0].id == spanish  # newest update first


async def test_sources_and_hashes(store: SqlArticleStore) -> None:
    article_id = new_id()
    await store.create(article_id, CONTENT, author="kb", source="file:kb/a.md", source_hash="h1")
    assert (await store.sources())[article_id] == ("file:kb/a.md", "h1")
    await store.save(
        article_id, CONTENT, author="kb", base_version=1, source="file:kb/b.md", source_hash="h2"
    )
    assert (await store.sources())[article_id] == ("file:kb/b.md", "h2")
    await store.withdraw(article_id, ArticleStatus.UNPUBLISHED, author="kb", source_hash="")
    assert (await store.sources())[article_id] == ("file:kb/b.md", "")
