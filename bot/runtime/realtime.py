"""Live events per conversation (bot tokens, agent messages) for WebSocket listeners."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

from bot.errors import BotError

Event = dict[str, Any]
log = logging.getLogger(__name__)


class Broadcaster(Protocol):
    """Fan-out of JSON-serialisable events on named channels, in publish order per channel.

    Delivery is at most once: a subscriber sees the events published after its `subscribe`
    context was entered and before it exits. Backends raise `BackendUnavailable` when their
    server cannot be reached.
    """

    async def publish(self, channel: str, event: Event) -> None:
        """Send `event` to every current subscriber of `channel` (in every worker)."""
        ...

    def subscribe(self, channel: str) -> Any:
        """Async context manager yielding an async iterator of the channel's events.

        The iterator raises `BackendUnavailable` when the subscription breaks (events may have
        been lost): the listener should say so and re-read what it shows.
        """
        ...

    async def ping(self) -> None:
        """Raise `BackendUnavailable` when events cannot be delivered (readiness)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


# Channels whose last publish failed: an outage is logged once per channel, not per token.
_undelivered: set[str] = set()


async def publish_or_log(broadcaster: Broadcaster, channel: str, event: Event) -> None:
    """Publish `event`; when the live channel is down, log it and go on.

    The write that caused the event is stored already and must not fail for it (issue 15):
    listeners re-read the history when their socket reconnects.
    """
    try:
        await broadcaster.publish(channel, event)
    except BotError as exc:
        if channel not in _undelivered:
            if len(_undelivered) >= 10_000:
                _undelivered.clear()
            _undelivered.add(channel)
            log.warning(
                "live %s event on %s not delivered (nor later ones until it works again): %s",
                event.get("type"),
                channel,
                exc,
            )
    else:
        _undelivered.discard(channel)


def encode(event: Event) -> str:
    """The wire form of an event (JSON); raises TypeError for what JSON cannot hold."""
    return json.dumps(event, separators=(",", ":"))


def decode(data: str | bytes) -> Event:
    """An event from its wire form."""
    event: Event = json.loads(data)
    return event


# What a subscriber queue holds: events, or the error that ended the subscription.
Delivery = Event | BotError


class LocalFanout:
    """This worker's subscriber queues per channel; a full queue drops its oldest event."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queues: dict[str, set[asyncio.Queue[Delivery]]] = {}
        self._queue_size = queue_size

    def add(self, channel: str) -> asyncio.Queue[Delivery]:
        """A new subscriber queue on `channel`."""
        queue: asyncio.Queue[Delivery] = asyncio.Queue(self._queue_size)
        self._queues.setdefault(channel, set()).add(queue)
        return queue

    def remove(self, channel: str, queue: asyncio.Queue[Delivery]) -> bool:
        """Drop a subscriber queue; True when it was the channel's last one."""
        queues = self._queues.get(channel, set())
        queues.discard(queue)
        if queues:
            return False
        self._queues.pop(channel, None)
        return True

    def deliver(self, channel: str, event: Delivery) -> None:
        """Queue the event for each local subscriber of `channel`."""
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def fail(self, error: BotError) -> None:
        """End every subscription: each subscriber's iterator raises `error` (after the events
        already queued), so listeners learn that they may miss events from now on."""
        for channel in self.channels():
            self.deliver(channel, error)

    def channels(self) -> list[str]:
        """Channels with at least one local subscriber."""
        return list(self._queues)

    def clear(self) -> None:
        """Forget every subscriber."""
        self._queues.clear()


async def drain(queue: asyncio.Queue[Delivery]) -> AsyncIterator[Event]:
    """The events of a subscriber queue, until a failure ends the subscription (raised)."""
    while True:
        item = await queue.get()
        if isinstance(item, BotError):
            raise item
        yield item
