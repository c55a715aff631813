"""Claim races: exactly one winner among concurrent claimers, in one process or across many.

Spawned children import this module to find `claim_in_child`, so its top level imports only
what a child needs (SQLAlchemy and `escalation`); the fixtures import `bot` lazily. Importing
`bot` in each of 8 children would cost seconds.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue as queue_module
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.escalation_tables import define_tables
from bot.db.sql_queue import SqlHandoffQueue
from escalation.errors import AlreadyClaimed
from escalation.types import Priority, TicketStatus

PROCESSES = 8
CLAIMERS = 20


@pytest.fixture
def queue(engine: Engine) -> SqlHandoffQueue:
    """The queue on the application's tables."""
    from bot.db.schema import escalation_tables

    return SqlHandoffQueue(engine, escalation_tables)


async def new_ticket(queue: SqlHandoffQueue) -> str:
    """The id of a fresh open ticket."""
    ticket = await queue.enqueue(
        "conv-race", priority=Priority.URGENT, reasons=["emotion"], summary="", context={}
    )
    return ticket.id


@pytest.mark.anyio
async def test_concurrent_claims_in_one_process_have_one_winner(queue: SqlHandoffQueue) -> None:
    ticket_id = await new_ticket(queue)
    agents = [f"agent-{i}" for i in range(CLAIMERS)]
    results = await asyncio.gather(
        *(queue.claim(ticket_id, agent) for agent in agents), return_exceptions=True
    )
    winners = [result for result in results if not isinstance(result, BaseException)]
    losers = [result for result in results if isinstance(result, AlreadyClaimed)]
    assert len(winners) == 1, results
    assert len(losers) == CLAIMERS - 1, results
    winner = winners[0].agent_id
    assert all(str(loser) == f"ticket already claimed by {winner}" for loser in losers)
    stored = await queue.get(ticket_id)
    assert (stored.status, stored.agent_id) == (TicketStatus.CLAIMED, winner)


def test_concurrent_claims_across_processes_have_one_winner(
    queue: SqlHandoffQueue, engine: Engine
) -> None:
    ticket_id = anyio.run(new_ticket, queue)
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results: multiprocessing.Queue[tuple[str, str, str]] = context.Queue()
    children = [
        context.Process(
            target=claim_in_child, args=(url, ticket_id, f"agent-{i}", barrier, results)
        )
        for i in range(PROCESSES)
    ]
    for child in children:
        child.start()
    try:
        outcomes = [results.get(timeout=60) for _ in children]
    except queue_module.Empty:
        pytest.fail("a claiming process did not report within 60 s")
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
                child.join()
    won = [agent for agent, outcome, _ in outcomes if outcome == "won"]
    lost = [detail for _, outcome, detail in outcomes if outcome == "lost"]
    assert len(won) == 1, outcomes
    assert len(lost) == PROCESSES - 1, outcomes
    assert set(lost) == {f"ticket already claimed by {won[0]}"}
    stored = anyio.run(queue.get, ticket_id)
    assert (stored.status, stored.agent_id) == (TicketStatus.CLAIMED, won[0])


def claim_in_child(url: str, ticket_id: str, agent_id: str, barrier: Any, results: Any) -> None:
    """Run in a spawned process: own engine, wait for the others, claim, report the outcome."""
    # pysqlite's `timeout` is SQLite's busy timeout; WAL is already set on the file.
    connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
    engine = sa.create_engine(url, connect_args=connect_args)
    try:
        claim_queue = SqlHandoffQueue(engine, define_tables(sa.MetaData()))
        with engine.connect():
            pass  # connect before the barrier: only the claims themselves race
        barrier.wait(timeout=60)
        try:
            ticket = anyio.run(claim_queue.claim, ticket_id, agent_id)
        except AlreadyClaimed as exc:
            results.put((agent_id, "lost", str(exc)))
        else:
            results.put((agent_id, "won", str(ticket.agent_id)))
    except Exception as exc:
        results.put((agent_id, "error", repr(exc)))
    finally:
        engine.dispose()
