"""Content gaps and stale articles for editors (issue #6); editor or admin session token.

`GET /api/editor/gaps?days=30`, `POST /api/editor/gaps/{key}/cover`,
`GET /api/editor/stale` and `GET /api/editor/helpful?days=30` (the help center's
"Was this helpful?" votes); see `bot.helpcenter.gaps`, `bot.helpcenter.stale` and
`bot.helpcenter.help_portal`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bot.api.deps import EditorDep, ServicesDep, editor_role, limit_ip
from bot.db.sql_gaps import SqlGapStore
from bot.helpcenter.articles import ArticleStatus
from bot.helpcenter.gaps import ContentGaps
from bot.helpcenter.stale import find_stale
from bot.reporting.resolution import Rules
from bot.wiring import Services

router = APIRouter(
    prefix="/api/editor", tags=["editor"], dependencies=[Depends(limit_ip), Depends(editor_role)]
)
DEFAULT_DAYS = 30
Days = Annotated[int, Query(ge=1, le=366, description="UTC days back, today included")]
T = TypeVar("T")


class CoverIn(BaseModel):
    """The article that now answers the group's questions."""

    article_id: str = Field(min_length=1)
    days: int = Field(
        default=DEFAULT_DAYS, ge=1, le=366, description="The window the group was listed in."
    )


async def _with_store(services: Services, work: Callable[[SqlGapStore], T]) -> T:
    # The work embeds questions too, so it runs in a worker thread.
    return await anyio.to_thread.run_sync(work, services.database.gaps)


def _gaps(services: Services, store: SqlGapStore) -> ContentGaps:
    settings = services.settings
    return ContentGaps(store, services.kb.embedder, settings.editor, Rules.of(settings))


@router.get("/gaps")
async def gaps(services: ServicesDep, days: Days = DEFAULT_DAYS) -> dict[str, Any]:
    """Questions answered badly, refused, disliked or escalated, grouped by meaning."""
    groups = await _with_store(services, lambda store: _gaps(services, store).groups(days))
    return {"groups": [group.as_json() for group in groups]}


@router.post("/gaps/{key}/cover")
async def cover(
    key: str,
    body: CoverIn,
    services: ServicesDep,
    editor: EditorDep,
) -> dict[str, Any]:
    """Mark the group as covered by an article; later similar questions stay covered.

    404 for an unknown (or deleted) article or a key not among the window's groups.
    """
    article = await services.editor.get(body.article_id)
    link = await _with_store(
        services,
        lambda store: _gaps(services, store).cover(key, article, editor.name, days=body.days),
    )
    return link.as_json()


@router.get("/stale")
async def stale(services: ServicesDep) -> dict[str, Any]:
    """Published articles not updated for long that answers still cite often, most cited first."""
    published = await services.editor.list(status=ArticleStatus.PUBLISHED)
    found = await _with_store(
        services, lambda store: find_stale(store, published, services.settings.editor)
    )
    return {"articles": [article.as_json() for article in found]}


@router.get("/helpful")
async def helpful(services: ServicesDep, days: Days = DEFAULT_DAYS) -> dict[str, Any]:
    """ "Was this helpful?" votes per article in the window, most "no" votes first."""
    counts = await services.help_portal.vote_counts(days)
    ranked = sorted(counts.items(), key=lambda item: (-item[1].not_helpful, item[0]))
    return {"articles": [{"article_id": key, **count.as_json()} for key, count in ranked]}
