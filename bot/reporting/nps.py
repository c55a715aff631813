"""Net Promoter Score: the survey's limits and the score of a set of answers (no I/O).

NPS = % promoters (9-10) - % detractors (0-6) of the answers, rounded to a whole number,
from -100 to 100; None without answers (issue 21).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

MIN_SCORE = 0
MAX_SCORE = 10
MAX_COMMENT_CHARS = 2000
PROMOTER = 9
DETRACTOR = 6


@dataclass(frozen=True, slots=True)
class NpsAnswer:
    """One stored answer to the survey."""

    conversation_id: str
    customer_id: str
    score: int
    comment: str
    answered_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NpsSummary:
    """How many answers fell in each band, and the score."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def answers(self) -> int:
        """Every answer counted."""
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> int | None:
        """% promoters - % detractors, rounded; None without answers."""
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers)


def summarize(scores: Iterable[int]) -> NpsSummary:
    """Count 0-10 scores into promoters (9-10), passives (7-8) and detractors (0-6)."""
    values = list(scores)
    promoters = sum(1 for s in values if s >= PROMOTER)
    detractors = sum(1 for s in values if s <= DETRACTOR)
    return NpsSummary(promoters, len(values) - promoters - detractors, detractors)
