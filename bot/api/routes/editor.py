"""Editor API: articles, versions, diffs, publishing (editor or admin session token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from bot.api.deps import EditorDep, ServicesDep, limit_ip
from bot.api.schemas.chat import MAX_INT
from bot.api.schemas.editor import (
    ArticleIn,
    ArticleListOut,
    ArticleOut,
    ArticleUpdate,
    DiffOut,
    PublishIn,
    RestoreIn,
    VersionOut,
    VersionsOut,
)
from bot.helpcenter.articles import ArticleStatus
from escalation.types import Agent

router = APIRouter(prefix="/api/editor", tags=["editor"], dependencies=[Depends(limit_ip)])


def author(agent: Agent) -> str:
    """How an editor is named in the version history."""
    return agent.display_name or agent.name


@router.get("/articles", response_model=ArticleListOut)
async def list_articles(
    services: ServicesDep,
    editor: EditorDep,
    q: Annotated[str, Query(max_length=200)] = "",
    status: ArticleStatus | None = None,
    category: Annotated[str, Query(max_length=200)] = "",
    locale: Annotated[str, Query(max_length=35)] = "",
) -> ArticleListOut:
    """Articles matching the filters (deleted ones only with status=deleted)."""
    found = await services.editor.list(q, status, category, locale)
    return ArticleListOut(articles=[ArticleOut.of(a) for a in found])


@router.post("/articles", response_model=ArticleOut, status_code=201)
async def create_article(body: ArticleIn, services: ServicesDep, editor: EditorDep) -> ArticleOut:
    """A new draft (409 article_exists when the id is taken)."""
    created = await services.editor.create(body.id, body.content(), author=author(editor))
    return ArticleOut.of(created)


@router.get("/articles/{article_id}", response_model=ArticleOut)
async def get_article(article_id: str, services: ServicesDep, editor: EditorDep) -> ArticleOut:
    """One article with its current version."""
    return ArticleOut.of(await services.editor.get(article_id))


@router.put("/articles/{article_id}", response_model=ArticleOut)
async def save_article(
    article_id: str, body: ArticleUpdate, services: ServicesDep, editor: EditorDep
) -> ArticleOut:
    """Save a new version (409 stale_version when someone saved since `base_version`)."""
    saved = await services.editor.save(
        article_id, body.content(), author=author(editor), base_version=body.base_version
    )
    return ArticleOut.of(saved)


@router.delete("/articles/{article_id}", response_model=ArticleOut)
async def delete_article(article_id: str, services: ServicesDep, editor: EditorDep) -> ArticleOut:
    """Delete the article: out of the bot's answers before this returns; versions are kept."""
    return ArticleOut.of(await services.editor.delete(article_id, author=author(editor)))


@router.post("/articles/{article_id}/publish", response_model=ArticleOut, status_code=202)
async def publish_article(
    article_id: str,
    services: ServicesDep,
    editor: EditorDep,
    body: PublishIn | None = None,
) -> ArticleOut:
    """Publish a version; indexing runs in the background (watch `index_state`)."""
    version = body.version if body else None
    published = await services.editor.publish(article_id, author=author(editor), version=version)
    return ArticleOut.of(published)


@router.post("/articles/{article_id}/unpublish", response_model=ArticleOut)
async def unpublish_article(
    article_id: str, services: ServicesDep, editor: EditorDep
) -> ArticleOut:
    """Take the article off the help center: never cited again once this returns."""
    return ArticleOut.of(await services.editor.unpublish(article_id, author=author(editor)))


@router.get("/articles/{article_id}/versions", response_model=VersionsOut)
async def list_versions(article_id: str, services: ServicesDep, editor: EditorDep) -> VersionsOut:
    """Every version, oldest first."""
    versions = await services.editor.versions(article_id)
    return VersionsOut(versions=[VersionOut.of(v) for v in versions])


@router.get("/articles/{article_id}/versions/{version}", response_model=VersionOut)
async def get_version(
    article_id: str,
    version: Annotated[int, Path(ge=1, le=MAX_INT)],
    services: ServicesDep,
    editor: EditorDep,
) -> VersionOut:
    """One version."""
    return VersionOut.of(await services.editor.version(article_id, version))


@router.get("/articles/{article_id}/diff")
async def diff_versions(
    article_id: str,
    services: ServicesDep,
    editor: EditorDep,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_INT)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_INT)],
) -> Response:
    """A unified diff between two versions, as JSON `{article_id, from, to, diff}`."""
    text = await services.editor.diff(article_id, from_version, to_version)
    out = DiffOut(
        article_id=article_id, from_version=from_version, to_version=to_version, diff=text
    )
    return Response(out.model_dump_json(by_alias=True), media_type="application/json")


@router.post("/articles/{article_id}/restore", response_model=ArticleOut)
async def restore_version(
    article_id: str, body: RestoreIn, services: ServicesDep, editor: EditorDep
) -> ArticleOut:
    """A new version copying an old one; a draft until published."""
    restored = await services.editor.restore(
        article_id, body.version, author=author(editor), base_version=body.base_version
    )
    return ArticleOut.of(restored)
