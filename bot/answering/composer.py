"""Turns an answerer's raw stream into the text the customer sees, sentence by sentence.

Each complete sentence is grounding-checked (unless the answerer copies passages verbatim),
unsupported ones are dropped, and citation markers are rewritten to point at the passage that
supports the sentence, renumbered [1], [2], ... in order of first use.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace

import anyio

from bot.answering.grounding import Evidence, GroundingChecker, Verdict, strip_markers
from bot.answering.passages import Passage
from bot.conversations.models import Citation

# Sentence ends, but never between a sentence and its citation marker ("... once. [1]").
# Captured: a sentence that starts a new line after a list item starts a new paragraph.
_BOUNDARY = re.compile(r"((?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=\S)(?!\[\d)|\n+)")
_FINISHED = re.compile(r"[.!?:)\]*]\s*$")
_LIST_ITEM = re.compile(r"^\s*(\d+[.)]|[-*])\s+")


@dataclass(slots=True)
class Composition:
    """What was shown, with the grounding record."""

    parts: list[str] = field(default_factory=list)
    citations: dict[int, Citation] = field(default_factory=dict)
    substantive: int = 0
    supported: int = 0
    dropped: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The answer as shown."""
        return "".join(self.parts).strip()

    @property
    def grounded_ratio(self) -> float:
        """Share of substantive sentences that survived the check (1.0 if none were written)."""
        return self.supported / self.substantive if self.substantive else 0.0


class Composer:
    """Checks and renumbers one answer; feed it pieces, read shown text back."""

    def __init__(
        self,
        passages: Sequence[Passage],
        checker: GroundingChecker,
        *,
        verbatim: bool,
        evidence: Evidence | None = None,
    ) -> None:
        self._passages = list(passages)
        self._by_n = {p.n: p for p in passages}
        self._checker = checker
        self.verbatim = verbatim
        self._evidence = evidence
        self._numbers: dict[int, int] = {}
        self.result = Composition()
        self._new_line = False  # the next sentence starts a line of its own
        self._after_item = False  # the last sentence shown is (in) a list item

    async def feed(self, pieces: AsyncIterator[str]) -> AsyncIterator[str]:
        """Shown text for each complete, supported sentence of the stream."""
        buffer = ""
        async for piece in pieces:
            buffer += piece
            *complete, buffer = _BOUNDARY.split(buffer)
            for sentence, boundary in zip(complete[::2], complete[1::2], strict=True):
                shown = await self._accept(sentence)
                self._new_line = "\n" in boundary
                if shown:
                    yield shown
        if buffer.strip():
            if not self.verbatim and not _FINISHED.search(buffer):
                self.result.dropped.append(f"{buffer.strip()} (cut off)")
                return
            shown = await self._accept(buffer)
            if shown:
                yield shown

    async def _accept(self, raw: str) -> str:
        raw = raw.strip()
        if not strip_markers(raw)[0]:
            return ""
        if self.verbatim:
            plain, markers = strip_markers(raw)
            source = self._by_n.get(markers[-1]) if markers else None
            self.result.substantive += 1
            self.result.supported += 1
            return self._show(plain, source)
        if self._evidence is None:
            self._evidence = await anyio.to_thread.run_sync(
                self._checker.prepare, [p.text for p in self._passages]
            )
        verdict: Verdict = await anyio.to_thread.run_sync(self._checker.check, raw, self._evidence)
        if verdict.reason == "filler":
            return self._show(verdict.sentence, None)
        self.result.substantive += 1
        if not verdict.supported or verdict.passage is None:
            self.result.dropped.append(f"{verdict.sentence} ({verdict.reason})")
            return ""
        self.result.supported += 1
        return self._show(verdict.sentence, self._passages[verdict.passage])

    def _show(self, sentence: str, source: Passage | None) -> str:
        sentence = " ".join(sentence.split())
        text = sentence
        if source is not None:
            shown_n = self._numbers.setdefault(source.n, len(self._numbers) + 1)
            if shown_n not in self.result.citations:
                citation = source.citation()
                self.result.citations[shown_n] = replace(citation, n=shown_n)
            text = f"{sentence} [{shown_n}]"
        item = bool(_LIST_ITEM.match(sentence))
        separator = "\n" if item else "\n\n" if self._after_item and self._new_line else " "
        self._after_item = item or (self._after_item and not self._new_line)
        if not self.result.parts:
            separator = ""
        self.result.parts.append(separator + text)
        return separator + text

    def add_plain(self, text: str) -> str:
        """Append text that needs no check (fixed bot messages); returns what is shown."""
        separator = "\n\n" if self.result.parts else ""
        self.result.parts.append(separator + text)
        return separator + text
