"""An optional LLM judge: faithfulness and relevance (1-5) from a Jinja rubric, as JSON.

Off by default; `supportbot eval answers --judge` turns it on when an OpenAI-compatible
endpoint is configured. A reply that is not the asked-for JSON counts as a judge failure,
never as a score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, Field, ValidationError

from bot.errors import LLMError
from bot.llm.interfaces import ChatModel

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
JUDGE_MAX_TOKENS = 200


class JudgeVerdict(BaseModel):
    """The judge model's structured output (validated at this edge)."""

    faithfulness: int = Field(ge=1, le=5)
    relevance: int = Field(ge=1, le=5)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class JudgeScores:
    """One graded answer."""

    faithfulness: int
    relevance: int
    reason: str


@dataclass(frozen=True, slots=True)
class Source:
    """A cited passage shown to the judge."""

    n: int
    title: str
    text: str


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(PROMPTS_DIR),
        undefined=StrictUndefined,
        autoescape=False,  # a plain-text prompt, never HTML
        keep_trailing_newline=True,
    )


def render_prompt(question: str, answer: str, sources: Sequence[Source], reference: str) -> str:
    """The judge prompt (evals/prompts/judge.j2)."""
    return (
        _environment()
        .get_template("judge.j2")
        .render(question=question, answer=answer, sources=list(sources), reference=reference)
    )


def parse_verdict(reply: str) -> JudgeScores | None:
    """The scores in a judge reply (the first JSON object in it), or None if malformed."""
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        verdict = JudgeVerdict.model_validate(json.loads(reply[start : end + 1]))
    except (ValueError, ValidationError):
        return None
    return JudgeScores(verdict.faithfulness, verdict.relevance, verdict.reason.strip())


class Judge:
    """Grades answers with a chat model."""

    def __init__(self, model: ChatModel, max_tokens: int = JUDGE_MAX_TOKENS) -> None:
        self._model = model
        self._max_tokens = max_tokens

    async def score(
        self, question: str, answer: str, sources: Sequence[Source], reference: str = ""
    ) -> JudgeScores | None:
        """The verdict on one answer; None when the model fails or replies malformed."""
        prompt = render_prompt(question, answer, sources, reference)
        try:
            reply = await self._model.complete(
                [{"role": "user", "content": prompt}], max_tokens=self._max_tokens
            )
        except LLMError:
            return None
        return parse_verdict(reply)
