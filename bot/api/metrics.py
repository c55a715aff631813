"""Prometheus metrics of one app (own registry, so several apps can live in one process).

Service levels (NPS, FCR, CSAT, rates, first response) are gauges over the analytics window of
the last `QUALITY_DAYS`, per channel and overall (`channel="all"`), computed when `/metrics` is
scraped and reused for `QUALITY_TTL_S` (issue 21). A figure without data (no NPS answer yet) is
left out rather than reported as 0.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import anyio.to_thread
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.conversations.models import AnswerMeta, Turn

QUALITY_DAYS = 30
QUALITY_TTL_S = 10.0
# Gauge name -> key of `Analytics.summary()` (and of each channel's figures).
QUALITY_GAUGES = {
    "supportbot_nps": ("nps", "Net Promoter Score (-100 to 100)"),
    "supportbot_fcr": ("fcr", "First-contact resolution rate"),
    "supportbot_csat": ("csat", "Average CSAT (1-5)"),
    "supportbot_bot_resolved_rate": ("bot_resolved_rate", "Bot-resolved conversations / all"),
    "supportbot_escalation_rate": ("escalation_rate", "Escalated conversations / all"),
    "supportbot_first_response_seconds_p50": (
        "first_response_s_p50",
        "Median seconds from the first customer message to the first reply",
    ),
}


class Metrics:
    """Request latency, answers by kind, confidence, fallbacks, and the service levels."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "supportbot_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.answers = Counter(
            "supportbot_answers_total", "Bot turns by kind", ["kind"], registry=self.registry
        )
        self.confidence = Histogram(
            "supportbot_answer_confidence",
            "Confidence of bot turns",
            buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "supportbot_fallbacks_total",
            "Answers replaced or apologised for (grounding, llm error)",
            ["reason"],
            registry=self.registry,
        )
        self.quality = {
            name: Gauge(
                name,
                f"{help_text}, last {QUALITY_DAYS} days",
                ["channel"],
                registry=self.registry,
            )
            for name, (_, help_text) in QUALITY_GAUGES.items()
        }
        self._quality_at = -QUALITY_TTL_S
        self._quality_lock = asyncio.Lock()

    async def refresh_quality(self, summary: Callable[[int], Mapping[str, Any]]) -> None:
        """Set the service-level gauges from `summary(days)` (run in a worker thread), unless
        they were set less than `QUALITY_TTL_S` ago; concurrent scrapes compute it once."""
        async with self._quality_lock:
            if time.monotonic() - self._quality_at < QUALITY_TTL_S:
                return
            figures = await anyio.to_thread.run_sync(summary, QUALITY_DAYS)
            channels = {"all": figures, **figures.get("by_channel", {})}
            for name, (key, _) in QUALITY_GAUGES.items():
                gauge = self.quality[name]
                gauge.clear()
                for channel, values in channels.items():
                    if values.get(key) is not None:
                        gauge.labels(channel).set(values[key])
            self._quality_at = time.monotonic()

    def record_answer(self, turn: Turn) -> None:
        """Count a stored bot turn: its kind, confidence and any fallback."""
        self.answers.labels(turn.kind.value or "none").inc()
        if turn.confidence is not None:
            self.confidence.observe(turn.confidence)
        meta = AnswerMeta.of(turn.meta)
        reason = meta.fallback or ("llm_error" if meta.error is not None else None)
        if reason:
            self.fallbacks.labels(str(reason)).inc()
