"""Sliding-window rate limits per key (client IP, conversation), in memory."""

from __future__ import annotations

import math
import time
from collections import deque

from bot.errors import RateLimited


class RateLimiter:
    """At most `limit` hits per `window_s` per key."""

    def __init__(self, limit: int, window_s: float = 60.0, max_keys: int = 100_000) -> None:
        self._limit = limit
        self._window = window_s
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, what: str) -> None:
        """Count a hit; raise RateLimited (with the wait) when over the limit."""
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if len(hits) >= self._limit:
            wait = math.ceil(hits[0] + self._window - now)
            raise RateLimited(f"too many {what}; try again in {wait} s", wait)
        hits.append(now)
        if len(self._hits) > self._max_keys:
            self._evict(now)

    def _evict(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self._window]:
            del self._hits[key]
