"""Live events per conversation (bot tokens, agent messages) for WebSocket listeners."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

Event = dict[str, Any]


class Broadcaster(Protocol):
    """Fan-out of events on named channels; delivery is in publish order per channel."""

    async def publish(self, channel: str, event: Event) -> None:
        """Send `event` to every current subscriber of `channel`."""
        ...

    def subscribe(self, channel: str) -> Any:
        """Async context manager yielding an async iterator of the channel's events."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class MemoryBroadcaster:
    """In-process broadcaster (one worker); Redis pub/sub replaces it to scale out."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = {}
        self._queue_size = queue_size

    async def publish(self, channel: str, event: Event) -> None:
        """Queue the event for each subscriber (a full queue drops its oldest event)."""
        for queue in list(self._subscribers.get(channel, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Event]]:
        """Listen to a channel until the context exits."""
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._subscribers.setdefault(channel, set()).add(queue)

        async def events() -> AsyncIterator[Event]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            subscribers = self._subscribers.get(channel, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(channel, None)

    async def aclose(self) -> None:
        """Forget every subscriber."""
        self._subscribers.clear()
