"""Two API worker processes share PostgreSQL, Redis and a Chroma server: a customer on worker A
is served by an agent on worker B, live, in order, with one claim per ticket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from tests.api.conftest import Chat
from tests.conftest import KB_FIXTURE
from tests.contracts.conftest import fresh_database, require_postgres
from tests.escalation.test_handoff_e2e import HUMAN, PASSWORD, AgentSession, next_event
from tests.scaleout.servers import Server, api_workers, child_env, chroma_server, supportbot
from tests.waiting import WAIT_S

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def workers(tmp_path: Path, redis_url: str) -> Iterator[tuple[Server, Server, str]]:
    """Worker A and B on one fresh database, Redis and Chroma server; the KB ingested once."""
    with (
        fresh_database(require_postgres()) as database,
        chroma_server(tmp_path / "chroma") as chroma,
    ):
        env = child_env(
            {
                "SUPPORTBOT_DATA_DIR": str(tmp_path / "data"),
                "SUPPORTBOT_STORAGE__URL": database,
                "SUPPORTBOT_VECTOR__BACKEND": "chroma-http",
                "SUPPORTBOT_VECTOR__HOST": "127.0.0.1",
                "SUPPORTBOT_VECTOR__PORT": str(chroma.port),
                "SUPPORTBOT_KEYWORD__BACKEND": "postgres",
                "SUPPORTBOT_REALTIME__BACKEND": "redis",
                "SUPPORTBOT_REDIS__URL": redis_url,
                "SUPPORTBOT_API__RATE_LIMIT_BACKEND": "redis",
                "SUPPORTBOT_API__RATE_LIMIT_PER_IP": "100000",
                "SUPPORTBOT_ESCALATION__BUSINESS_HOURS": "",
            }
        )
        supportbot(["ingest", "--quiet", str(KB_FIXTURE)], env)
        for name in ("alice", "bob"):
            add = ["agents", "add", name, "--display-name", name.title(), "--password-stdin"]
            supportbot(add, env, stdin=PASSWORD)
        with api_workers(env, tmp_path) as (a, b):
            yield a, b, redis_url


def ws_url(server: Server, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def drain(ws: ClientConnection, kind: str, count: int) -> list[dict[str, Any]]:
    """The next `count` events of type `kind`, in arrival order (others are skipped)."""
    return [next_event(ws, kind) for _ in range(count)]


def wait_subscribers(redis_url: str, conversation_id: str, count: int) -> None:
    """Wait until `count` worker connections subscribe to the conversation's Redis channel.

    The agent socket's `watch` subscribes in the background; a message published before the
    subscription is confirmed would not reach it (pub/sub is at most once).
    """
    deadline = time.monotonic() + WAIT_S
    with redis.Redis.from_url(redis_url) as client:
        while time.monotonic() < deadline:
            channels = client.pubsub_channels(f"*{conversation_id}*")
            if channels and sum(n for _, n in client.pubsub_numsub(*channels)) >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"{count} workers never subscribed to conversation {conversation_id}")


def test_customer_on_one_worker_is_served_by_an_agent_on_another(
    workers: tuple[Server, Server, str],
) -> None:
    a, b, redis_url = workers
    with (
        httpx.Client(base_url=a.url, timeout=WAIT_S) as on_a,
        httpx.Client(base_url=b.url, timeout=WAIT_S) as on_b,
    ):
        agent = AgentSession(on_b, "alice")  # logged in on B: online for the handoff on A
        chat = Chat(on_a, name="Ann", locale="en")
        answer = chat.ask("how long is the password reset link valid?")
        assert answer["kind"] == "answer" and "30 minutes" in str(answer["text"])

        customer = connect(ws_url(a, f"/ws/conversations/{chat.id}?token={chat.token}"))
        with customer:
            customer.send(json.dumps({"type": "ping"}))
            next_event(customer, "pong")  # answered once the socket's subscription is live
            asked = chat.send(HUMAN)
            assert asked.status_code == 200 and asked.json()["mode"] == "waiting", asked.text
            assert next_event(customer, "handoff")["mode"] == "waiting"
            ticket = agent.ticket_of(chat.id, "open")

            with connect(ws_url(b, f"/ws/agent?token={agent.token}")) as console:
                console.send(json.dumps({"type": "watch", "conversation_id": chat.id}))
                wait_subscribers(redis_url, chat.id, 2)  # A's customer socket and B's console

                claimed = agent.post(f"/tickets/{ticket['id']}/claim")
                assert claimed.status_code == 200, claimed.text
                assert next_event(customer, "agent_joined")["agent"]["name"] == "Alice"
                # Another agent, on worker A, cannot take the ticket over.
                again = AgentSession(on_a, "bob").post(f"/tickets/{ticket['id']}/claim")
                assert again.status_code == 409 and again.json()["error_code"] == "already_claimed"

                replies = [f"agent reply {n}" for n in range(5)]
                for text in replies:
                    agent.ok(f"/tickets/{ticket['id']}/messages", {"text": text})
                got = drain(customer, "agent_message", len(replies))
                assert [e["turn"]["text"] for e in got] == replies

                said = [f"customer message {n}" for n in range(5)]
                for text in said:
                    sent = chat.send(text)
                    assert sent.status_code == 200 and sent.json()["mode"] == "agent", sent.text
                seen = drain(console, "message", len(said))
                assert [e["turn"]["text"] for e in seen] == said
                assert {e["conversation_id"] for e in seen} == {chat.id}

        # Both workers read the same conversation from the shared database.
        turns = [
            client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()["turns"]
            for client in (on_a, on_b)
        ]
        assert turns[0] == turns[1]
        assert [t["text"] for t in turns[0] if t["role"] == "agent"] == replies
