"""A reply that fails tells its client, and a live channel that fails loses no reply."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import anyio
import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bot.api.app import create_app
from bot.conversations.models import Role
from bot.wiring import build_services
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat, api_settings
from tests.conftest import KB_FIXTURE
from tests.fakes import ScriptedLLM
from tests.live_server import LiveServer


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_failed_reply_over_the_websocket_reaches_that_socket(
    embedder: Embedder, tmp_path: Path
) -> None:
    """A bug in a model backend must not leave the customer waiting in silence."""
    settings = api_settings(tmp_path, llm={"backend": "openai-compatible", "model": "scripted"})
    model = ScriptedLLM(RuntimeError("backend bug"))
    services = build_services(settings, embedder=embedder, chat_model=model)
    services.kb.ingest_path(KB_FIXTURE)
    with (
        LiveServer(create_app(settings, services)) as live,
        httpx.Client(base_url=live.url, timeout=60) as client,
    ):
        chat = Chat(client)
        url = live.url.replace("http", "ws") + f"/ws/conversations/{chat.id}?token={chat.token}"
        with connect(url, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "message", "text": "how long do refunds take?"}))
            events = [json.loads(ws.recv(timeout=30))]
            while events[-1]["type"] != "error":
                events.append(json.loads(ws.recv(timeout=30)))
        anyio.run(services.aclose)
        assert events[0]["type"] == "message"  # the customer's message was stored first
        assert events[-1]["error_code"] == "internal_error"
        assert "send it again" in events[-1]["detail"]


def test_replies_are_answered_and_stored_while_the_live_channel_is_down(
    embedder: Embedder, tmp_path: Path
) -> None:
    redis_url = f"redis://127.0.0.1:{closed_port()}/0"
    settings = api_settings(tmp_path, realtime={"backend": "redis"}, redis={"url": redis_url})
    services = build_services(settings, embedder=embedder)
    services.kb.ingest_path(KB_FIXTURE)
    with (
        LiveServer(create_app(settings, services)) as live,
        httpx.Client(base_url=live.url, timeout=60) as client,
    ):
        chat = Chat(client)
        reply = chat.ask("how long is the password reset link valid?")
        assert "30 minutes" in str(reply["text"])
        with client.stream(
            "POST",
            f"/api/conversations/{chat.id}/messages/stream",
            json={"text": "how long do refunds take?"},
            headers={"Authorization": f"Bearer {chat.token}"},
        ) as response:
            body = "".join(response.iter_text())
        assert "event: reply" in body and "event: error" not in body
        ready = client.get("/readyz")  # answers stored and served: degraded, not down
        assert ready.status_code == 200 and ready.json()["status"] == "degraded", ready.text
        assert "Redis" in ready.json()["degraded"][0]
        url = live.url.replace("http", "ws") + f"/ws/conversations/{chat.id}?token={chat.token}"
        with connect(url, open_timeout=10) as ws:
            said = json.loads(ws.recv(timeout=30))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=30)
        assert said["type"] == "error" and said["error_code"] == "backend_unavailable"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

    async def stored() -> list[Role]:
        return [t.role for t in await services.store.turns(chat.id)]

    assert anyio.run(stored) == [Role.CUSTOMER, Role.BOT, Role.CUSTOMER, Role.BOT]
    anyio.run(services.aclose)
