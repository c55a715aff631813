"""Hybrid search: dense and BM25 candidates fused per article, with a relevance in [0, 1]."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from itertools import zip_longest
from typing import Literal

from retrieval.config import SearchConfig
from retrieval.fusion import convex_fusion
from retrieval.interfaces import Embedder, KeywordIndex, VectorStore
from retrieval.score_calibration import ScoreCalibration
from retrieval.stopwords import keyword_query
from retrieval.types import Neighbour, ScoredChunk, SearchResult

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")
PLAN_OVERFETCH = 2  # candidates fetched again per one kept, when a plan filtered some out
KEYWORD_THREADS = 4  # hybrid searches whose keyword half runs beside their dense half, at most
KEYWORD_THREAD_PREFIX = "keyword-search"  # the name of those threads


def _best_per_article(hits: Sequence[ScoredChunk]) -> dict[str, list[ScoredChunk]]:
    """Hits grouped by article, articles in order of their best hit (hits are sorted)."""
    grouped: dict[str, list[ScoredChunk]] = {}
    for hit in hits:
        grouped.setdefault(hit.chunk.article_id, []).append(hit)
    return grouped


class Retriever:
    """Finds the articles that answer a query."""

    def __init__(
        self,
        embedder: Embedder,
        vectors: VectorStore,
        keywords: KeywordIndex,
        config: SearchConfig,
    ) -> None:
        self._embedder = embedder
        self._vectors = vectors
        self._keywords = keywords
        self._config = config
        self.calibration: ScoreCalibration | None = None  # set by the KnowledgeBase
        # A hybrid search's keyword half runs beside its embedding and vector search: each
        # spends its time in native code (SQLite or PostgreSQL, ONNX Runtime, Chroma) with the
        # GIL released, so a query costs about the slower half instead of both (issue 18).
        self._beside = ThreadPoolExecutor(KEYWORD_THREADS, thread_name_prefix=KEYWORD_THREAD_PREFIX)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        locale: str | None = None,
        category: str | None = None,
        mode: Mode = "hybrid",
        plan: str | None = None,
    ) -> list[SearchResult]:
        """The k best articles for `query`, best first, optionally within a locale/category.

        `plan` set: only articles for everyone and for that plan ("" = for everyone only: an
        anonymous customer); None: every article (staff tools)."""
        cfg = self._config
        filters = {key: v for key, v in (("locale", locale), ("category", category)) if v}
        dense: list[ScoredChunk] = []
        lexical: list[ScoredChunk] = []
        keyword_search = partial(
            self._candidates,
            lambda n: self._keywords.search(keyword_query(query), n, filters),
            plan,
        )
        beside: Future[list[ScoredChunk]] | None = None
        if mode == "hybrid":
            beside = self._beside.submit(keyword_search)
        if mode != "lexical":
            vector = self._embedder.embed_query(query)
            dense = self._candidates(
                lambda n: self._hydrated(self._vectors.nearest(vector, n, filters)), plan
            )
        if beside is not None:
            lexical = beside.result()
        elif mode == "lexical":
            lexical = keyword_search()
        by_dense = _best_per_article(dense)
        by_lexical = _best_per_article(lexical)
        best_dense = {a: hits[0].score for a, hits in by_dense.items()}
        best_lexical = {a: hits[0].score for a, hits in by_lexical.items()}
        fused = convex_fusion(
            [(best_dense, cfg.dense_weight), (best_lexical, 1.0 - cfg.dense_weight)]
        )
        ranked = sorted(fused, key=lambda a: fused[a], reverse=True)[:k]
        # An article absent from the dense candidates is at most as similar as the last one.
        dense_floor = dense[-1].score if dense else 0.0
        top_lexical = lexical[0].score if lexical else 1.0
        results = []
        for article_id in ranked:
            chunk_hits = _merge_chunks(by_dense.get(article_id, []), by_lexical.get(article_id, []))
            probability = None
            keyword_share = best_lexical.get(article_id, 0.0) / top_lexical
            if mode == "lexical":
                relevance = keyword_share
            else:
                cosine = best_dense.get(article_id, dense_floor)
                relevance = self._calibrate(cosine)
                if self.calibration is not None:
                    probability = round(self.calibration.probability(cosine), 4)
            first = chunk_hits[0].chunk
            results.append(
                SearchResult(
                    article_id=article_id,
                    title=first.title,
                    url=first.url,
                    locale=first.locale,
                    category=first.category,
                    relevance=relevance,
                    chunks=tuple(chunk_hits[: cfg.chunks_per_article]),
                    probability=probability,
                    keyword_share=None if mode == "dense" else round(keyword_share, 4),
                )
            )
        return results

    def close(self) -> None:
        """Stop the keyword-search threads (searches already started finish first)."""
        self._beside.shutdown()

    def _candidates(
        self, fetch: Callable[[int], list[ScoredChunk]], plan: str | None
    ) -> list[ScoredChunk]:
        """One index's candidates for `plan` (None: every article).

        The stores' filters only test equality, so a plan filters after the fetch. When that
        drops any hit, other plans' articles took candidates' places: the fetch is repeated
        for more. A help center without plan-only articles never pays for the second one."""
        wanted = self._config.candidates
        hits = fetch(wanted)
        if plan is None:
            return hits
        kept = [hit for hit in hits if hit.chunk.for_plan(plan)]
        if len(kept) < len(hits):
            kept = [hit for hit in fetch(wanted * PLAN_OVERFETCH) if hit.chunk.for_plan(plan)]
        return kept[:wanted]

    def _hydrated(self, neighbours: list[Neighbour]) -> list[ScoredChunk]:
        """The neighbours' chunks, read from the keyword index (it holds every chunk's fields).

        A chunk the vector store has and the keyword index has not yet (an ingestion under
        way) is left out until it has."""
        chunks = self._keywords.chunks([n.chunk_id for n in neighbours])
        return [
            ScoredChunk(chunks[n.chunk_id], n.score) for n in neighbours if n.chunk_id in chunks
        ]

    def _calibrate(self, cosine: float) -> float:
        low, high = self._config.relevance_floor, self._config.relevance_ceiling
        return min(1.0, max(0.0, (cosine - low) / (high - low)))


def _merge_chunks(dense: list[ScoredChunk], lexical: list[ScoredChunk]) -> list[ScoredChunk]:
    """An article's chunks, the two searches' best in turn (dense first); each keeps the score
    of the search that found it, the dense one where both did."""
    merged: dict[str, ScoredChunk] = {}
    for pair in zip_longest(dense, lexical):
        for hit in pair:
            if hit is not None and hit.chunk.id not in merged:
                merged[hit.chunk.id] = hit
    by_dense = {hit.chunk.id: hit for hit in dense}
    return [by_dense.get(chunk_id, hit) for chunk_id, hit in merged.items()]
