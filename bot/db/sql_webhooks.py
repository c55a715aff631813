"""`WebhookLog` on SQLite or PostgreSQL: every delivery and its last outcome, for the admin view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from bot.db.escalation_tables import EscalationTables
from bot.db.sql_support import now, transaction
from escalation.errors import EscalationError
from escalation.types import WebhookDelivery

PENDING = "pending"
UNFINISHED = (PENDING, "retrying")
STATUSES = frozenset({*UNFINISHED, "delivered", "failed"})


class SqlWebhookLog:
    """Webhook deliveries in the SQL database of `engine` (tables of `define_tables`)."""

    def __init__(self, engine: Engine, tables: EscalationTables) -> None:
        self._engine = engine
        self._deliveries = tables.webhook_deliveries

    async def record(self, event: str, url: str, payload: Mapping[str, Any]) -> WebhookDelivery:
        """A pending delivery with no attempts yet."""
        return await anyio.to_thread.run_sync(self._record, event, url, dict(payload))

    async def mark(self, delivery_id: int, *, status: str, attempts: int, error: str) -> None:
        """Update after an attempt: `retrying`, `delivered` or `failed` (ValueError otherwise).

        EscalationError if there is no such delivery.
        """
        if status not in STATUSES:
            raise ValueError(
                f"unknown webhook delivery status {status!r}: use one of {sorted(STATUSES)}"
            )
        await anyio.to_thread.run_sync(self._mark, delivery_id, status, attempts, error)

    async def recent(self, limit: int = 100) -> list[WebhookDelivery]:
        """The latest `limit` deliveries, newest first."""
        return await anyio.to_thread.run_sync(self._recent, limit)

    async def unfinished(self, limit: int = 1000) -> list[WebhookDelivery]:
        """Deliveries still pending or retrying, oldest first."""
        return await anyio.to_thread.run_sync(self._unfinished, limit)

    async def claim(self, delivery_id: int, updated_at: dt.datetime) -> bool:
        """Mark an unfinished delivery updated now if it still has `updated_at`; True for one."""
        return await anyio.to_thread.run_sync(self._claim, delivery_id, updated_at)

    async def aclose(self) -> None:
        """Release connections."""
        await anyio.to_thread.run_sync(self._engine.dispose)

    def _record(self, event: str, url: str, payload: dict[str, Any]) -> WebhookDelivery:
        deliveries = self._deliveries
        stamp = now()
        with transaction(self._engine) as conn:
            row = (
                conn.execute(
                    deliveries.insert()
                    .values(
                        event=event,
                        url=url,
                        payload=payload,
                        status=PENDING,
                        attempts=0,
                        last_error="",
                        created_at=stamp,
                        updated_at=stamp,
                    )
                    .returning(*deliveries.c)
                )
                .mappings()
                .one()
            )
        return _delivery(row)

    def _mark(self, delivery_id: int, status: str, attempts: int, error: str) -> None:
        deliveries = self._deliveries
        with transaction(self._engine) as conn:
            updated = conn.execute(
                sa.update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(status=status, attempts=attempts, last_error=error, updated_at=now())
            ).rowcount
        if not updated:
            raise EscalationError(f"no webhook delivery {delivery_id}")

    def _recent(self, limit: int) -> list[WebhookDelivery]:
        deliveries = self._deliveries
        with transaction(self._engine) as conn:
            rows = (
                conn.execute(
                    sa.select(deliveries)
                    .order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc())
                    .limit(max(limit, 0))
                )
                .mappings()
                .all()
            )
        return [_delivery(row) for row in rows]

    def _unfinished(self, limit: int) -> list[WebhookDelivery]:
        deliveries = self._deliveries
        with transaction(self._engine) as conn:
            rows = (
                conn.execute(
                    sa.select(deliveries)
                    .where(deliveries.c.status.in_(UNFINISHED))
                    .order_by(deliveries.c.created_at, deliveries.c.id)
                    .limit(max(limit, 0))
                )
                .mappings()
                .all()
            )
        return [_delivery(row) for row in rows]

    def _claim(self, delivery_id: int, updated_at: dt.datetime) -> bool:
        deliveries = self._deliveries
        with transaction(self._engine) as conn:
            claimed = conn.execute(
                sa.update(deliveries)
                .where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.status.in_(UNFINISHED),
                    deliveries.c.updated_at == updated_at,
                )
                .values(updated_at=now())
            ).rowcount
        return bool(claimed == 1)


def _delivery(row: RowMapping) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        event=row["event"],
        url=row["url"],
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        payload=row["payload"],
    )
