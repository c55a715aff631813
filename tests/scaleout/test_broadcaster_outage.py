"""The Redis broadcaster with its Redis stopped, restarted or frozen (a server of the test's own).

CI once failed on a customer's live socket after a Redis restart: "unknown subcommand
'MAINT_NOTIFICATIONS'". The reader task reconnected on its own while a SUBSCRIBE connected the
same socket, and the two handshakes read each other's replies. Now only SUBSCRIBE connects,
under the command lock; a lost connection ends its reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import BackendUnavailable
from bot.runtime.backends import redis_broadcaster
from bot.runtime.backends.redis_broadcaster import RedisBroadcaster
from bot.runtime.realtime import Event
from tests.scaleout.servers import redis_process

pytestmark = [pytest.mark.anyio, pytest.mark.faults]

# Guards against a hang only; no assertion depends on how long anything takes.
HANG_GUARD_S = 30


async def until_ended(events: AsyncIterator[Event]) -> None:
    """Read the subscription until it ends (it must, within the guard)."""
    async with asyncio.timeout(HANG_GUARD_S):
        async for _ in events:
            pass


async def delivers(broadcaster: RedisBroadcaster, event: Event) -> None:
    """A new subscription gets what is published after it (the broadcaster works again)."""
    async with broadcaster.subscribe("c") as events:
        await broadcaster.publish("c", event)
        async with asyncio.timeout(HANG_GUARD_S):
            assert await anext(events) == event


async def test_after_a_restart_the_next_subscription_connects_afresh(tmp_path: Path) -> None:
    with redis_process(tmp_path) as redis:
        broadcaster = RedisBroadcaster(redis.url)
        try:
            async with broadcaster.subscribe("held") as events:
                redis.stop()
                with pytest.raises(BackendUnavailable, match="deliver live events"):
                    await until_ended(events)
            assert broadcaster._reader is None  # nothing reconnects behind SUBSCRIBE's back
            redis.start()  # the same port, empty
            await delivers(broadcaster, {"n": 1})
        finally:
            await broadcaster.aclose()


async def test_a_frozen_redis_ends_subscriptions_instead_of_hanging_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_broadcaster, "HEALTH_CHECK_S", 0.5)
    with redis_process(tmp_path) as redis:
        broadcaster = RedisBroadcaster(redis.url)
        try:
            async with broadcaster.subscribe("c") as events:
                redis.freeze()
                try:
                    with pytest.raises(BackendUnavailable, match="no answer to PING"):
                        await until_ended(events)
                finally:
                    redis.thaw()
            await delivers(broadcaster, {"n": 2})
        finally:
            await broadcaster.aclose()
