"""Rate limits counted in Redis, so every API worker enforces the same limit."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.backends.sql_database import display_url
from bot.errors import BackendUnavailable
from bot.ratelimit import refusal

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
        self._redis: Redis = Redis.from_url(
            url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
        )
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
        return BackendUnavailable(
            f"could not count a rate-limit hit: Redis at {self._where} is unreachable ({exc}); "
            "check that it is running and SUPPORTBOT_REDIS__URL"
        )
