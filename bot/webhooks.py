"""Webhooks: events POSTed as JSON, signed with HMAC-SHA256, retried with backoff, logged."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from escalation.interfaces import WebhookLog

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Supportbot-Signature"


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

    def fire(self, event: str, payload: Mapping[str, Any]) -> None:
        """Schedule delivery of `event` to every URL; returns at once."""
        for url in self._urls:
            task = asyncio.create_task(self._deliver(event, url, dict(payload)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: str, url: str, payload: dict[str, Any]) -> None:
        delivery = await self._log.record(event, url, payload)
        body = json.dumps(
            {"event": event, "delivery": delivery.id, "data": payload}, ensure_ascii=False
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Supportbot-Event": event,
            "X-Supportbot-Delivery": str(delivery.id),
            SIGNATURE_HEADER: sign(self._secret, body),
        }
        error = ""
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            for attempt in range(1, self._attempts + 1):
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
                final = attempt == self._attempts
                await self._log.mark(
                    delivery.id,
                    status="failed" if final else "retrying",
                    attempts=attempt,
                    error=error,
                )
                if not final:
                    await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        log.warning(
            "webhook %s to %s failed after %d attempts: %s", event, url, self._attempts, error
        )

    async def drain(self) -> None:
        """Wait for deliveries in flight (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
