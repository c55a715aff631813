"""Contract of `RateLimiter`, run on the in-process and the Redis backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio

from bot.errors import BackendUnavailable, RateLimited
from bot.runtime.backends.redis_ratelimit import RedisRateLimiter
from bot.runtime.ratelimit import FallbackRateLimiter, MemoryRateLimiter, RateLimiter
from bot.settings import ApiConfig, RedisConfig, Settings
from bot.wiring import build_rate_limiter

pytestmark = pytest.mark.anyio

UNREACHABLE = "redis://127.0.0.1:1/0"

# make(limit, window_s) -> a limiter; limiters made by one factory share their counts like the
# API workers of one deployment (memory: the same instance, as within one worker).
Limiters = Callable[[int, float], RateLimiter]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def limiters(request: pytest.FixtureRequest) -> AsyncIterator[Limiters]:
    """Makes rate limiters of one backend, closed afterwards."""
    made: list[RateLimiter] = []
    memory: dict[tuple[int, float], RateLimiter] = {}

    def make(limit: int, window_s: float = 60.0) -> RateLimiter:
        limiter: RateLimiter
        if request.param == "memory":
            limiter = memory.setdefault((limit, window_s), MemoryRateLimiter(limit, window_s))
        else:
            limiter = RedisRateLimiter(
                request.getfixturevalue("redis_url"),
                name="test",
                limit=limit,
                window_s=window_s,
                prefix=request.getfixturevalue("redis_prefix"),
            )
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()


async def test_allows_the_limit_then_refuses_with_the_wait(limiters: Limiters) -> None:
    limiter = limiters(3, 60.0)
    for _ in range(3):
        await limiter.hit("1.2.3.4", "requests")
    with pytest.raises(RateLimited, match=r"too many requests; try again in \d+ s") as refused:
        await limiter.hit("1.2.3.4", "requests")
    assert 1 <= refused.value.retry_after_s <= 60


async def test_keys_are_counted_apart(limiters: Limiters) -> None:
    limiter = limiters(1, 60.0)
    await limiter.hit("a", "messages")
    await limiter.hit("b", "messages")
    with pytest.raises(RateLimited):
        await limiter.hit("a", "messages")


async def test_hits_leave_the_window(limiters: Limiters) -> None:
    limiter = limiters(2, 0.2)
    await limiter.hit("k", "messages")
    await limiter.hit("k", "messages")
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("k", "messages")
    assert refused.value.retry_after_s == 1  # rounded up to whole seconds
    await asyncio.sleep(0.3)  # past the window: both hits have expired
    await limiter.hit("k", "messages")
    await limiter.hit("k", "messages")


async def test_ready_when_reachable(limiters: Limiters) -> None:
    await limiters(1, 60.0).ping()


async def test_workers_share_the_count(limiters: Limiters) -> None:
    one, two = limiters(3, 60.0), limiters(3, 60.0)
    await one.hit("k", "messages")
    await two.hit("k", "messages")
    await one.hit("k", "messages")
    for limiter in (one, two):
        with pytest.raises(RateLimited):
            await limiter.hit("k", "messages")


async def test_concurrent_hits_never_exceed_the_limit(limiters: Limiters) -> None:
    workers = [limiters(10, 60.0) for _ in range(4)]
    outcomes = await asyncio.gather(
        *(w.hit("k", "messages") for w in workers for _ in range(10)), return_exceptions=True
    )
    assert sum(o is None for o in outcomes) == 10
    assert all(isinstance(o, RateLimited) for o in outcomes if o is not None)


@pytest.mark.redis
async def test_names_are_counted_apart_and_keys_expire(redis_url: str, redis_prefix: str) -> None:
    ip = RedisRateLimiter(redis_url, name="ip", limit=1, window_s=30, prefix=redis_prefix)
    chat = RedisRateLimiter(redis_url, name="chat", limit=1, window_s=30, prefix=redis_prefix)
    try:
        await ip.hit("k", "requests")
        await chat.hit("k", "messages")
        async with redis.asyncio.Redis.from_url(redis_url) as admin:
            for name in ("ip", "chat"):
                assert 0 < await admin.pttl(f"{redis_prefix}{name}:k") <= 30_000
    finally:
        await ip.aclose()
        await chat.aclose()


async def test_redis_down_is_a_clear_error() -> None:
    limiter = RedisRateLimiter(UNREACHABLE, name="ip", limit=1)
    try:
        with pytest.raises(BackendUnavailable, match="SUPPORTBOT_REDIS__URL"):
            await limiter.hit("k", "requests")
        with pytest.raises(BackendUnavailable):
            await limiter.ping()
    finally:
        await limiter.aclose()


async def test_with_redis_down_hits_count_in_this_worker_and_ping_says_so() -> None:
    limiter = FallbackRateLimiter(
        RedisRateLimiter(UNREACHABLE, name="ip", limit=2), MemoryRateLimiter(2), retry_s=0
    )
    try:
        await limiter.hit("k", "requests")
        await limiter.hit("k", "requests")
        with pytest.raises(RateLimited, match="too many requests"):
            await limiter.hit("k", "requests")
        with pytest.raises(BackendUnavailable, match="rate limits count per worker: .*Redis"):
            await limiter.ping()
    finally:
        await limiter.aclose()


async def test_settings_pick_the_limiter() -> None:
    assert isinstance(build_rate_limiter(Settings(), "ip", 5), MemoryRateLimiter)
    settings = Settings(
        redis=RedisConfig(url=UNREACHABLE), api=ApiConfig(rate_limit_backend="redis")
    )
    chosen = build_rate_limiter(settings, "ip", 5)
    assert isinstance(chosen, FallbackRateLimiter)
    await chosen.aclose()
    with pytest.raises(ValueError, match="api.rate_limit_backend=redis needs"):
        Settings(api=ApiConfig(rate_limit_backend="redis"))
