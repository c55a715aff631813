"""Test doubles that satisfy our Protocols (used only where a test is about something else)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence

from retrieval.types import Chunk, ScoredChunk, SearchResult


class ScriptedLLM:
    """A ChatModel that plays queued replies (or raises queued errors) and records prompts."""

    def __init__(self, *replies: str | Exception) -> None:
        self._replies = list(replies)
        self.calls: list[list[dict[str, str]]] = []

    @property
    def model(self) -> str:
        """Name recorded with answers."""
        return "scripted"

    def _next(self, messages: Sequence[Mapping[str, str]]) -> str:
        self.calls.append([dict(m) for m in messages])
        reply = self._replies.pop(0) if self._replies else ""
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        """The next scripted reply."""
        return self._next(messages)

    async def stream(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> AsyncIterator[str]:
        """The next scripted reply, a few characters at a time."""
        reply = self._next(messages)
        for start in range(0, len(reply), 7):
            yield reply[start : start + 7]

    async def aclose(self) -> None:
        """Nothing to release."""


def search_result(
    article_id: str, relevance: float = 0.5, *, text: str = "", title: str = "", locale: str = "en"
) -> SearchResult:
    """A one-chunk search result (title and text default to the id)."""
    chunk = Chunk(
        id=f"{article_id}#0",
        article_id=article_id,
        title=title or article_id,
        section="",
        text=text or article_id,
        url="",
        locale=locale,
        category="",
        tokens=len((text or article_id).split()),
        content_hash="",
    )
    return SearchResult(
        article_id, title or article_id, "", locale, "", relevance, (ScoredChunk(chunk, 1),)
    )
