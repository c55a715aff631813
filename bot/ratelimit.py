"""Sliding-window rate limits per key (client IP, conversation): the protocol and memory backend."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Protocol

from bot.errors import RateLimited


class RateLimiter(Protocol):
    """At most `limit` hits per `window_s` per key, counted across every worker that shares it."""

    async def hit(self, key: str, what: str) -> None:
        """Count one hit on `key`.

        Raises RateLimited (message "too many <what>; try again in N s", `retry_after_s` >= 1)
        when the key already has `limit` hits in the window; a refused hit is not counted.
        Shared backends raise BackendUnavailable when their server cannot be reached.
        """
        ...

    async def ping(self) -> None:
        """Raise BackendUnavailable when hits cannot be counted (readiness)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def refusal(what: str, wait_s: float) -> RateLimited:
    """The error for a refused hit, with the wait rounded up to whole seconds (at least 1)."""
    wait = max(1, math.ceil(wait_s))
    return RateLimited(f"too many {what}; try again in {wait} s", wait)


class MemoryRateLimiter:
    """Counts in this process only (one worker); RedisRateLimiter shares counts across workers."""

    def __init__(self, limit: int, window_s: float = 60.0, max_keys: int = 100_000) -> None:
        self._limit = limit
        self._window = window_s
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    async def hit(self, key: str, what: str) -> None:
        """Count a hit; raise RateLimited (with the wait) when over the limit."""
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if len(hits) >= self._limit:
            raise refusal(what, hits[0] + self._window - now)
        hits.append(now)
        if len(self._hits) > self._max_keys:
            self._evict(now)

    async def ping(self) -> None:
        """Always ready."""

    async def aclose(self) -> None:
        """Forget every count."""
        self._hits.clear()

    def _evict(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self._window]:
            del self._hits[key]
