"""Contract of `HandoffQueue` (and `WebhookLog`), run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.schema import escalation_tables
from bot.db.sql_agents import SqlAgentStore
from bot.db.sql_queue import SqlHandoffQueue
from bot.db.sql_webhooks import SqlWebhookLog
from escalation.errors import AlreadyClaimed, EscalationError, InvalidTransition, TicketNotFound
from escalation.interfaces import HandoffQueue, WebhookLog
from escalation.types import AgentRole, Priority, Ticket, TicketStatus

pytestmark = pytest.mark.anyio

UNKNOWN = "0" * 32
CONTEXT = {
    "transcript": ["customer: where is my refund?", "bot: refunds take 5-10 days [1]"],
    "customer": {"name": "Ñoño", "email": "n@example.com"},
    "sources": ["refund-timing#2"],
    "confidence": 0.25,
}


@pytest.fixture
def queue(engine: Engine) -> SqlHandoffQueue:
    """The queue under test."""
    return SqlHandoffQueue(engine, escalation_tables)


async def enqueue(
    queue: HandoffQueue, conversation_id: str, priority: Priority = Priority.NORMAL
) -> Ticket:
    """A ticket with plain content."""
    return await queue.enqueue(
        conversation_id,
        priority=priority,
        reasons=["low_confidence"],
        summary=f"summary of {conversation_id}",
        context=CONTEXT,
    )


async def test_enqueue_and_get(queue: SqlHandoffQueue) -> None:
    ticket = await queue.enqueue(
        "conv-1",
        priority=Priority.HIGH,
        reasons=["emotion", "explicit_request"],
        summary="Angry about a late refund.",
        context=CONTEXT,
        customer_email="n@example.com",
        offline=True,
    )
    assert len(ticket.id) == 32
    assert ticket.conversation_id == "conv-1"
    assert ticket.status is TicketStatus.OPEN
    assert ticket.priority is Priority.HIGH
    assert ticket.reasons == ("emotion", "explicit_request")
    assert ticket.summary == "Angry about a late refund."
    assert ticket.context == CONTEXT
    assert (ticket.customer_email, ticket.offline) == ("n@example.com", True)
    assert (ticket.agent_id, ticket.claimed_at, ticket.resolved_at) == (None, None, None)
    assert ticket.created_at.tzinfo == dt.UTC
    assert ticket.updated_at == ticket.created_at
    assert await queue.get(ticket.id) == ticket
    assert await queue.active_for("conv-1") == ticket
    assert await queue.active_for("conv-2") is None


async def test_enqueue_returns_the_active_ticket(queue: SqlHandoffQueue) -> None:
    first = await enqueue(queue, "conv-1")
    assert await enqueue(queue, "conv-1", Priority.URGENT) == first
    claimed = await queue.claim(first.id, "agent-a")
    assert await enqueue(queue, "conv-1") == claimed
    await queue.resolve(first.id, "agent-a")
    second = await enqueue(queue, "conv-1")
    assert second.id != first.id
    assert second.status is TicketStatus.OPEN
    assert await queue.active_for("conv-1") == second


async def test_concurrent_enqueues_make_one_ticket(queue: SqlHandoffQueue) -> None:
    tickets = await asyncio.gather(*(enqueue(queue, "conv-race") for _ in range(10)))
    assert len({ticket.id for ticket in tickets}) == 1
    assert [t.id for t in await queue.list()] == [tickets[0].id]


async def test_list_orders_by_priority_then_age(queue: SqlHandoffQueue) -> None:
    plan = [
        ("a", Priority.NORMAL),
        ("b", Priority.URGENT),
        ("c", Priority.HIGH),
        ("d", Priority.NORMAL),
        ("e", Priority.URGENT),
    ]
    made = {name: await enqueue(queue, name, priority) for name, priority in plan}
    listed = await queue.list()
    assert [t.conversation_id for t in listed] == ["b", "e", "c", "a", "d"]

    await queue.claim(made["e"].id, "agent-a")
    await queue.claim(made["a"].id, "agent-b")
    await queue.claim(made["d"].id, "agent-a")
    await queue.claim(made["c"].id, "agent-a")
    await queue.resolve(made["c"].id, "agent-a")
    assert [t.conversation_id for t in await queue.list()] == ["b"]
    claimed = await queue.list(statuses=[TicketStatus.CLAIMED])
    assert [t.conversation_id for t in claimed] == ["e", "a", "d"]
    mine = await queue.list(
        statuses=[TicketStatus.CLAIMED, TicketStatus.RESOLVED], agent_id="agent-a"
    )
    assert [t.conversation_id for t in mine] == ["e", "c", "d"]
    everything = await queue.list(statuses=list(TicketStatus))
    assert [t.conversation_id for t in everything] == ["b", "e", "c", "a", "d"]
    assert await queue.list(statuses=[]) == []


async def test_claim_rules(queue: SqlHandoffQueue, engine: Engine) -> None:
    agents = SqlAgentStore(engine, escalation_tables)
    ana = await agents.add("ana", "correct horse", AgentRole.AGENT, display_name="Ana Pérez")
    ticket = await enqueue(queue, "conv-1")

    claimed = await queue.claim(ticket.id, ana.id)
    assert claimed.status is TicketStatus.CLAIMED
    assert claimed.agent_id == ana.id
    assert claimed.claimed_at is not None and claimed.claimed_at >= ticket.created_at
    assert claimed.updated_at == claimed.claimed_at
    assert await queue.get(ticket.id) == claimed
    # Claiming again is idempotent for the holder.
    assert await queue.claim(ticket.id, ana.id) == claimed
    with pytest.raises(AlreadyClaimed, match=r"^ticket already claimed by Ana Pérez$"):
        await queue.claim(ticket.id, "agent-b")

    # A holder without an account here is named by id.
    other = await enqueue(queue, "conv-2")
    await queue.claim(other.id, "agent-b")
    with pytest.raises(AlreadyClaimed, match=r"^ticket already claimed by agent-b$"):
        await queue.claim(other.id, ana.id)

    await queue.resolve(ticket.id, ana.id)
    for agent in (ana.id, "agent-b"):
        with pytest.raises(InvalidTransition, match="is resolved: only an open ticket"):
            await queue.claim(ticket.id, agent)
    await queue.return_to_bot(other.id, "agent-b")
    with pytest.raises(InvalidTransition, match="is returned"):
        await queue.claim(other.id, "agent-b")
    with pytest.raises(TicketNotFound):
        await queue.claim(UNKNOWN, ana.id)


async def test_transfer_rules(queue: SqlHandoffQueue) -> None:
    ticket = await enqueue(queue, "conv-1")
    with pytest.raises(
        InvalidTransition, match=r"^cannot transfer ticket \w+: it is open, not claimed$"
    ):
        await queue.transfer(ticket.id, "agent-a", "agent-b")
    await queue.claim(ticket.id, "agent-a")
    with pytest.raises(
        InvalidTransition, match="held by agent-a, and only the holding agent can transfer it$"
    ):
        await queue.transfer(ticket.id, "agent-b", "agent-b")

    moved = await queue.transfer(ticket.id, "agent-a", "agent-b")
    assert (moved.status, moved.agent_id) == (TicketStatus.CLAIMED, "agent-b")
    with pytest.raises(InvalidTransition, match="held by agent-b"):
        await queue.transfer(ticket.id, "agent-a", None)
    with pytest.raises(AlreadyClaimed):
        await queue.claim(ticket.id, "agent-a")

    released = await queue.transfer(ticket.id, "agent-b", None)
    assert released.status is TicketStatus.OPEN
    assert (released.agent_id, released.claimed_at) == (None, None)
    assert [t.id for t in await queue.list()] == [ticket.id]
    assert (await queue.claim(ticket.id, "agent-c")).agent_id == "agent-c"


async def test_resolve_and_return_rules(queue: SqlHandoffQueue) -> None:
    ticket = await enqueue(queue, "conv-1")
    for close in (queue.resolve, queue.return_to_bot):
        with pytest.raises(InvalidTransition, match="it is open, not claimed"):
            await close(ticket.id, "agent-a")
    await queue.claim(ticket.id, "agent-a")
    for close in (queue.resolve, queue.return_to_bot):
        with pytest.raises(InvalidTransition, match="only the holding agent"):
            await close(ticket.id, "agent-b")

    resolved = await queue.resolve(ticket.id, "agent-a")
    assert resolved.status is TicketStatus.RESOLVED
    assert resolved.agent_id == "agent-a"
    assert resolved.resolved_at is not None and resolved.resolved_at >= resolved.created_at
    assert await queue.active_for("conv-1") is None
    for close in (queue.resolve, queue.return_to_bot):
        with pytest.raises(InvalidTransition, match="it is resolved, not claimed"):
            await close(ticket.id, "agent-a")
    with pytest.raises(InvalidTransition):
        await queue.transfer(ticket.id, "agent-a", None)

    again = await enqueue(queue, "conv-1")
    await queue.claim(again.id, "agent-b")
    returned = await queue.return_to_bot(again.id, "agent-b")
    assert returned.status is TicketStatus.RETURNED
    assert returned.resolved_at is not None
    assert await queue.active_for("conv-1") is None


async def test_update(queue: SqlHandoffQueue) -> None:
    ticket = await enqueue(queue, "conv-1")
    assert await queue.update(ticket.id) == ticket
    emailed = await queue.update(ticket.id, customer_email="late@example.com")
    assert (emailed.customer_email, emailed.offline) == ("late@example.com", False)
    offline = await queue.update(ticket.id, offline=True)
    assert (offline.customer_email, offline.offline) == ("late@example.com", True)
    assert offline.updated_at >= ticket.updated_at
    # Also after the ticket is closed (the follow-up email comes later).
    await queue.claim(ticket.id, "agent-a")
    await queue.resolve(ticket.id, "agent-a")
    assert (await queue.update(ticket.id, offline=False)).offline is False


async def test_notes(queue: SqlHandoffQueue) -> None:
    ticket = await enqueue(queue, "conv-1")
    other = await enqueue(queue, "conv-2")
    assert await queue.notes(ticket.id) == []
    first = await queue.add_note(ticket.id, "agent-a", "Customer is a VIP.")
    await queue.add_note(other.id, "agent-b", "elsewhere")
    second = await queue.add_note(ticket.id, "agent-b", "Refund issued — ñ ✓")
    assert (first.ticket_id, first.agent_id, first.text) == (
        ticket.id,
        "agent-a",
        "Customer is a VIP.",
    )
    assert first.created_at.tzinfo == dt.UTC
    assert await queue.notes(ticket.id) == [first, second]
    await queue.claim(ticket.id, "agent-a")
    await queue.resolve(ticket.id, "agent-a")
    third = await queue.add_note(ticket.id, "agent-a", "closed")
    assert await queue.notes(ticket.id) == [first, second, third]


async def test_unknown_tickets_raise_not_found(queue: SqlHandoffQueue) -> None:
    await enqueue(queue, "conv-1")
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: queue.get(UNKNOWN),
        lambda: queue.claim(UNKNOWN, "a"),
        lambda: queue.transfer(UNKNOWN, "a", "b"),
        lambda: queue.resolve(UNKNOWN, "a"),
        lambda: queue.return_to_bot(UNKNOWN, "a"),
        lambda: queue.update(UNKNOWN, offline=True),
        lambda: queue.update(UNKNOWN),
        lambda: queue.add_note(UNKNOWN, "a", "text"),
        lambda: queue.notes(UNKNOWN),
    ]
    for call in calls:
        with pytest.raises(TicketNotFound, match=UNKNOWN):
            await call()


async def test_unreachable_database_is_a_readable_escalation_error() -> None:
    engine = sa.create_engine("postgresql+psycopg://bot:s3cret@127.0.0.1:1/supportbot")
    try:
        queue = SqlHandoffQueue(engine, escalation_tables)
        with pytest.raises(EscalationError) as caught:
            await queue.list()
    finally:
        engine.dispose()
    assert type(caught.value) is EscalationError
    message = str(caught.value)
    assert message.startswith("cannot reach the escalation database at ")
    assert "postgresql://bot@127.0.0.1:1/supportbot" in message
    assert "s3cret" not in message


def test_backends_satisfy_the_protocols(engine: Engine) -> None:
    # Checked by mypy; at run time, just build them.
    queue: HandoffQueue = SqlHandoffQueue(engine, escalation_tables)
    log: WebhookLog = SqlWebhookLog(engine, escalation_tables)
    assert queue is not None and log is not None


# --- WebhookLog ---------------------------------------------------------------------------


async def test_webhook_log(engine: Engine) -> None:
    log = SqlWebhookLog(engine, escalation_tables)
    assert await log.recent() == []
    payload = {"ticket": {"id": "t1", "priority": "urgent"}, "reasons": ["emotion"], "n": 1.5}
    first = await log.record("ticket.created", "https://hooks.example/a", payload)
    assert (first.event, first.url, first.payload) == (
        "ticket.created",
        "https://hooks.example/a",
        payload,
    )
    assert (first.status, first.attempts, first.last_error) == ("pending", 0, "")
    assert first.created_at.tzinfo == dt.UTC
    second = await log.record("ticket.claimed", "https://hooks.example/b", {})

    await log.mark(first.id, status="retrying", attempts=1, error="HTTP 503")
    await log.mark(first.id, status="failed", attempts=3, error="HTTP 503 after 3 attempts")
    await log.mark(second.id, status="delivered", attempts=1, error="")
    recent = await log.recent()
    assert [d.id for d in recent] == [second.id, first.id]
    assert (recent[1].status, recent[1].attempts, recent[1].last_error) == (
        "failed",
        3,
        "HTTP 503 after 3 attempts",
    )
    assert recent[0].status == "delivered"
    assert [d.id for d in await log.recent(limit=1)] == [second.id]

    with pytest.raises(ValueError, match="unknown webhook delivery status"):
        await log.mark(first.id, status="done", attempts=1, error="")
    with pytest.raises(EscalationError, match="no webhook delivery 999999"):
        await log.mark(999_999, status="failed", attempts=1, error="")


async def test_unfinished_deliveries_are_claimed_by_one_worker(engine: Engine) -> None:
    log = SqlWebhookLog(engine, escalation_tables)
    pending = await log.record("escalation", "https://hooks.example/a", {"n": 1})
    retrying = await log.record("escalation", "https://hooks.example/a", {"n": 2})
    await log.mark(retrying.id, status="retrying", attempts=1, error="HTTP 503")
    done = await log.record("escalation", "https://hooks.example/a", {"n": 3})
    await log.mark(done.id, status="delivered", attempts=1, error="")
    unfinished = await log.unfinished()
    assert [(d.id, d.status, d.attempts) for d in unfinished] == [
        (pending.id, "pending", 0),
        (retrying.id, "retrying", 1),
    ]
    assert unfinished[0].updated_at == pending.updated_at
    assert unfinished[1].updated_at > retrying.updated_at

    seen = unfinished[1]
    won = await asyncio.gather(*(log.claim(seen.id, seen.updated_at) for _ in range(5)))
    assert sorted(won) == [False] * 4 + [True]
    assert not await log.claim(seen.id, seen.updated_at)
    finished = (await log.recent())[0]
    assert not await log.claim(finished.id, finished.updated_at)  # delivered: nothing to resume


async def test_waits_are_measured_from_opening_to_claim(
    queue: SqlHandoffQueue, engine: Engine
) -> None:
    agents = SqlAgentStore(engine, escalation_tables)
    agent = await agents.add("waiter", "password123", AgentRole.AGENT)
    now = dt.datetime.now(dt.UTC)
    # (wait in seconds, claimed this long ago, offline): only recent live chats count.
    cases = {"w1": (120, 60, False), "w2": (300, 600, False), "w3": (900, 60, True)}
    cases["old"] = (60, 10 * 86_400, False)
    tickets = escalation_tables.tickets
    for conversation_id, (wait, ago, offline) in cases.items():
        ticket = await queue.enqueue(
            conversation_id,
            priority=Priority.NORMAL,
            reasons=["low_confidence"],
            summary="",
            context={},
            offline=offline,
        )
        await queue.claim(ticket.id, agent.id)
        claimed = now - dt.timedelta(seconds=ago)
        with engine.begin() as conn:
            conn.execute(
                tickets.update()
                .where(tickets.c.id == ticket.id)
                .values(created_at=claimed - dt.timedelta(seconds=wait), claimed_at=claimed)
            )
    await enqueue(queue, "never-claimed")
    waits = await queue.waits(now - dt.timedelta(days=7))
    assert sorted(round(w) for w in waits) == [120, 300]
