"""Confidence of a bot turn in [0, 1]: retrieval relevance, grounding, how much of the question
the passages cover, answer type, and where the knowledge base is calibrated (issue 16) the
chance that its best article is right."""

from __future__ import annotations

import math

from bot.conversations.models import AnswerKind, TurnKind

RELEVANCE_WEIGHT = 0.6
GROUNDING_WEIGHT = 0.4
REFUSAL_CAP = 0.2
COVERAGE_WEIGHT = 0.5  # an answer whose passages miss half the question loses a quarter


def confidence(
    kind: AnswerKind,
    top_relevance: float,
    grounded_ratio: float,
    coverage: float = 1.0,
    probability: float | None = None,
) -> float:
    """How sure the bot is that this turn serves the customer; `coverage` is the share of the
    question's focus words that the passages mention, `probability` the calibrated chance that
    the best article is a right one (SearchResult.probability; None when uncalibrated)."""
    if kind is TurnKind.SMALLTALK:
        return 1.0
    if kind is TurnKind.FALLBACK:
        return 0.0
    if kind is TurnKind.REFUSAL:
        return round(min(top_relevance, REFUSAL_CAP), 4)
    score = RELEVANCE_WEIGHT * top_relevance + GROUNDING_WEIGHT * grounded_ratio
    if probability is not None:
        # Geometric mean: the pseudo-questions under-rate titled help centers (a title held out
        # of its article is harder than a customer's question) and relevance over-rates crowded
        # ones; either one low is enough to doubt the answer. Figures: score_calibration.py.
        score = math.sqrt(max(score, 0.0) * probability)
    score *= 1 - COVERAGE_WEIGHT * (1 - coverage)
    return round(min(1.0, max(0.0, score)), 4)
