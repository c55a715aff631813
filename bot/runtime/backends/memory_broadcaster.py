"""In-process broadcaster: one worker only; RedisBroadcaster shares events across workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.runtime.realtime import Event, LocalFanout, decode, drain, encode


class MemoryBroadcaster:
    """Events reach the subscribers of this process only."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._fanout = LocalFanout(queue_size)

    async def publish(self, channel: str, event: Event) -> None:
        """Queue a JSON copy of the event for each subscriber (same contract as Redis)."""
        self._fanout.deliver(channel, decode(encode(event)))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Event]]:
        """Listen to a channel until the context exits."""
        queue = self._fanout.add(channel)
        try:
            yield drain(queue)
        finally:
            self._fanout.remove(channel, queue)

    async def ping(self) -> None:
        """Always ready."""

    async def aclose(self) -> None:
        """Forget every subscriber."""
        self._fanout.clear()
