"""Contract of `Broadcaster`, run on the in-process and the Redis pub/sub backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
import redis.asyncio

from bot.errors import BackendUnavailable
from bot.runtime.backends.memory_broadcaster import MemoryBroadcaster
from bot.runtime.backends.redis_broadcaster import RedisBroadcaster
from bot.runtime.realtime import Broadcaster, Event
from bot.settings import RealtimeConfig, RedisConfig, Settings
from bot.wiring import build_broadcaster

pytestmark = pytest.mark.anyio

# Guards against a hang only; no assertion depends on how long anything takes.
HANG_GUARD_S = 10
UNREACHABLE = "redis://127.0.0.1:1/0"

Workers = Callable[[], Awaitable[Broadcaster]]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def workers(request: pytest.FixtureRequest) -> AsyncIterator[Workers]:
    """Makes broadcasters that share events like API workers do (memory: one shared instance)."""
    made: list[Broadcaster] = []
    shared = MemoryBroadcaster()

    async def make() -> Broadcaster:
        if request.param == "memory":
            return shared
        url = request.getfixturevalue("redis_url")
        broadcaster = RedisBroadcaster(url, prefix=request.getfixturevalue("redis_prefix"))
        made.append(broadcaster)
        return broadcaster

    yield make
    for broadcaster in [*made, shared]:
        await broadcaster.aclose()


async def take(events: AsyncIterator[Event], n: int) -> list[Event]:
    """The next n events."""
    async with asyncio.timeout(HANG_GUARD_S):
        return [await anext(events) for _ in range(n)]


async def test_events_arrive_in_publish_order(workers: Workers) -> None:
    broadcaster = await workers()
    async with broadcaster.subscribe("conversation:a") as events:
        for n in range(50):
            await broadcaster.publish("conversation:a", {"type": "token", "n": n})
        assert [e["n"] for e in await take(events, 50)] == list(range(50))


async def test_events_are_json_copies(workers: Workers) -> None:
    broadcaster = await workers()
    event = {"type": "reply", "turn": {"text": "Ñoño 🙂", "sources": [1, 2.5], "meta": None}}
    async with broadcaster.subscribe("c") as events:
        await broadcaster.publish("c", event)
        assert await take(events, 1) == [event]
    with pytest.raises(TypeError):
        await broadcaster.publish("c", {"not json": object()})


async def test_every_subscriber_gets_every_event(workers: Workers) -> None:
    broadcaster = await workers()
    async with broadcaster.subscribe("c") as first, broadcaster.subscribe("c") as second:
        for n in range(5):
            await broadcaster.publish("c", {"n": n})
        assert await take(first, 5) == await take(second, 5) == [{"n": n} for n in range(5)]


async def test_channels_are_separate(workers: Workers) -> None:
    broadcaster = await workers()
    async with broadcaster.subscribe("a") as events:
        await broadcaster.publish("b", {"on": "b"})
        await broadcaster.publish("a", {"on": "a"})
        assert await take(events, 1) == [{"on": "a"}]


async def test_leaving_stops_delivery_to_that_subscriber_only(workers: Workers) -> None:
    broadcaster = await workers()
    async with broadcaster.subscribe("c") as staying:
        async with broadcaster.subscribe("c") as leaving:
            await broadcaster.publish("c", {"n": 1})
            assert await take(leaving, 1) == [{"n": 1}]
        await broadcaster.publish("c", {"n": 2})
        assert await take(staying, 2) == [{"n": 1}, {"n": 2}]
    await broadcaster.publish("c", {"n": 3})  # nobody listens: not an error
    async with broadcaster.subscribe("c") as again:
        await broadcaster.publish("c", {"n": 4})
        assert await take(again, 1) == [{"n": 4}]


async def test_workers_see_each_others_events(workers: Workers) -> None:
    one, two = await workers(), await workers()
    async with one.subscribe("c") as on_one, two.subscribe("c") as on_two:
        await one.publish("c", {"from": 1})
        await two.publish("c", {"from": 2})
        assert await take(on_one, 2) == await take(on_two, 2) == [{"from": 1}, {"from": 2}]


async def test_ready_when_reachable(workers: Workers) -> None:
    await (await workers()).ping()


async def test_a_full_queue_drops_its_oldest_events() -> None:
    broadcaster = MemoryBroadcaster(queue_size=3)
    async with broadcaster.subscribe("c") as events:
        for n in range(5):
            await broadcaster.publish("c", {"n": n})
        assert [e["n"] for e in await take(events, 3)] == [2, 3, 4]


@pytest.mark.redis
async def test_one_redis_connection_carries_every_subscription(
    redis_url: str, redis_prefix: str
) -> None:
    broadcaster = RedisBroadcaster(redis_url, prefix=redis_prefix)
    channels = [f"conversation:{n}" for n in range(300)]
    try:
        async with AsyncExitStack() as stack:
            for channel in channels:
                await stack.enter_async_context(broadcaster.subscribe(channel))
            await stack.enter_async_context(broadcaster.subscribe(channels[0]))
            async with redis.asyncio.Redis.from_url(redis_url) as admin:
                counts = await admin.pubsub_numsub(*(redis_prefix + c for c in channels))
                carriers = [c for c in await admin.client_list() if int(c["sub"]) >= len(channels)]
            assert {count for _, count in counts} == {1}
            assert len(carriers) == 1
            async with broadcaster.subscribe(channels[-1]) as events:
                await broadcaster.publish(channels[-1], {"n": 1})
                assert await take(events, 1) == [{"n": 1}]
    finally:
        await broadcaster.aclose()


@pytest.mark.redis
async def test_the_last_subscriber_leaving_unsubscribes(redis_url: str, redis_prefix: str) -> None:
    broadcaster = RedisBroadcaster(redis_url, prefix=redis_prefix)
    try:
        async with redis.asyncio.Redis.from_url(redis_url) as admin:
            async with broadcaster.subscribe("c"), broadcaster.subscribe("c"):
                assert await admin.pubsub_numsub(redis_prefix + "c") == [
                    ((redis_prefix + "c").encode(), 1)
                ]
            async with asyncio.timeout(HANG_GUARD_S):  # UNSUBSCRIBE is processed asynchronously
                while (await admin.pubsub_numsub(redis_prefix + "c"))[0][1] != 0:
                    await asyncio.sleep(0.01)
    finally:
        await broadcaster.aclose()


async def test_redis_down_is_a_clear_error() -> None:
    broadcaster = RedisBroadcaster(UNREACHABLE)
    try:
        with pytest.raises(BackendUnavailable, match="SUPPORTBOT_REDIS__URL"):
            async with broadcaster.subscribe("c"):
                pass
        with pytest.raises(BackendUnavailable, match="Redis at redis://127.0.0.1:1/0"):
            await broadcaster.publish("c", {"n": 1})
        with pytest.raises(BackendUnavailable):
            await broadcaster.ping()
    finally:
        await broadcaster.aclose()


async def test_redis_lost_while_subscribing_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reader failing every waiting subscription while a SUBSCRIBE was on its way (Redis
    restarting) raised KeyError, and the customer's live socket closed without a word."""
    broadcaster = RedisBroadcaster(UNREACHABLE)

    async def lost_meanwhile(*channels: str) -> None:
        broadcaster._fail_waiting(BackendUnavailable("Redis lost"))
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(broadcaster._pubsub, "subscribe", lost_meanwhile)
    try:
        with pytest.raises(BackendUnavailable, match="SUPPORTBOT_REDIS__URL"):
            async with broadcaster.subscribe("c"):
                pass
        assert not broadcaster._confirmations
    finally:
        await broadcaster.aclose()


async def test_settings_pick_the_broadcaster() -> None:
    assert isinstance(build_broadcaster(Settings()), MemoryBroadcaster)
    settings = Settings(
        redis=RedisConfig(url=UNREACHABLE), realtime=RealtimeConfig(backend="redis")
    )
    chosen = build_broadcaster(settings)
    assert isinstance(chosen, RedisBroadcaster)
    await chosen.aclose()


def test_redis_backends_need_a_url() -> None:
    with pytest.raises(ValueError, match="realtime.backend=redis needs .*SUPPORTBOT_REDIS__URL"):
        Settings(realtime=RealtimeConfig(backend="redis"))
    with pytest.raises(ValueError, match="must start with redis://"):
        Settings(redis=RedisConfig(url="localhost:6379"))
