"""Concurrent agent actions on one ticket, through the HTTP API, on SQLite and PostgreSQL.

Issue 15: a reply could be stored after the ticket was resolved or handed back, and a claim
racing a transfer could leave the ticket claimed while the conversation waited. Every ticket
transition now checks and writes in one transaction (the ticket row locked first), so:
a reply that succeeds was stored before the ticket closed (its turn is older than the
ticket's `resolved_at`), and the conversation's mode always matches the ticket's status.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from bot.conversations.models import Mode, Role
from bot.wiring import Services, build_services
from escalation.types import AgentRole, TicketStatus
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, Chat, api_settings
from tests.contracts.conftest import fresh_database, require_postgres
from tests.live_server import LiveServer

RACES = 40
AGENTS = ("alice", "bob", "carol")
MODE_OF = {
    TicketStatus.OPEN: Mode.WAITING,
    TicketStatus.CLAIMED: Mode.AGENT,
    TicketStatus.RESOLVED: Mode.CLOSED,
    TicketStatus.RETURNED: Mode.BOT,
}


@dataclass
class Desk:
    """A live server on one backend, its services, and a logged-in client per agent."""

    services: Services
    client: httpx.Client
    headers: dict[str, dict[str, str]]

    def post(self, agent: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(f"/api/agent{path}", json=body, headers=self.headers[agent])

    def claimed_ticket(self, agent: str) -> tuple[str, str]:
        """(conversation id, ticket id) of a new handoff, claimed by `agent`."""
        chat = Chat(self.client)
        handoff = self.client.post(
            f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers
        )
        assert handoff.status_code == 202, handoff.text
        ticket_id: str = handoff.json()["ticket_id"]
        claimed = self.post(agent, f"/tickets/{ticket_id}/claim")
        assert claimed.status_code == 200, claimed.text
        return chat.id, ticket_id

    def state(self, conversation_id: str, ticket_id: str) -> tuple[Any, Any]:
        """The stored ticket and conversation."""

        async def read() -> tuple[Any, Any]:
            return (
                await self.services.escalator.queue.get(ticket_id),
                await self.services.store.get(conversation_id),
            )

        return anyio.run(read)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def desk(
    request: pytest.FixtureRequest, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    data_dir = tmp_path_factory.mktemp(f"races-{request.param}")
    if request.param == "sqlite":
        yield from _desk(embedder, data_dir, f"sqlite:///{data_dir / 'bot.db'}")
    else:
        with fresh_database(require_postgres()) as url:
            yield from _desk(embedder, data_dir, url)


def _desk(embedder: Embedder, data_dir: Path, url: str) -> Iterator[Desk]:
    settings = api_settings(
        data_dir,
        database_url=url,
        escalation={"business_hours": ""},
        api={"rate_limit_per_ip": 1_000_000, "rate_limit_per_conversation": 1000},
    )
    services = build_services(settings, embedder=embedder)
    for name in AGENTS:
        anyio.run(services.escalator.agents.add, name, PASSWORD, AgentRole.AGENT, name.title())
    with LiveServer(_app(services)) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        headers = {}
        for name in AGENTS:
            login = client.post("/api/agent/login", json={"name": name, "password": PASSWORD})
            assert login.status_code == 200, login.text
            headers[name] = {"Authorization": f"Bearer {login.json()['token']}"}
        yield Desk(services, client, headers)
    anyio.run(services.aclose)


def _app(services: Services) -> Any:
    from bot.api.app import create_app

    return create_app(services.settings, services)


Call = tuple[str, str, dict[str, Any] | None]
"""(agent, path under /api/agent, JSON body)"""


def at_once(desk: Desk, *calls: Call) -> list[httpx.Response]:
    """Send the calls from threads released together; their responses in call order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Call) -> httpx.Response:
        barrier.wait(timeout=60)
        return desk.post(*call)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def reply_then_close(desk: Desk, action: str, closed: TicketStatus) -> list[str]:
    """RACES replies raced against `action` (resolve / return); the violations found."""
    violations = []
    for n in range(RACES):
        conversation_id, ticket_id = desk.claimed_ticket("alice")
        text = f"reply {n} racing {action}"
        reply, close = at_once(
            desk,
            ("alice", f"/tickets/{ticket_id}/messages", {"text": text}),
            ("alice", f"/tickets/{ticket_id}/{action}", None),
        )
        ticket, conversation = desk.state(conversation_id, ticket_id)
        turns = anyio.run(desk.services.store.turns, conversation_id)
        stored = [t for t in turns if t.role is Role.AGENT and t.text == text]
        where = f"race {n} ({reply.status_code}/{close.status_code})"
        if close.status_code != 200 or ticket.status is not closed:
            violations.append(f"{where}: {action} failed: {close.text}")
        if reply.status_code not in (200, 409):
            violations.append(f"{where}: the refused reply answered {reply.text}")
        if len(stored) != (reply.status_code == 200):
            violations.append(f"{where}: {len(stored)} turns stored for this reply")
        if stored and ticket.resolved_at is not None and stored[0].created_at > ticket.resolved_at:
            violations.append(f"{where}: the reply was stored after the ticket was {closed}")
        if conversation.mode is not MODE_OF[ticket.status]:
            violations.append(f"{where}: ticket {ticket.status}, conversation {conversation.mode}")
    return violations


@pytest.mark.faults
def test_a_reply_racing_resolve_is_stored_before_the_chat_closes_or_refused(desk: Desk) -> None:
    assert reply_then_close(desk, "resolve", TicketStatus.RESOLVED) == []


@pytest.mark.faults
def test_a_reply_racing_hand_back_is_stored_before_the_bot_returns_or_refused(desk: Desk) -> None:
    assert reply_then_close(desk, "return", TicketStatus.RETURNED) == []


@pytest.mark.faults
def test_claims_racing_a_transfer_leave_ticket_and_conversation_in_agreement(desk: Desk) -> None:
    violations = []
    for n in range(RACES):
        conversation_id, ticket_id = desk.claimed_ticket("alice")
        transfer, *claims = at_once(
            desk,
            ("alice", f"/tickets/{ticket_id}/transfer", {"agent_id": None}),
            ("bob", f"/tickets/{ticket_id}/claim", None),
            ("carol", f"/tickets/{ticket_id}/claim", None),
        )
        ticket, conversation = desk.state(conversation_id, ticket_id)
        codes = [transfer.status_code, *(c.status_code for c in claims)]
        where = f"race {n} {codes}"
        if transfer.status_code != 200 or any(c.status_code not in (200, 409) for c in claims):
            violations.append(f"{where}: unexpected answers")
        if sum(c.status_code == 200 for c in claims) > 1:
            violations.append(f"{where}: two agents won the claim")
        if conversation.mode is not MODE_OF[ticket.status]:
            violations.append(f"{where}: ticket {ticket.status}, conversation {conversation.mode}")
    assert violations == []
