"""The extractive answerer: no generative model, the best passage sentences with citations.

Passages are split into units (sentences; a numbered list of steps stays whole), scored
against the question with the embedder already loaded for retrieval, and the best units are
composed in reading order. It cannot invent anything: every word comes from an article.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
import numpy as np

from bot.grounding import split_sentences
from bot.passages import AnswerRequest, Passage
from bot.prompting import PromptBuilder
from retrieval.interfaces import Embedder
from retrieval.stopwords import content_terms

_STEP = re.compile(r"^\s*\d+[.)]\s+")
_MAX_PASSAGES = 2
_SCORE_MARGIN = 0.08
_MIN_SCORE = 0.3


_BULLET = re.compile(r"^\s*[-*]\s+")
_DUPLICATE = 0.9


@dataclass(frozen=True, slots=True)
class _Unit:
    text: str
    section: str
    n: int
    order: int

    @property
    def shown(self) -> str:
        """The unit as quoted: a bullet gets its section name, which it often depends on."""
        if _BULLET.match(self.text) and self.section:
            heading = self.section.rpartition(" > ")[2]
            return f"**{heading}**: {_BULLET.sub('', self.text)}"
        return self.text

    @property
    def scored(self) -> str:
        """What is compared with the question: the section path gives the unit its context."""
        return f"{self.section}: {self.text}" if self.section else self.text


def _table_rows(lines: list[str]) -> list[str]:
    """Markdown table rows as sentences `Header: cell, Header: cell.` (header row first)."""
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    rows = [r for r in cells if not all(re.fullmatch(r":?-{2,}:?", c) for c in r if c)]
    if len(rows) < 2:
        return []
    header = rows[0]
    return [
        ", ".join(f"{h}: {c}" for h, c in zip(header, row, strict=False) if c and c != "—") + "."
        for row in rows[1:]
    ]


def _lines(text: str) -> list[str]:
    """Lines of a chunk with markdown tables turned into one sentence per row."""
    out: list[str] = []
    table: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        if table:
            out.extend(_table_rows(table))
            table = []
        out.append(line)
    return out


def units_of(passage: Passage) -> list[_Unit]:
    """Sentences and bullets of a passage; consecutive numbered steps form one unit."""
    units: list[_Unit] = []
    for section, text in passage.parts:
        steps: list[str] = []
        for line in _lines(text):
            if _STEP.match(line):
                steps.append(line.strip())
                continue
            if steps:
                units.append(_Unit("\n".join(steps), section, passage.n, len(units)))
                steps = []
            for sentence in split_sentences(line):
                if (
                    len(sentence.split()) >= 4
                    and not sentence.endswith(("?", ":"))
                    and "|" not in sentence
                ):
                    units.append(_Unit(sentence, section, passage.n, len(units)))
    return units


class ExtractiveAnswerer:
    """Answerer that quotes the help center (the embedded default)."""

    def __init__(self, embedder: Embedder, prompts: PromptBuilder, max_words: int) -> None:
        self._embedder = embedder
        self._prompts = prompts
        self._max_words = max_words

    @property
    def name(self) -> str:
        """Backend name."""
        return "extractive"

    @property
    def verbatim(self) -> bool:
        """Every sentence comes from a passage."""
        return True

    def compose(self, request: AnswerRequest) -> str:
        """The whole answer (empty when no passage has a usable sentence)."""
        units = [u for p in request.passages[:_MAX_PASSAGES] for u in units_of(p)]
        if not units:
            return ""
        vectors = self._embedder.embed_documents([u.scored for u in units])
        # A follow-up is scored against its own words as much as against the rewritten query.
        scores = vectors @ self._embedder.embed_query(request.query)
        if request.question != request.query:
            scores = (scores + vectors @ self._embedder.embed_query(request.question)) / 2
        terms = set(content_terms(request.query))
        for i, unit in enumerate(units):
            unit_terms = set(content_terms(unit.text))
            overlap = len(terms & unit_terms) / len(terms) if terms else 0.0
            scores[i] += 0.1 * overlap + (0.05 if unit.n == request.passages[0].n else 0.0)
        ranked = [int(i) for i in np.argsort(-scores)]
        best = float(scores[ranked[0]])
        chosen: list[int] = []
        words = 0
        for i in ranked:
            if chosen and (scores[i] < max(best - _SCORE_MARGIN, _MIN_SCORE)):
                break
            size = len(units[i].text.split())
            repeats = chosen and float(np.max(vectors[chosen] @ vectors[i])) > _DUPLICATE
            if chosen and (repeats or words + size > self._max_words):
                continue
            chosen.append(i)
            words += size
        picked = [units[i] for i in chosen]
        first_n = picked[0].n
        picked.sort(key=lambda u: (u.n != first_n, u.n, u.order))
        return self._prompts.extractive([{"text": u.shown, "n": u.n} for u in picked])

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The answer, one line at a time."""
        answer = await anyio.to_thread.run_sync(self.compose, request)
        for line in answer.splitlines(keepends=True):
            yield line
