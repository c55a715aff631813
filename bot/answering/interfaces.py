"""Protocols at the answering seams: the answer writer and the article search it reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from bot.answering.passages import AnswerRequest
from retrieval.types import Chunk, SearchResult


class Answerer(Protocol):
    """Writes the answer to a request from its passages, streamed in pieces.

    Citations are `[n]` markers referring to `request.passages[i].n`. Raises `LLMError`.
    """

    @property
    def name(self) -> str:
        """Backend and model, recorded with each answer."""
        ...

    @property
    def verbatim(self) -> bool:
        """True when every sentence is copied from a passage (grounded by construction)."""
        ...

    def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The answer text in pieces."""
        ...


class ArticleSearch(Protocol):
    """The articles the responder answers from: the live knowledge base, or a preview overlay.

    Synchronous (the responder calls it in a worker thread). Results are articles, best first,
    each with a relevance in [0, 1] comparable across implementations.
    """

    def search(
        self, query: str, k: int = 5, *, locale: str | None = None, plan: str | None = None
    ) -> list[SearchResult]:
        """The k best articles for `query`, within `locale` when given; with `plan` given,
        only articles for everyone and that plan ("" = for everyone only)."""
        ...

    def locales(self) -> frozenset[str]:
        """Locales that have at least one article."""
        ...

    def chunks_of(self, article_id: str, start: int, count: int) -> list[Chunk]:
        """The article's chunks from number `start`, up to `count` of them, in reading order;
        [] when it is not indexed."""
        ...
