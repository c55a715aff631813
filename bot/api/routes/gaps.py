"""Content gaps and stale articles for editors (issue #6); editor or admin session token.

`GET /api/editor/gaps?days=30`, `POST /api/editor/gaps/{key}/cover`,
`GET /api/editor/stale` and `GET /api/editor/helpful?days=30` (the help center's
"Was this helpful?" votes); see `bot.helpcenter.review`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bot.api.deps import EditorDep, ServicesDep, editor_role, limit_ip

router = APIRouter(
    prefix="/api/editor", tags=["editor"], dependencies=[Depends(limit_ip), Depends(editor_role)]
)
DEFAULT_DAYS = 30
Days = Annotated[int, Query(ge=1, le=366, description="UTC days back, today included")]


class CoverIn(BaseModel):
    """The article that now answers the group's questions."""

    article_id: str = Field(min_length=1)
    days: int = Field(
        default=DEFAULT_DAYS, ge=1, le=366, description="The window the group was listed in."
    )


@router.get("/gaps")
async def gaps(services: ServicesDep, days: Days = DEFAULT_DAYS) -> dict[str, Any]:
    """Questions answered badly, refused, disliked or escalated, grouped by meaning."""
    return {"groups": [group.as_json() for group in await services.review.gaps(days)]}


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
    link = await services.review.cover(key, body.article_id, editor.name, body.days)
    return link.as_json()


@router.get("/stale")
async def stale(services: ServicesDep) -> dict[str, Any]:
    """Published articles not updated for long that answers still cite often, most cited first."""
    return {"articles": [article.as_json() for article in await services.review.stale()]}


@router.get("/helpful")
async def helpful(services: ServicesDep, days: Days = DEFAULT_DAYS) -> dict[str, Any]:
    """ "Was this helpful?" votes per article in the window, most "no" votes first."""
    ranked = await services.review.helpful(days)
    return {"articles": [{"article_id": key, **count.as_json()} for key, count in ranked]}
