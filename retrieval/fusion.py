"""Weighted reciprocal-rank fusion (pure)."""

from __future__ import annotations

from collections.abc import Sequence


def weighted_rrf(rankings: Sequence[tuple[Sequence[str], float]], k: int) -> dict[str, float]:
    """Fuse ranked id lists: score(id) = sum of weight / (k + rank), ranks from 1.

    A weight below 1 lets a weaker ranker confirm and re-order candidates without
    overruling a stronger one (plain RRF, all weights 1, hurt MRR on our dev sets).
    """
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores
