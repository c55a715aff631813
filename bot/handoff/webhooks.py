"""Webhooks: events POSTed as JSON, signed with HMAC-SHA256, retried with backoff, logged."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import httpx

from escalation.errors import EscalationError
from escalation.interfaces import WebhookLog
from escalation.types import Priority, Ticket, TicketStatus, WebhookDelivery

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Supportbot-Signature"


class WebhookEvent(StrEnum):
    """What happened to a ticket; the value is the body's `event` and `X-Supportbot-Event`."""

    ESCALATION = "escalation"  # a conversation was handed to people (a ticket opened)
    CANCEL = "cancel"  # the customer took the request back before anyone claimed it
    CLAIM = "claim"
    RESOLVE = "resolve"


@dataclass(frozen=True, slots=True)
class TicketData:
    """A webhook body's `data`: the ticket as it is after the event."""

    ticket_id: str
    conversation_id: str
    status: TicketStatus
    priority: Priority
    reasons: tuple[str, ...]
    summary: str
    customer_email: str
    offline: bool
    agent_id: str | None

    @classmethod
    def from_ticket(cls, ticket: Ticket) -> TicketData:
        """The ticket's data."""
        return cls(
            ticket_id=ticket.id,
            conversation_id=ticket.conversation_id,
            status=ticket.status,
            priority=ticket.priority,
            reasons=ticket.reasons,
            summary=ticket.summary,
            customer_email=ticket.customer_email,
            offline=ticket.offline,
            agent_id=ticket.agent_id,
        )

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> TicketData:
        """The data as the delivery log keeps it (`as_json`), parsed."""
        agent_id = stored["agent_id"]
        return cls(
            ticket_id=str(stored["ticket_id"]),
            conversation_id=str(stored["conversation_id"]),
            status=TicketStatus(stored["status"]),
            priority=Priority(stored["priority"]),
            reasons=tuple(str(r) for r in stored["reasons"]),
            summary=str(stored["summary"]),
            customer_email=str(stored["customer_email"]),
            offline=bool(stored["offline"]),
            agent_id=None if agent_id is None else str(agent_id),
        )

    def as_json(self) -> dict[str, Any]:
        """The JSON object sent (and kept in the delivery log), keys in field order."""
        return {
            **asdict(self),
            "status": self.status.value,
            "priority": self.priority.value,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class WebhookBody:
    """What each POST carries: `{"event", "delivery", "data"}` as UTF-8 JSON."""

    event: WebhookEvent
    delivery: int  # the delivery log's id, also sent as `X-Supportbot-Delivery`
    data: TicketData

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> WebhookBody:
        """The body of a logged delivery."""
        return cls(WebhookEvent(delivery.event), delivery.id, TicketData.of(delivery.payload))

    def encode(self) -> bytes:
        """The bytes POSTed (and signed)."""
        body = {"event": self.event.value, "delivery": self.delivery, "data": self.data.as_json()}
        return json.dumps(body, ensure_ascii=False).encode()


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of the body keyed with the secret (verify it with hmac.compare_digest)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Delivers events to every configured URL in the background."""

    def __init__(
        self,
        urls: Sequence[str],
        secret: str,
        deliveries: WebhookLog,
        *,
        attempts: int,
        backoff_s: float,
        timeout_s: float = 10.0,
    ) -> None:
        self._urls = list(urls)
        self._secret = secret
        self._log = deliveries
        self._attempts = attempts
        self._backoff = backoff_s
        self._timeout = timeout_s
        self._tasks: set[asyncio.Task[None]] = set()

    def fire(self, event: WebhookEvent, ticket: Ticket) -> None:
        """Schedule delivery of `event` about `ticket` to every URL; returns at once."""
        data = TicketData.from_ticket(ticket).as_json()
        for url in self._urls:
            self._spawn(self._deliver(event, url, data))

    async def resume(self) -> int:
        """Resume in the background the deliveries that a stopped worker left pending or
        retrying (run at start by every worker); returns how many there are."""
        left = await self._log.unfinished()
        if left:
            self._spawn(self._resume(left))
        return len(left)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: WebhookEvent, url: str, data: dict[str, Any]) -> None:
        await self._attempts_from(await self._log.record(event.value, url, data), 1)

    def _quiet_s(self, attempts: int) -> float:
        """The longest a live sender leaves a delivery with `attempts` unwritten: the backoff
        before its next attempt plus that attempt (each httpx phase may take the timeout)."""
        backoff = self._backoff * 2 ** (attempts - 1) if attempts else 0.0
        return backoff + 4 * self._timeout + 1.0

    async def _resume(self, left: Sequence[WebhookDelivery]) -> None:
        """Take over each delivery once it has been quiet longer than a live sender can be;
        the claim makes one worker of several the one that sends it."""
        waiting = {d.id: d for d in left}
        try:
            while waiting:
                now = dt.datetime.now(dt.UTC)
                for delivery in list(waiting.values()):
                    quiet = dt.timedelta(seconds=self._quiet_s(delivery.attempts))
                    if now >= delivery.updated_at + quiet and await self._log.claim(
                        delivery.id, delivery.updated_at
                    ):
                        del waiting[delivery.id]
                        self._spawn(self._attempts_from(delivery, delivery.attempts + 1))
                if not waiting:
                    return
                await asyncio.sleep(1.0)
                # Refreshed: finished ones drop out, ones a live sender wrote wait again.
                current = {d.id: d for d in await self._log.unfinished()}
                waiting = {i: current[i] for i in waiting if i in current}
        except EscalationError as exc:
            log.error("resuming webhook deliveries stopped: %s", exc)

    async def _attempts_from(self, delivery: WebhookDelivery, first: int) -> None:
        """Send `delivery`, as attempt `first` onwards; the log records each outcome."""
        url = delivery.url
        if url not in self._urls:
            error = "the URL is no longer in escalation.webhook_urls"
            await self._log.mark(delivery.id, status="failed", attempts=first - 1, error=error)
            return
        try:
            body = WebhookBody.of(delivery).encode()
        except (KeyError, TypeError, ValueError) as exc:  # a row no sender of ours wrote
            error = f"the logged body cannot be read ({type(exc).__name__}: {exc})"
            await self._log.mark(delivery.id, status="failed", attempts=first - 1, error=error)
            return
        headers = {
            "Content-Type": "application/json",
            "X-Supportbot-Event": delivery.event,
            "X-Supportbot-Delivery": str(delivery.id),
            SIGNATURE_HEADER: sign(self._secret, body),
        }
        error = ""
        last = max(self._attempts, first)
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            for attempt in range(first, last + 1):
                try:
                    response = await client.post(url, content=body, headers=headers)
                    if response.status_code < 300:
                        await self._log.mark(
                            delivery.id, status="delivered", attempts=attempt, error=""
                        )
                        return
                    error = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                final = attempt == last
                await self._log.mark(
                    delivery.id,
                    status="failed" if final else "retrying",
                    attempts=attempt,
                    error=error,
                )
                if not final:
                    await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        log.warning(
            "webhook %s to %s failed after %d attempts: %s", delivery.event, url, last, error
        )

    async def drain(self) -> None:
        """Wait for deliveries in flight (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
