"""ChatModel over any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp) via `openai`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import openai

from bot.errors import LLMError, LLMTimeout


class OpenAIChatModel:
    """Chat completions with timeouts and retries (the SDK's exponential backoff)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        timeout_s: float,
        max_retries: int,
        temperature: float,
    ) -> None:
        self._client = openai.AsyncOpenAI(
            base_url=base_url or None,
            api_key=api_key or "not-needed",
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self._model = model
        self._temperature = temperature
        self._where = base_url or "api.openai.com"

    @property
    def model(self) -> str:
        """Model name sent to the server."""
        return self._model

    def _request(self, messages: Sequence[Mapping[str, str]], max_tokens: int) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": self._temperature,
        }

    def _error(self, exc: Exception) -> LLMError:
        if isinstance(exc, openai.APITimeoutError):
            return LLMTimeout(f"the LLM at {self._where} did not answer in time")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"cannot reach the LLM at {self._where}: {exc}")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(f"the LLM at {self._where} answered HTTP {exc.status_code}")
        return LLMError(f"the LLM at {self._where} failed: {exc}")

    async def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        """The whole reply."""
        try:
            response = await self._client.chat.completions.create(
                **self._request(messages, max_tokens)
            )
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        if not response.choices:
            raise LLMError(f"the LLM at {self._where} returned no choices")
        return response.choices[0].message.content or ""

    async def stream(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> AsyncIterator[str]:
        """The reply as it is generated."""
        try:
            stream = await self._client.chat.completions.create(
                **self._request(messages, max_tokens), stream=True
            )
            async with stream:  # an abandoned stream (a deadline) closes its connection
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.close()
