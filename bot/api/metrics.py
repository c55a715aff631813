"""Prometheus metrics of one app (own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    """Request latency, answers by kind, confidence, fallbacks."""

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
