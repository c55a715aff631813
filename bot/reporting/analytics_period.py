"""The figures of one period of the analytics (a day, a channel, or the whole window), and
how they are written to CSV (no I/O; definitions in `bot.reporting.analytics`)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.reporting.nps import NpsSummary

DAILY_COLUMNS = (
    "day",
    "conversations",
    "bot_resolved",
    "bot_resolved_rate",
    "escalated",
    "escalation_rate",
    "thumbs_up",
    "thumbs_down",
    "csat_count",
    "csat_avg",
    "median_first_agent_reply_s",
    "nps",
    "nps_answers",
    "fcr",
    "first_response_s_p50",
    "resolution_s_p50_bot",
    "resolution_s_p50_agent",
)


@dataclass(frozen=True, slots=True)
class Period:
    """The figures of one day, one channel, or the whole window."""

    conversations: int = 0
    bot_resolved: int = 0
    escalated: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    csat_count: int = 0
    csat_avg: float | None = None
    median_first_agent_reply_s: float | None = None
    agent_resolved: int = 0
    issues: int = 0
    first_contact_resolved: int = 0
    first_response_s_p50: float | None = None
    resolution_s_p50_bot: float | None = None
    resolution_s_p50_agent: float | None = None
    nps: NpsSummary = field(default_factory=NpsSummary)

    @property
    def bot_resolved_rate(self) -> float | None:
        """Bot-resolved conversations / conversations."""
        return ratio(self.bot_resolved, self.conversations)

    @property
    def escalation_rate(self) -> float | None:
        """Escalated conversations / conversations."""
        return ratio(self.escalated, self.conversations)

    @property
    def thumbs_up_ratio(self) -> float | None:
        """Thumbs up / all thumbs."""
        return ratio(self.thumbs_up, self.thumbs_up + self.thumbs_down)

    @property
    def fcr(self) -> float | None:
        """First-contact-resolved issues / issues."""
        return ratio(self.first_contact_resolved, self.issues)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures, rates included."""
        return {
            "conversations": self.conversations,
            "bot_resolved": self.bot_resolved,
            "bot_resolved_rate": self.bot_resolved_rate,
            "escalated": self.escalated,
            "escalation_rate": self.escalation_rate,
            "thumbs_up": self.thumbs_up,
            "thumbs_down": self.thumbs_down,
            "thumbs_up_ratio": self.thumbs_up_ratio,
            "csat_count": self.csat_count,
            "csat_avg": self.csat_avg,
            "median_first_agent_reply_s": self.median_first_agent_reply_s,
            "agent_resolved": self.agent_resolved,
            "issues": self.issues,
            "first_contact_resolved": self.first_contact_resolved,
            "fcr": self.fcr,
            "first_response_s_p50": self.first_response_s_p50,
            "resolution_s_p50_bot": self.resolution_s_p50_bot,
            "resolution_s_p50_agent": self.resolution_s_p50_agent,
            "nps": self.nps.score,
            "nps_answers": self.nps.answers,
            "nps_promoters": self.nps.promoters,
            "nps_passives": self.nps.passives,
            "nps_detractors": self.nps.detractors,
        }


def ratio(part: int, whole: int) -> float | None:
    """part / whole to 4 places; None when whole is 0."""
    return round(part / whole, 4) if whole else None


def p50(values: Iterable[float]) -> float | None:
    """The median to 0.1, None without values."""
    items = list(values)
    return round(statistics.median(items), 1) if items else None


def csv_value(value: Any) -> str:
    """A CSV cell: floats without trailing zeros, None as an empty cell."""
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
