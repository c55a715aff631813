"""Redis pub/sub broadcaster: live events reach the subscribers of every API worker."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.db.engine import display_url
from bot.errors import BackendUnavailable
from bot.runtime.realtime import Delivery, Event, LocalFanout, decode, drain, encode

log = logging.getLogger(__name__)

# An idle subscriber connection is PINGed this often, and taken for lost when the PONG does
# not come within as long, so a silently dropped TCP connection (load balancer, NAT timeout)
# ends its subscriptions instead of hanging them forever.
HEALTH_CHECK_S = 30.0
# The subscriber connection never reconnects inside redis-py: its reconnect would run a second
# handshake on the socket the reader is reading (two coroutines reading one socket, issue 15's
# outage test). Connecting happens only under the command lock, in SUBSCRIBE.
NO_RETRY = Retry(NoBackoff(), 0, supported_errors=())


class RedisBroadcaster:
    """Events shared by every worker through Redis pub/sub, one subscriber connection each.

    Why one PubSub per worker: a WebSocket session must be cheap (1,000+ idle sessions per
    worker). Giving each session its own SUBSCRIBE connection would cost a TCP connection and
    a Redis client slot per browser tab. Instead one PubSub connection per worker multiplexes
    every channel that has a local listener: the first local subscriber of a channel sends
    SUBSCRIBE (and waits for Redis to confirm it, so no event published afterwards is missed),
    the last one to leave sends UNSUBSCRIBE, and a single reader task decodes each message
    once and fans it out to the local asyncio queues (`LocalFanout`, drop-oldest when a slow
    listener's queue is full). PUBLISH goes through a pool of its own. A session thus
    costs one queue; the worker holds one subscriber connection plus a few pooled ones.

    Redis keeps per-connection order, so events of a channel arrive in publish order. Delivery
    is at most once, like the in-memory broadcaster: events published while Redis is
    unreachable are lost. When the connection drops, every local subscription ends with
    BackendUnavailable (its listener tells its client, which re-reads the history when it
    subscribes again), the connection is dropped and the reader ends; the next SUBSCRIBE
    connects afresh and starts a new reader.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "supportbot:events:",
        queue_size: int = 1000,
        timeout_s: float = 5.0,
    ) -> None:
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_keepalive=True,
            health_check_interval=HEALTH_CHECK_S,
        )
        self._subscriber: Redis = Redis.from_url(
            url, socket_connect_timeout=timeout_s, socket_keepalive=True, retry=NO_RETRY
        )
        self._where = display_url(url)
        self._prefix = prefix
        self._timeout_s = timeout_s
        self._fanout = LocalFanout(queue_size)
        self._pubsub = self._subscriber.pubsub()
        self._reader: asyncio.Task[None] | None = None
        # SUBSCRIBE/UNSUBSCRIBE are sent in call order; a channel's confirmations come back
        # in the same order and complete these futures one by one.
        self._commands = asyncio.Lock()
        self._confirmations: dict[str, deque[asyncio.Future[None]]] = {}
        self._ready: dict[str, asyncio.Future[None]] = {}

    async def publish(self, channel: str, event: Event) -> None:
        """Send the JSON-encoded event to the channel's subscribers in every worker."""
        data = encode(event)
        try:
            await self._redis.publish(self._prefix + channel, data)
        except RedisError as exc:
            raise self._unavailable("publish a live event", exc) from exc

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Event]]:
        """Listen to a channel until the context exits; raises BackendUnavailable."""
        queue = self._fanout.add(channel)
        try:
            ready = self._ready.get(channel)
            if ready is None:
                ready = self._ready[channel] = asyncio.get_running_loop().create_future()
                await self._send("SUBSCRIBE", channel, ready)
            await asyncio.wait_for(asyncio.shield(ready), self._timeout_s)
        except (RedisError, TimeoutError, BackendUnavailable) as exc:
            await self._leave(channel, queue)
            if isinstance(exc, BackendUnavailable):
                raise
            raise self._unavailable("subscribe to live events", exc) from exc
        try:
            yield drain(queue)
        finally:
            await self._leave(channel, queue)

    async def ping(self) -> None:
        """Raise BackendUnavailable unless Redis answers."""
        try:
            await self._redis.ping()
        except RedisError as exc:
            raise self._unavailable("deliver live events", exc) from exc

    async def aclose(self) -> None:
        """Stop the reader and release the subscriber connection and the pool."""
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        self._fail_waiting(BackendUnavailable("the broadcaster was closed"))
        self._fanout.clear()
        self._ready.clear()
        await self._pubsub.aclose()
        await self._subscriber.aclose()
        await self._redis.aclose()

    async def _leave(self, channel: str, queue: asyncio.Queue[Delivery]) -> None:
        if not self._fanout.remove(channel, queue):
            return
        self._ready.pop(channel, None)
        if (self._prefix + channel).encode() not in self._pubsub.channels:
            return  # SUBSCRIBE never went out
        try:
            await self._send("UNSUBSCRIBE", channel, None)
        except RedisError as exc:
            # The subscription dies with the connection anyway; nothing for the caller to do.
            log.warning("could not unsubscribe from %s on %s: %s", channel, self._where, exc)

    async def _send(self, command: str, channel: str, ready: asyncio.Future[None] | None) -> None:
        async with self._commands:
            name = self._prefix + channel
            if ready is not None:
                self._confirmations.setdefault(name, deque()).append(ready)
            try:
                if command == "SUBSCRIBE":
                    await self._pubsub.subscribe(name)
                else:
                    await self._pubsub.unsubscribe(name)
            except RedisError:
                # The reader may have failed every waiting subscription meanwhile (Redis lost
                # while this SUBSCRIBE was on its way) and cleared them: this error says it.
                waiting = self._confirmations.get(name, deque())
                if ready is not None and ready in waiting:
                    waiting.remove(ready)
                elif ready is not None and ready.done():
                    ready.exception()  # retrieved: the error raised here supersedes it
                raise
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(), name="redis-broadcaster")

    async def _read(self) -> None:
        """Deliver messages until the connection is lost; then end every subscription."""
        pinged = False
        try:
            while True:
                connection = self._pubsub.connection
                if connection is None or not connection.is_connected:
                    raise ConnectionError("the connection was closed")  # get_message would connect
                message = await self._pubsub.get_message(timeout=HEALTH_CHECK_S)
                if message is not None:
                    pinged = False
                    self._dispatch(message)
                elif pinged:
                    raise TimeoutError(f"no answer to PING within {HEALTH_CHECK_S:g} s")
                else:
                    async with self._commands:
                        await self._pubsub.ping()
                    pinged = True
        except (RedisError, OSError) as exc:
            log.warning("live events: Redis at %s lost (%s)", self._where, exc)
            async with self._commands:
                self._fail_waiting(self._unavailable("subscribe to live events", exc))
                # Events published from now on are lost: end the subscriptions, so listeners
                # say so instead of going silent, and re-read when they subscribe again.
                self._fanout.fail(self._unavailable("deliver live events", exc))
                await self._pubsub.aclose()  # reusable: the next SUBSCRIBE connects afresh
                self._reader = None

    def _dispatch(self, message: dict[str, Any]) -> None:
        if not isinstance(message.get("channel"), bytes):
            return  # a PING reply
        name = message["channel"].decode()
        if message["type"] == "subscribe":
            waiting = self._confirmations.get(name)
            if waiting:
                future = waiting.popleft()
                if not future.done():
                    future.set_result(None)
            if not waiting:
                self._confirmations.pop(name, None)
        elif message["type"] == "message":
            try:
                event = decode(message["data"])
            except ValueError:
                log.warning("live events: dropped a message on %s that is not JSON", name)
                return
            self._fanout.deliver(name.removeprefix(self._prefix), event)

    def _fail_waiting(self, error: BackendUnavailable) -> None:
        for waiting in self._confirmations.values():
            for future in waiting:
                if not future.done():
                    future.set_exception(error)
        self._confirmations.clear()

    def _unavailable(self, action: str, exc: Exception) -> BackendUnavailable:
        return BackendUnavailable(
            f"could not {action}: Redis at {self._where} is unreachable ({exc or 'timed out'}); "
            "check that it is running and SUPPORTBOT_REDIS__URL"
        )
