"""Rate limits per key: sliding windows (IP, conversation), lockouts after failures (login)."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.errors import BackendUnavailable, RateLimited

log = logging.getLogger(__name__)
T = TypeVar("T")


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


class SharedOrLocal:
    """Routes each call to the shared counter, or to this worker's while that is unreachable.

    With Redis down every API call answered 503 (issue 15); now requests go on and each worker
    counts alone (N workers allow up to N times the limit) until Redis answers again. One call
    per `retry_s` probes the shared counter meanwhile; the switch each way is logged once.
    """

    def __init__(self, what: str, retry_s: float = 5.0) -> None:
        self._what = what
        self._retry_s = retry_s
        self.down: str | None = None  # why the shared counts are not used now
        self._retry_at = 0.0

    async def run(
        self, shared: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]
    ) -> T:
        """`shared()`, or `local()` while the shared counter is (or turns out to be) down."""
        now = time.monotonic()
        if self.down is None or now >= self._retry_at:
            if self.down is not None:
                self._retry_at = now + self._retry_s  # this call probes; the others count here
            try:
                result = await shared()
            except BackendUnavailable as exc:
                self.failed(exc)
            else:
                self._recovered()
                return result
        return await local()

    def failed(self, exc: BackendUnavailable) -> None:
        """Note that the shared counter is unreachable (logged once per outage)."""
        if self.down is None:
            log.warning("%s count per worker until the shared counter is back: %s", self._what, exc)
            self._retry_at = time.monotonic() + self._retry_s
        self.down = str(exc)

    def probe_next(self) -> None:
        """Let the next call try the shared counter again (it answered a ping)."""
        self._retry_at = 0.0

    def _recovered(self) -> None:
        if self.down is not None:
            log.warning("%s are shared again (the shared counter answers)", self._what)
            self.down = None


class FallbackRateLimiter:
    """A shared rate limiter that counts in this worker while its server is unreachable;
    `ping` reports the fallback (readiness says "degraded")."""

    def __init__(self, shared: RateLimiter, local: RateLimiter, retry_s: float = 5.0) -> None:
        self._shared = shared
        self._local = local
        self._switch = SharedOrLocal("rate limits", retry_s)

    async def hit(self, key: str, what: str) -> None:
        """Count a hit in the shared limiter, or in this worker's while that is unreachable."""
        await self._switch.run(
            lambda: self._shared.hit(key, what), lambda: self._local.hit(key, what)
        )

    async def ping(self) -> None:
        """BackendUnavailable (saying limits are per worker) while the shared limiter is down."""
        try:
            await self._shared.ping()
        except BackendUnavailable as exc:
            self._switch.failed(exc)
            raise BackendUnavailable(f"rate limits count per worker: {exc}") from exc
        self._switch.probe_next()

    async def aclose(self) -> None:
        """Release both limiters."""
        await self._shared.aclose()
        await self._local.aclose()


class FallbackFailureLimiter:
    """Shared login lockouts that count in this worker while their server is unreachable, so
    staff can still log in (with per-worker lockouts) during a Redis outage."""

    def __init__(
        self, shared: FailureLimiter, local: FailureLimiter, retry_s: float = 5.0
    ) -> None:
        self._shared = shared
        self._local = local
        self._switch = SharedOrLocal("login lockouts", retry_s)

    async def check(self, key: str, what: str) -> None:
        """Raise RateLimited while `key` is locked out (shared, or this worker's counts)."""
        await self._switch.run(
            lambda: self._shared.check(key, what), lambda: self._local.check(key, what)
        )

    async def fail(self, key: str) -> float:
        """Count one failure; the lockout it starts in seconds (0.0: none)."""
        return await self._switch.run(
            lambda: self._shared.fail(key), lambda: self._local.fail(key)
        )

    async def clear(self, key: str) -> None:
        """Forget the failures of `key` in both counters."""
        await self._local.clear(key)
        await self._switch.run(lambda: self._shared.clear(key), _done)

    async def aclose(self) -> None:
        """Release both limiters."""
        await self._shared.aclose()
        await self._local.aclose()


async def _done() -> None:
    """Nothing to do (the local counter was already handled)."""
