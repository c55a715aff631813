"""Grounding check: every answer sentence must be supported by a retrieved passage.

A sentence is supported when each number it states (with its unit: "30 minutes" is not
"30 days") appears in the passages, and it is close in meaning to a passage sentence
(embedding cosine), or moderately close while sharing most of its content words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.settings import GroundingConfig
from retrieval.interfaces import Embedder, Vectors
from retrieval.stopwords import content_terms

MARKER = re.compile(r"\s*\[(\d{1,2})\]")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s+")
# A sentence ends at . ! ? before a capital, but not after a list number ("1. Open ...").
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"'”)]))(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=[\"'(¿¡*]?[A-Z0-9ÁÉÍÓÚÑ])"
)
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_UNIT = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(?:-\s*)?(business days?|minutes?|hours?|days?|weeks?|months?|years?|"
    r"%|percent|minutos?|horas?|días?|dias?|semanas?|meses|mes|años?)",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of `text`, in order, without empty pieces."""
    pieces: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            pieces.extend(p.strip() for p in _SENTENCE_END.split(line) if p.strip())
    return pieces


def strip_markers(sentence: str) -> tuple[str, list[int]]:
    """The sentence without `[n]` markers, and the marker numbers in order."""
    return MARKER.sub("", sentence).strip(), [int(n) for n in MARKER.findall(sentence)]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _quantities(text: str) -> set[tuple[str, str]]:
    out = set()
    for value, unit in _UNIT.findall(text):
        unit = unit.lower().rstrip("s")
        if unit.startswith("business"):
            unit = "business day"
        out.add((value.replace(",", "."), unit))
    return out


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True, slots=True)
class Verdict:
    """The grounding decision for one answer sentence."""

    sentence: str
    supported: bool
    passage: int | None
    similarity: float
    overlap: float
    reason: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """Passage sentences prepared (embedded) once per answer."""

    sentences: tuple[str, ...]
    owners: tuple[int, ...]
    vectors: Vectors
    numbers: frozenset[str]
    quantities: frozenset[tuple[str, str]]
    terms: tuple[frozenset[str], ...]


class GroundingChecker:
    """Checks answer sentences against the passages they may cite."""

    def __init__(self, embedder: Embedder, config: GroundingConfig) -> None:
        self._embedder = embedder
        self._config = config

    def prepare(self, passages: Sequence[str]) -> Evidence:
        """Split and embed the passages (index i of `passages` is citation i+1)."""
        sentences: list[str] = []
        owners: list[int] = []
        for i, passage in enumerate(passages):
            for sentence in split_sentences(passage):
                sentences.append(sentence)
                owners.append(i)
        joined = "\n".join(passages)
        return Evidence(
            sentences=tuple(sentences),
            owners=tuple(owners),
            vectors=self._embedder.embed_documents(sentences),
            numbers=frozenset(_numbers(joined)),
            quantities=frozenset(_quantities(joined)),
            terms=tuple(frozenset(map(_stem, content_terms(p))) for p in passages),
        )

    def check(self, sentence: str, evidence: Evidence) -> Verdict:
        """Whether `sentence` (markers allowed) is supported, and by which passage."""
        plain, _ = strip_markers(sentence)
        plain = _LIST_NUMBER.sub("", plain)  # "6. Check spam" states no number
        terms = {_stem(t) for t in content_terms(plain)}
        invented = _numbers(plain) - evidence.numbers
        if invented:
            return Verdict(plain, False, None, 0.0, 0.0, f"number not in sources: {min(invented)}")
        wrong_unit = _quantities(plain) - evidence.quantities
        if wrong_unit:
            value, unit = min(wrong_unit)
            return Verdict(plain, False, None, 0.0, 0.0, f"quantity not in sources: {value} {unit}")
        if not evidence.sentences:
            return Verdict(plain, False, None, 0.0, 0.0, "no sources")
        if len(terms) <= 1 and not _numbers(plain):
            return Verdict(plain, True, None, 0.0, 0.0, "filler")
        sims = evidence.vectors @ self._embedder.embed_query(plain)
        best = int(np.argmax(sims))
        similarity = float(sims[best])
        passage = evidence.owners[best]
        overlap = len(terms & evidence.terms[passage]) / len(terms) if terms else 0.0
        cfg = self._config
        supported = similarity >= cfg.min_similarity or (
            similarity >= cfg.min_similarity_with_overlap and overlap >= cfg.min_overlap
        )
        reason = "supported" if supported else "not supported by the sources"
        return Verdict(plain, supported, passage, similarity, overlap, reason)
