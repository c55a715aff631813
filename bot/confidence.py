"""Confidence of a bot turn in [0, 1]: retrieval relevance, grounding coverage, answer type."""

from __future__ import annotations

from bot.conversation import AnswerKind

RELEVANCE_WEIGHT = 0.6
GROUNDING_WEIGHT = 0.4
REFUSAL_CAP = 0.2


def confidence(kind: AnswerKind, top_relevance: float, grounded_ratio: float) -> float:
    """How sure the bot is that this turn serves the customer."""
    if kind is AnswerKind.SMALLTALK:
        return 1.0
    if kind is AnswerKind.FALLBACK:
        return 0.0
    if kind is AnswerKind.REFUSAL:
        return round(min(top_relevance, REFUSAL_CAP), 4)
    score = RELEVANCE_WEIGHT * top_relevance + GROUNDING_WEIGHT * grounded_ratio
    return round(min(1.0, max(0.0, score)), 4)
