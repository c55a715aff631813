"""The ChatModel protocol: what the answerers, the escalator and the judge need of a model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol


class ChatModel(Protocol):
    """A chat-completion language model (OpenAI-compatible or local).

    Messages are `{"role": "system"|"user"|"assistant", "content": str}` dicts. Raises
    `LLMTimeout` or `LLMError`; never returns partial output silently.
    """

    @property
    def model(self) -> str:
        """Model identifier, recorded with the turns it writes."""
        ...

    async def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        """The whole reply."""
        ...

    def stream(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> AsyncIterator[str]:
        """The reply in pieces as they are generated."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
