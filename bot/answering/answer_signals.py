"""What the responder knows about a question's chances before it answers (issue 16).

Cheap numbers from the search results it already has: how relevant the best articles are, how
clearly the best one wins, how much of the question they and the best one mention, and how
strongly the keyword search agrees on the best one. Each turn records them in its meta
(`signals`), so evaluations can ask which of them tells an answer that will cite a right article
from one that will not (`python -m evals.train_answerability`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.coverage import Coverage, coverage, focus_terms
from retrieval.stopwords import content_terms
from retrieval.types import SearchResult

MAX_TERMS = 8  # longer questions count as this long

SIGNALS = (
    "top_relevance",
    "second_relevance",
    "relevance_gap",
    "top_cosine",
    "cosine_gap",
    "coverage",
    "top_coverage",
    "top_keyword",
    "focus_terms",
    "content_terms",
)


def signals(query: str, results: Sequence[SearchResult], covered: Coverage) -> dict[str, float]:
    """The SIGNALS of `query` and its search results (best first), each in [-1, 1]; `covered`
    is `coverage(query, results)`, which the responder has already computed."""
    relevance = [r.relevance for r in results[:2]] + [0.0, 0.0]
    cosine = [_cosine(r) for r in results[:2]] + [0.0, 0.0]
    top = coverage(query, results[:1]).share if results else 0.0
    return {
        "top_relevance": relevance[0],
        "second_relevance": relevance[1],
        "relevance_gap": relevance[0] - relevance[1],
        "top_cosine": cosine[0],
        "cosine_gap": cosine[0] - cosine[1],
        "coverage": covered.share,
        "top_coverage": top,
        "top_keyword": (results[0].keyword_share or 0.0) if results else 0.0,
        "focus_terms": min(len(focus_terms(query)), MAX_TERMS) / MAX_TERMS,
        "content_terms": min(len(set(content_terms(query))), MAX_TERMS) / MAX_TERMS,
    }


def _cosine(result: SearchResult) -> float:
    """The article's best chunk score: its dense cosine when the dense search found it (dense
    hits come first, see Retriever), which relevance clips at 1 (most InsuranceQA questions);
    a keyword-only article's BM25 score is capped at 1."""
    return min(max(result.chunks[0].score, 0.0), 1.0) if result.chunks else 0.0
