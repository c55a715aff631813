"""Redis stopped and restarted under a live server (a redis-server the test starts itself).

Issue 15: with Redis down, stored writes must not fail because a live event could not be
published (an agent's retry stored the reply twice).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from bot.wiring import Services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, Chat, api_settings, log_in, start
from tests.scaleout.servers import RedisProcess, redis_process

pytestmark = pytest.mark.faults


@contextlib.contextmanager
def site_on(
    redis: RedisProcess, embedder: Embedder, data_dir: Path, rate_limits: str
) -> Iterator[tuple[Services, httpx.Client]]:
    """A live server whose live events (and, with "redis", rate limits) go through `redis`."""
    settings = api_settings(
        data_dir,
        redis={"url": redis.url},
        realtime={"backend": "redis"},
        escalation={"business_hours": ""},
        api={"rate_limit_backend": rate_limits, "rate_limit_per_ip": 100_000},
    )
    services, live = start(settings, embedder)
    anyio.run(services.escalator.agents.add, "alice", PASSWORD, AgentRole.AGENT, "Alice")
    try:
        with live, httpx.Client(base_url=live.url, timeout=60) as client:
            yield services, client
    finally:
        anyio.run(services.aclose)


def claimed_chat(client: httpx.Client, agent: dict[str, str]) -> tuple[Chat, str]:
    """A customer's chat handed to people and claimed by `agent`; (chat, ticket id)."""
    chat = Chat(client)
    handoff = client.post(f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers)
    assert handoff.status_code == 202, handoff.text
    ticket_id: str = handoff.json()["ticket_id"]
    claim = client.post(f"/api/agent/tickets/{ticket_id}/claim", headers=agent)
    assert claim.status_code == 200, claim.text
    return chat, ticket_id


def test_an_agent_reply_with_redis_down_is_stored_once_and_its_retry_succeeds(
    embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        redis_process(tmp_path / "redis") as redis,
        site_on(redis, embedder, tmp_path / "data", rate_limits="memory") as (_, client),
    ):
        alice = log_in(str(client.base_url), "alice")
        chat, ticket_id = claimed_chat(client, alice)
        redis.stop()

        body = {"text": "Your refund is on its way", "client_id": "reply-7f3a"}
        first = client.post(f"/api/agent/tickets/{ticket_id}/messages", json=body, headers=alice)
        assert first.status_code == 200, first.text  # stored; only the live event failed
        retry = client.post(f"/api/agent/tickets/{ticket_id}/messages", json=body, headers=alice)
        assert retry.status_code == 200, retry.text
        assert retry.json() == first.json()

        turns = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()["turns"]
        assert [t["text"] for t in turns if t["role"] == "agent"] == [body["text"]]
        assert "live agent_message event on conversation:" in caplog.text
        assert "not delivered" in caplog.text
