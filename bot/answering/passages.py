"""Numbered passages handed to an answerer, and the citations they become."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import quote

from bot.conversations.models import Citation, Role
from retrieval.types import Chunk, ScoredChunk, SearchResult

_STEP_NUMBER = re.compile(r"^\s*(\d+)[.)]\s+", re.MULTILINE)
_LAST_LINE_IN_LIST = re.compile(r"(?:^|\n)\s*(?:\d+[.)]|[-*])\s[^\n]*\s*$")


def help_url(article_id: str) -> str:
    """The help-center page of an article, relative to the API (`GET /help/{id}`)."""
    return f"/help/{quote(article_id, safe='')}"


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrieved article's best text; `n` is its citation number (from 1)."""

    n: int
    article_id: str
    title: str
    url: str
    section: str
    parts: tuple[tuple[str, str], ...]
    relevance: float
    chunk_id: str
    link: str = ""  # where its citation links; empty = its help-center page

    @property
    def text(self) -> str:
        """The passage's chunks in reading order."""
        return "\n".join(text for _, text in self.parts)

    def citation(self) -> Citation:
        """The citation shown to the customer for `[n]`: it links to the help-center page."""
        return Citation(
            n=self.n,
            article_id=self.article_id,
            title=self.title,
            url=self.link or help_url(self.article_id),
            chunk_id=self.chunk_id,
            section=self.section,
            snippet=self.text[:300],
            relevance=round(self.relevance, 4),
        )


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    """Everything an answerer may use: never more than the passages for facts."""

    question: str
    query: str
    passages: Sequence[Passage]
    history: Sequence[tuple[Role, str]]
    locale: str
    # Passage 1's article declares this very question (front matter `questions:`): the answer.
    declared: bool = False


def _position(chunk_id: str) -> int:
    tail = chunk_id.rpartition("#")[2]
    return int(tail) if tail.isdigit() else 0


def with_opening(result: SearchResult, opening: Sequence[Chunk]) -> SearchResult:
    """`result` with its article's `opening` chunks after its best one, as many chunks as it
    had (or the best and the opening, if more): the passage then reads as the article opens."""
    have = {c.chunk.id for c in result.chunks}
    added = [ScoredChunk(c, 0.0) for c in opening if c.id not in have]
    if not added or not result.chunks:
        return result
    chunks = (result.chunks[0], *added, *result.chunks[1:])
    return replace(result, chunks=chunks[: max(len(result.chunks), 1 + len(added))])


def article_result(chunks: Sequence[Chunk]) -> SearchResult:
    """An article as a search result read from its own `chunks` (at least one), fully relevant:
    the article that declares the customer's question, which the search did not find."""
    first = chunks[0]
    return SearchResult(
        first.article_id,
        first.title,
        first.url,
        first.locale,
        first.category,
        1.0,
        tuple(ScoredChunk(c, 1.0) for c in chunks),
    )


def cut_steps(result: SearchResult) -> list[int]:
    """Numbers of the chunks that follow `result`'s chunks ending inside a numbered list (a
    chunk boundary in a long list of steps), where `result` lacks them."""
    have = {_position(c.chunk.id) for c in result.chunks}
    after = [_position(c.chunk.id) + 1 for c in result.chunks if _ends_in_steps(c.chunk.text)]
    return [n for n in after if n not in have]


def with_rest_of_steps(result: SearchResult, found: Mapping[str, Chunk]) -> SearchResult:
    """`result` with the `found` chunks that carry on its numbered lists ("5. Restart your
    browser" after a chunk ending at step 4, in the same section)."""
    have = {c.chunk.id for c in result.chunks}
    added = [
        ScoredChunk(rest, 0.0)
        for scored in result.chunks
        if (rest := found.get(_next_id(scored.chunk.id))) is not None
        and rest.id not in have
        and rest.section == scored.chunk.section
        and carries_on(scored.chunk.text, rest.text)
    ]
    return replace(result, chunks=(*result.chunks, *added)) if added else result


def carries_on(steps: str, after: str) -> bool:
    """`after` opens with the step that follows the last numbered step of `steps`."""
    numbers = _STEP_NUMBER.findall(steps)
    first = _STEP_NUMBER.match(after)
    return bool(numbers) and first is not None and int(first.group(1)) == int(numbers[-1]) + 1


def _ends_in_steps(text: str) -> bool:
    return bool(_STEP_NUMBER.search(text)) and bool(_LAST_LINE_IN_LIST.search(text))


def _next_id(chunk_id: str) -> str:
    return f"{chunk_id.rpartition('#')[0]}#{_position(chunk_id) + 1}"


def passages_from(
    results: Sequence[SearchResult], limit: int, article_urls: bool = False
) -> list[Passage]:
    """One passage per article (its best chunks in reading order), numbered by rank; with
    `article_urls`, citations link to an article's own `url` (an external help center) where
    it has one, else to its help-center page here."""
    out = []
    for n, result in enumerate(results[:limit], start=1):
        chunks = sorted((c.chunk for c in result.chunks), key=lambda c: _position(c.id))
        out.append(
            Passage(
                n=n,
                article_id=result.article_id,
                title=result.title,
                url=result.url,
                section=result.best.section,
                parts=tuple((c.section, c.text) for c in chunks),
                relevance=result.relevance,
                chunk_id=result.best.id,
                link=result.url if article_urls else "",
            )
        )
    return out


def by_number(passages: Sequence[Passage]) -> Mapping[int, Passage]:
    """Passages keyed by citation number."""
    return {p.n: p for p in passages}
