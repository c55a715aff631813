"""The editor's "try it": ask a question against a draft and against the live help center."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, field_validator

from bot.api.deps import ServicesDep, editor_role, limit_ip
from bot.conversations.events import CitationOut

router = APIRouter(
    prefix="/api/editor",
    tags=["editor"],
    dependencies=[Depends(limit_ip), Depends(editor_role)],
)


class TryIn(BaseModel):
    """A question a customer might ask (checked like a customer's message)."""

    question: str


class AnswerOut(BaseModel):
    """The answer a customer would get: text, kind, confidence (0-1) and numbered sources."""

    model_config = ConfigDict(from_attributes=True)

    text: str
    kind: str
    confidence: float
    citations: list[CitationOut]

    @field_validator("confidence")
    @classmethod
    def _rounded(cls, confidence: float) -> float:
        return round(confidence, 4)


class TryOut(BaseModel):
    """The answer with the article's current draft beside the one customers get today."""

    draft: AnswerOut
    live: AnswerOut


@router.post("/articles/{article_id}/try", response_model=TryOut)
async def try_article(article_id: str, body: TryIn, services: ServicesDep) -> TryOut:
    """Answer `question` with this article's current version, and with the live articles.

    Nothing is stored and nobody is escalated to; the live indexes are not changed.
    """
    draft, live = await services.try_it.ask(article_id, body.question)
    return TryOut(draft=AnswerOut.model_validate(draft), live=AnswerOut.model_validate(live))
