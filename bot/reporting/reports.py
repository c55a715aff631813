"""The analytics of the running service, for the admin API and the metrics endpoint (issue 19:
routes only call it; the CLI computes the same with `analytics.compute`)."""

from __future__ import annotations

from bot.reporting.analytics import Analytics, compute
from bot.reporting.resolution import Rules
from bot.reporting.window import WindowSource
from retrieval.interfaces import Embedder


class Reports:
    """Computes the analytics of a window of days from the service's database."""

    def __init__(self, source: WindowSource, embedder: Embedder, rules: Rules) -> None:
        self._source = source
        self._embedder = embedder
        self._rules = rules

    def analytics(self, days: int) -> Analytics:
        """The analytics of the last `days` UTC days (blocking: call it in a worker thread)."""
        return compute(self._source, days=days, embedder=self._embedder, rules=self._rules)
