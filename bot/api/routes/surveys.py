"""Customer surveys of a conversation: NPS (0-10 and a comment), at most once per customer per
`analytics.nps_period_days` (issue 21). CSAT stays on the feedback endpoint of `chat`."""

from __future__ import annotations

import datetime as dt

import anyio
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import ConversationDep, ServicesDep, limit_ip
from bot.reporting.nps import MAX_COMMENT_CHARS, MAX_SCORE, MIN_SCORE
from bot.wiring import Services

router = APIRouter(prefix="/api", tags=["surveys"], dependencies=[Depends(limit_ip)])


class NpsIn(BaseModel):
    """An answer to "How likely are you to recommend us to a friend?"."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=MIN_SCORE, le=MAX_SCORE, description="0 (not at all) to 10 (very)")
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS, description="Plain text")


class NpsDueOut(BaseModel):
    """Whether the widget should ask this conversation's customer the NPS question."""

    due: bool
    period_days: int


def _period(services: Services) -> dt.timedelta:
    return dt.timedelta(days=services.settings.analytics.nps_period_days)


@router.get("/conversations/{conversation_id}/nps", response_model=NpsDueOut)
async def nps_due(conversation: ConversationDep, services: ServicesDep) -> NpsDueOut:
    """Whether the customer has not answered the NPS survey within the period."""
    due = await anyio.to_thread.run_sync(
        services.database.surveys.nps_due, conversation.id, _period(services)
    )
    return NpsDueOut(due=due, period_days=services.settings.analytics.nps_period_days)


@router.post(
    "/conversations/{conversation_id}/nps",
    status_code=204,
    responses={409: {"description": "The customer already answered within the period."}},
)
async def answer_nps(conversation: ConversationDep, body: NpsIn, services: ServicesDep) -> Response:
    """The customer's NPS answer; 409 when they already answered within the period."""
    await anyio.to_thread.run_sync(
        services.database.surveys.answer_nps,
        conversation.id,
        body.score,
        body.comment.strip(),
        _period(services),
    )
    return Response(status_code=204)
