"""Webhook deliveries a stopped worker left pending or retrying are resumed at start, once,
by one of the workers starting together (issue 15); SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.schema import escalation_tables
from bot.db.sql_webhooks import SqlWebhookLog
from bot.handoff.webhooks import SIGNATURE_HEADER, WebhookSender, sign

pytestmark = pytest.mark.anyio

SECRET = "whsec-test"


class Receiver:
    """Records each POST's delivery id and body; answers 200."""

    def __init__(self) -> None:
        self.got: list[tuple[str, bytes, str]] = []
        received = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                delivery = self.headers.get("X-Supportbot-Delivery", "")
                received.append((delivery, body, self.headers.get(SIGNATURE_HEADER, "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def data(ticket_id: str) -> dict[str, Any]:
    """A ticket's webhook data as the delivery log keeps it."""
    return {
        "ticket_id": ticket_id,
        "conversation_id": "c1",
        "status": "open",
        "priority": "normal",
        "reasons": ["explicit_request"],
        "summary": "Wants a refund",
        "customer_email": "ana@example.com",
        "offline": False,
        "agent_id": None,
    }


def worker(log: SqlWebhookLog, urls: list[str]) -> WebhookSender:
    # A 0.5 s timeout: a live sender is silent at most ~3 s, so the test waits that long.
    return WebhookSender(urls, SECRET, log, attempts=3, backoff_s=0.05, timeout_s=0.5)


async def test_two_workers_resume_each_unfinished_delivery_once(
    engine: Engine, receiver: Receiver
) -> None:
    log = SqlWebhookLog(engine, escalation_tables)
    abandoned = await log.record("escalation", receiver.url, data("t1"))
    retrying = await log.record("escalation", receiver.url, data("t2"))
    await log.mark(retrying.id, status="retrying", attempts=1, error="HTTP 503")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    table = escalation_tables.webhook_deliveries
    with engine.begin() as conn:  # the worker that wrote these stopped an hour ago
        conn.execute(
            sa.update(table)
            .where(table.c.id.in_([abandoned.id, retrying.id]))
            .values(updated_at=long_ago)
        )
    # Written just now by a worker that stopped at once: resumed once it is quiet too long.
    recent = await log.record("escalation", receiver.url, data("t3"))
    gone = await log.record("escalation", "https://removed.example/hook", data("t4"))
    delivered = await log.record("escalation", receiver.url, data("t5"))
    unreadable = await log.record("escalation", receiver.url, {"ticket": "t6"})
    await log.mark(delivered.id, status="delivered", attempts=1, error="")

    workers = [worker(log, [receiver.url]), worker(log, [receiver.url])]
    counts = [await w.resume() for w in workers]
    assert counts == [5, 5]
    deadline = time.monotonic() + 60
    while any(d.status in ("pending", "retrying") for d in await log.recent()):
        assert time.monotonic() < deadline, await log.recent()
        await anyio.sleep(0.2)
    for w in workers:
        await w.drain()

    got = sorted(int(delivery) for delivery, _, _ in receiver.got)
    assert got == sorted([abandoned.id, retrying.id, recent.id])
    for delivery, body, signature in receiver.got:
        assert signature == sign(SECRET, body)
        sent = json.loads(body)  # the logged data, sent as it was logged
        assert sent == {"event": "escalation", "delivery": int(delivery), "data": sent["data"]}
        assert sent["data"] == data(sent["data"]["ticket_id"])
    rows = {d.id: d for d in await log.recent()}
    final = {i: (d.status, d.attempts) for i, d in rows.items()}
    assert final[abandoned.id] == ("delivered", 1)
    assert final[retrying.id] == ("delivered", 2)
    assert final[recent.id] == ("delivered", 1)
    assert final[gone.id] == ("failed", 0)
    assert final[delivered.id] == ("delivered", 1)
    assert final[unreadable.id][0] == "failed"  # marked, never left pending
    assert "cannot be read" in next(
        d.last_error for d in await log.recent() if d.id == unreadable.id
    )
