"""Rate limits per key: sliding windows (IP, conversation), lockouts after failures (login)."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass
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


class FailureLimiter(Protocol):
    """Locks a key out after `limit` failures, longer for each failure after that (backoff).

    Failures are forgotten `forget_s` after the last one; every worker sharing the backend sees
    the same lockouts. The n-th failure (n >= limit) locks the key for
    `min(max_lockout_s, lockout_s * 2 ** (n - limit))` seconds.
    """

    async def check(self, key: str, what: str) -> None:
        """Raise RateLimited ("too many <what>; try again in N s") while `key` is locked out.

        Counts nothing. Shared backends raise BackendUnavailable when their server cannot be
        reached.
        """
        ...

    async def fail(self, key: str) -> float:
        """Count one failure on `key`; the lockout it starts in seconds (0.0: none)."""
        ...

    async def clear(self, key: str) -> None:
        """Forget the failures of `key` (after a success)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """When failures lock a key out, and for how long (see FailureLimiter)."""

    limit: int
    lockout_s: float
    max_lockout_s: float
    forget_s: float

    def lockout(self, failures: int) -> float:
        """Seconds the `failures`-th failure locks the key for (0.0 under the limit)."""
        if failures < self.limit:
            return 0.0
        return min(self.max_lockout_s, self.lockout_s * 2.0 ** min(failures - self.limit, 60))


@dataclass(slots=True)
class _Failures:
    count: int
    locked_until: float
    forget_at: float


class MemoryFailureLimiter:
    """Lockouts in this process only; RedisFailureLimiter shares them across workers."""

    def __init__(self, backoff: Backoff, max_keys: int = 100_000) -> None:
        self._backoff = backoff
        self._max_keys = max_keys
        self._keys: dict[str, _Failures] = {}

    async def check(self, key: str, what: str) -> None:
        """Raise RateLimited (with the wait) while `key` is locked out."""
        now = time.monotonic()
        state = self._keys.get(key)
        if state is not None and state.locked_until > now:
            raise refusal(what, state.locked_until - now)

    async def fail(self, key: str) -> float:
        """Count a failure; the lockout it starts (0.0: none)."""
        now = time.monotonic()
        state = self._keys.get(key)
        if state is None or state.forget_at <= now:
            state = self._keys[key] = _Failures(0, 0.0, 0.0)
        state.count += 1
        lockout = self._backoff.lockout(state.count)
        state.locked_until = now + lockout
        state.forget_at = now + max(self._backoff.forget_s, lockout)
        if len(self._keys) > self._max_keys:
            for stale in [k for k, v in self._keys.items() if v.forget_at <= now]:
                del self._keys[stale]
        return lockout

    async def clear(self, key: str) -> None:
        """Forget `key`'s failures."""
        self._keys.pop(key, None)

    async def aclose(self) -> None:
        """Forget every failure."""
        self._keys.clear()


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
