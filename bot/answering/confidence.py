"""Confidence of a bot turn in [0, 1]: retrieval relevance, grounding, how much of the question
the passages cover, answer type."""

from __future__ import annotations

from bot.conversations.models import AnswerKind, TurnKind

RELEVANCE_WEIGHT = 0.6
GROUNDING_WEIGHT = 0.4
REFUSAL_CAP = 0.2
COVERAGE_WEIGHT = 0.5  # an answer whose passages miss half the question loses a quarter


def confidence(
    kind: AnswerKind, top_relevance: float, grounded_ratio: float, coverage: float = 1.0
) -> float:
    """How sure the bot is that this turn serves the customer; `coverage` is the share of the
    question's focus words that the passages mention."""
    if kind is TurnKind.SMALLTALK:
        return 1.0
    if kind is TurnKind.FALLBACK:
        return 0.0
    if kind is TurnKind.REFUSAL:
        return round(min(top_relevance, REFUSAL_CAP), 4)
    score = (RELEVANCE_WEIGHT * top_relevance + GROUNDING_WEIGHT * grounded_ratio) * (
        1 - COVERAGE_WEIGHT * (1 - coverage)
    )
    return round(min(1.0, max(0.0, score)), 4)
