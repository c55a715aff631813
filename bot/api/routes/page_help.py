"""Page-aware help for the widget (issue 21): `GET /api/suggestions?page=&locale=` lists the
questions and articles editors mapped to the customer's page (front matter `pages:`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from bot.api.deps import ServicesDep, limit_ip
from bot.helpcenter.page_help import MAX_PATH_CHARS

router = APIRouter(prefix="/api", tags=["widget"], dependencies=[Depends(limit_ip)])


class SuggestedArticle(BaseModel):
    """A help article mapped to the page."""

    id: str
    title: str
    url: str


class SuggestionsOut(BaseModel):
    """What the open widget offers before the customer types."""

    path: str
    questions: list[str]
    articles: list[SuggestedArticle]
    nudge_after_s: int


@router.get("/suggestions", response_model=SuggestionsOut)
async def suggestions(
    services: ServicesDep,
    page: Annotated[str, Query(max_length=MAX_PATH_CHARS, description="URL or path")] = "/",
    locale: Annotated[str, Query(max_length=35)] = "en",
) -> SuggestionsOut:
    """Suggested questions and articles for `page`; empty lists when none is mapped to it."""
    found = await services.page_help.suggestions(page, locale)
    return SuggestionsOut(
        path=found.path,
        questions=list(found.questions),
        articles=[SuggestedArticle(id=i, title=t, url=u) for i, t, u in found.articles],
        nudge_after_s=found.nudge_after_s,
    )
