"""Redis stopped and restarted under a live server (a redis-server the test starts itself).

Issue 15: with Redis down every API call answered 503 (the rate limiter failed closed), an open
customer WebSocket went silent, and an agent's reply stored while its live event failed answered
503 (the retry stored it twice). Now reads and stored writes go on, rate limits count per
worker, `/readyz` says "degraded" and why, the WebSocket gets an error event and close 1013,
and everything is shared again once Redis is back.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import redis as redis_client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bot.api.app import create_app
from bot.wiring import Services, build_services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, Chat, api_settings, log_in
from tests.conftest import KB_FIXTURE
from tests.live_server import LiveServer
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
    services = build_services(settings, embedder=embedder)
    services.kb.ingest_path(KB_FIXTURE)
    anyio.run(services.escalator.agents.add, "alice", PASSWORD, AgentRole.AGENT, "Alice")
    # Closed in the server's loop: the Redis clients hold connections made there.
    live = LiveServer(create_app(settings, services), on_exit=services.aclose)
    with live, httpx.Client(base_url=live.url, timeout=60) as client:
        yield services, client


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


def eventually(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def live_socket(client: httpx.Client, chat: Chat) -> ClientConnection:
    url = str(client.base_url).replace("http", "ws") + f"/ws/conversations/{chat.id}"
    ws = connect(f"{url}?token={chat.token}", open_timeout=10)
    ws.send(json.dumps({"type": "ping"}))
    assert json.loads(ws.recv(timeout=30)) == {"type": "pong"}
    return ws


def test_with_redis_down_reads_and_messages_work_and_readyz_says_degraded(
    embedder: Embedder, tmp_path: Path
) -> None:
    with (
        redis_process(tmp_path / "redis") as redis,
        site_on(redis, embedder, tmp_path / "data", rate_limits="redis") as (_, client),
    ):
        chat = Chat(client)
        assert "30 minutes" in str(chat.ask("how long is the password reset link valid?")["text"])
        assert client.get("/readyz").json()["status"] == "ready"

        with live_socket(client, chat) as ws:
            redis.stop()
            said = json.loads(ws.recv(timeout=30))  # not silence
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=30)
        assert said["type"] == "error" and said["error_code"] == "backend_unavailable", said
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

        # Reads and stored writes go on; rate limits count in this worker meanwhile.
        history = client.get(f"/api/conversations/{chat.id}", headers=chat.headers)
        assert history.status_code == 200, history.text
        assert chat.ask("how long do refunds take?")["kind"] == "answer"
        # Staff can log in: login lockouts count in this worker meanwhile.
        wrong = client.post("/api/agent/login", json={"name": "alice", "password": "nope"})
        assert wrong.status_code == 401, wrong.text
        assert log_in(str(client.base_url), "alice")["Authorization"].startswith("Bearer ")
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert (body["status"], body["redis"]) == ("degraded", "unreachable"), body
        assert any("rate limits count per worker" in reason for reason in body["degraded"])
        assert any("live events" in reason for reason in body["degraded"])

        redis.start()  # the same port, empty
        eventually(lambda: client.get("/readyz").json()["status"] == "ready", "readyz: ready")
        with redis_client.Redis.from_url(redis.url) as admin:

            def limits_shared() -> bool:
                assert client.get(f"/api/conversations/{chat.id}", headers=chat.headers).is_success
                return bool(list(admin.scan_iter(match="supportbot:ratelimit:*")))

            eventually(limits_shared, "rate-limit hits counted in Redis again")
        with live_socket(client, chat) as ws:
            assert chat.send("and what about exchanges?").status_code == 200
            event = json.loads(ws.recv(timeout=30))
        assert event["type"] == "message" and event["turn"]["text"] == "and what about exchanges?"
