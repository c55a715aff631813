"""The generative answerer: a ChatModel prompted with the passages (checked by grounding)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.answering.passages import AnswerRequest
from bot.answering.prompting import PromptBuilder
from bot.llm.interfaces import ChatModel


class GenerativeAnswerer:
    """Answerer that asks a language model to answer from the numbered passages."""

    def __init__(self, model: ChatModel, prompts: PromptBuilder, max_tokens: int) -> None:
        self._model = model
        self._prompts = prompts
        self._max_tokens = max_tokens

    @property
    def name(self) -> str:
        """The model's name."""
        return f"llm:{self._model.model}"

    @property
    def verbatim(self) -> bool:
        """Generated text must go through the grounding check."""
        return False

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The model's answer as it is generated."""
        messages = self._prompts.answer_messages(request)
        async for piece in self._model.stream(messages, max_tokens=self._max_tokens):
            yield piece
