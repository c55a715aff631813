"""`supportbot eval retrieval`: rank documents of any labelled set in a throwaway index."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.cases import RetrievalCase, load_docs, load_retrieval_cases
from evals.metrics import mrr_at, ndcg_at, percentile, recall_at
from retrieval.config import ChunkingConfig, KeywordConfig, SearchConfig, VectorConfig
from retrieval.factory import build_keyword_index, build_vector_store
from retrieval.interfaces import Embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.retriever import Mode

METRIC_NAMES = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "n", "p50_ms", "p95_ms")


@dataclass(frozen=True, slots=True)
class RankedCase:
    """One question with the document ids ranked for it."""

    case: RetrievalCase
    ranked: tuple[str, ...]
    ms: float


def query_text(case: RetrievalCase) -> str:
    """The text searched for a case: its question, after the latest earlier turn if any."""
    return " ".join([*case.history[-1:], case.question])


def rank_cases(
    kb: KnowledgeBase, cases: Sequence[RetrievalCase], mode: Mode, k: int
) -> list[RankedCase]:
    """Run every case through the knowledge base in one mode."""
    out = []
    for case in cases:
        started = time.perf_counter()
        # As an anonymous customer: plan-only articles (issue 21) are never theirs.
        hits = kb.search(query_text(case), k, mode=mode, plan="")
        out.append(
            RankedCase(
                case, tuple(h.article_id for h in hits), (time.perf_counter() - started) * 1e3
            )
        )
    return out


def summarise(ranked: Sequence[RankedCase]) -> dict[str, float]:
    """The metrics of one mode, keyed by METRIC_NAMES."""

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 4) if values else 0.0

    gold = [(r.ranked, r.case.gold_doc_ids) for r in ranked]
    ms = [r.ms for r in ranked]
    return {
        "recall@1": mean([recall_at(r, g, 1) for r, g in gold]),
        "recall@5": mean([recall_at(r, g, 5) for r, g in gold]),
        "recall@10": mean([recall_at(r, g, 10) for r, g in gold]),
        "mrr@10": mean([mrr_at(r, g, 10) for r, g in gold]),
        "ndcg@10": mean([ndcg_at(r, g, 10) for r, g in gold]),
        "n": len(ranked),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
    }


def evaluate_retrieval(
    docs_path: Path,
    questions_path: Path,
    embedder: Embedder,
    *,
    modes: Sequence[Mode],
    k: int = 10,
    chunking: ChunkingConfig | None = None,
    search: SearchConfig | None = None,
) -> dict[str, dict[str, float]]:
    """Index the docs in a temporary folder and report the metrics per mode."""
    articles = load_docs(docs_path)
    cases = load_retrieval_cases(questions_path)
    with tempfile.TemporaryDirectory(prefix="supportbot-eval-") as tmp:
        kb = KnowledgeBase(
            embedder,
            build_vector_store(VectorConfig(), Path(tmp)),
            build_keyword_index(KeywordConfig(), Path(tmp)),
            chunking or ChunkingConfig(),
            search or SearchConfig(),
        )
        try:
            kb.ingest(articles)
            return {mode: summarise(rank_cases(kb, cases, mode, k)) for mode in modes}
        finally:
            kb.close()
