"""Rate limits and login lockouts counted in Redis, so every API worker enforces the same."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.db.engine import display_url
from bot.errors import BackendUnavailable
from bot.runtime.ratelimit import Backoff, refusal

# Sliding window over a sorted set of hit times, atomic because Redis runs a script alone.
# Times come from the Redis server clock (TIME), so workers with skewed clocks agree.
# KEYS[1]: the key's hits; ARGV: limit, window in microseconds, a unique member for this hit.
# Returns -1 when the hit is counted, else the microseconds until the oldest hit expires.
SLIDING_WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return -1
"""


class RedisRateLimiter:
    """At most `limit` hits per `window_s` per key, shared by every limiter with the same name."""

    def __init__(
        self,
        url: str,
        *,
        name: str,
        limit: int,
        window_s: float = 60.0,
        prefix: str = "supportbot:ratelimit:",
        timeout_s: float = 5.0,
    ) -> None:
        self._redis = _client(url, timeout_s)
        self._where = display_url(url)
        self._script = self._redis.register_script(SLIDING_WINDOW)
        self._prefix = f"{prefix}{name}:"
        self._limit = limit
        self._window_us = round(window_s * 1_000_000)

    async def hit(self, key: str, what: str) -> None:
        """Count a hit atomically; raise RateLimited (with the wait) when over the limit."""
        try:
            wait_us = await self._script(
                keys=[self._prefix + key],
                args=[self._limit, self._window_us, secrets.token_hex(8)],
            )
        except RedisError as exc:
            raise self._unavailable(exc) from exc
        if int(wait_us) >= 0:
            raise refusal(what, int(wait_us) / 1_000_000)

    async def ping(self) -> None:
        """Raise BackendUnavailable unless Redis answers."""
        try:
            await self._redis.ping()
        except RedisError as exc:
            raise self._unavailable(exc) from exc

    async def aclose(self) -> None:
        """Release the connection pool."""
        await self._redis.aclose()

    def _unavailable(self, exc: Exception) -> BackendUnavailable:
        return unavailable("count a rate-limit hit", self._where, exc)


def _client(url: str, timeout_s: float) -> Redis:
    """A Redis client whose connects and calls give up after `timeout_s`."""
    return Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)


def unavailable(doing: str, where: str, exc: Exception) -> BackendUnavailable:
    """The error when Redis at `where` could not be reached to `doing`."""
    return BackendUnavailable(
        f"could not {doing}: Redis at {where} is unreachable ({exc}); "
        "check that it is running and SUPPORTBOT_REDIS__URL"
    )


# Failures of a key in a hash {count, until}; times from the Redis clock in microseconds,
# formatted with %.0f because Lua 5.1 would print them with 14 significant digits.
# KEYS[1]: the key's hash; ARGV: limit, lockout, max lockout, forget after (microseconds).
# Returns the lockout this failure starts, in microseconds (0: none).
FAIL = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
local limit = tonumber(ARGV[1])
local lockout = 0
if count >= limit then
  lockout = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(count - limit, 60))
end
redis.call('HSET', KEYS[1], 'until', string.format('%.0f', now + lockout))
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(tonumber(ARGV[4]), lockout) / 1000))
return math.floor(lockout)
"""
# Returns the microseconds until the lockout of KEYS[1] ends, or -1 when it is not locked.
CHECK = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local locked = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if locked > now then
  return locked - now
end
return -1
"""


class RedisFailureLimiter:
    """Lockouts after failures (see FailureLimiter), shared by every limiter with the same name."""

    def __init__(
        self,
        url: str,
        *,
        name: str,
        backoff: Backoff,
        prefix: str = "supportbot:ratelimit:",
        timeout_s: float = 5.0,
    ) -> None:
        self._redis = _client(url, timeout_s)
        self._where = display_url(url)
        self._fail = self._redis.register_script(FAIL)
        self._check = self._redis.register_script(CHECK)
        self._prefix = f"{prefix}{name}:"
        self._args = [
            backoff.limit,
            round(backoff.lockout_s * 1_000_000),
            round(backoff.max_lockout_s * 1_000_000),
            round(backoff.forget_s * 1_000_000),
        ]

    async def check(self, key: str, what: str) -> None:
        """Raise RateLimited (with the wait) while `key` is locked out."""
        try:
            wait_us = await self._check(keys=[self._prefix + key])
        except RedisError as exc:
            raise unavailable("check a lockout", self._where, exc) from exc
        if int(wait_us) >= 0:
            raise refusal(what, int(wait_us) / 1_000_000)

    async def fail(self, key: str) -> float:
        """Count a failure atomically; the lockout it starts (0.0: none)."""
        try:
            lockout_us = await self._fail(keys=[self._prefix + key], args=self._args)
        except RedisError as exc:
            raise unavailable("count a failed attempt", self._where, exc) from exc
        return int(lockout_us) / 1_000_000

    async def clear(self, key: str) -> None:
        """Forget `key`'s failures."""
        try:
            await self._redis.delete(self._prefix + key)
        except RedisError as exc:
            raise unavailable("clear failed attempts", self._where, exc) from exc

    async def aclose(self) -> None:
        """Release the connection pool."""
        await self._redis.aclose()
