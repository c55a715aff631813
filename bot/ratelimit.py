"""Sliding-window rate limits per key (client IP, conversation): the protocol and memory backend."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from typing import Protocol

from bot.errors import BackendUnavailable, RateLimited

log = logging.getLogger(__name__)


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


class FallbackRateLimiter:
    """A shared limiter that counts in this worker instead while its server is unreachable.

    With Redis down every API call answered 503 (issue 15); now requests go on and each worker
    enforces the limit alone (N workers allow up to N times the limit) until Redis answers
    again. One request per `retry_s` tries the shared limiter meanwhile; the switch each way is
    logged once, and `ping` reports the fallback (readiness says "degraded").
    """

    def __init__(self, shared: RateLimiter, local: RateLimiter, retry_s: float = 5.0) -> None:
        self._shared = shared
        self._local = local
        self._retry_s = retry_s
        self._down: str | None = None  # why the shared counts are not used now
        self._retry_at = 0.0

    async def hit(self, key: str, what: str) -> None:
        """Count a hit in the shared limiter, or in this worker's while that is unreachable."""
        now = time.monotonic()
        if self._down is None or now >= self._retry_at:
            if self._down is not None:
                self._retry_at = now + self._retry_s  # this request probes; the others count here
            try:
                await self._shared.hit(key, what)
            except BackendUnavailable as exc:
                self._fall_back(exc)
            else:
                self._recover()
                return
        await self._local.hit(key, what)

    async def ping(self) -> None:
        """BackendUnavailable (saying limits are per worker) while the shared limiter is down."""
        try:
            await self._shared.ping()
        except BackendUnavailable as exc:
            self._fall_back(exc)
            raise BackendUnavailable(f"rate limits count per worker: {exc}") from exc
        self._retry_at = 0.0  # the next hit goes back to the shared counts

    async def aclose(self) -> None:
        """Release both limiters."""
        await self._shared.aclose()
        await self._local.aclose()

    def _fall_back(self, exc: BackendUnavailable) -> None:
        if self._down is None:
            log.warning("rate limits count per worker until the shared limiter is back: %s", exc)
            self._retry_at = time.monotonic() + self._retry_s
        self._down = str(exc)

    def _recover(self) -> None:
        if self._down is not None:
            log.warning("rate limits are shared again (the shared limiter answers)")
            self._down = None
