"""WebSockets authenticate by their first message, and no secret reaches the access log
(issue 15, item 8): a real server, a real WebSocket client, the server's own log lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import anyio
import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bot.api.app import create_app
from bot.api.log_redaction import LOGGERS, redact
from bot.wiring import build_services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, Chat, api_settings
from tests.live_server import LiveServer


@pytest.fixture(scope="module")
def server(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server writing its access log, with agent alice; sockets must authenticate in 1 s."""
    settings = api_settings(tmp_path_factory.mktemp("sockets"), api={"ws_auth_timeout_s": 1.0})
    services = build_services(settings, embedder=embedder)
    anyio.run(services.escalator.agents.add, "alice", PASSWORD, AgentRole.AGENT, "Alice")
    with LiveServer(create_app(settings, services), log_level="info") as live:
        yield live
    anyio.run(services.aclose)


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """What the server logs about requests and sockets while the test runs, as written."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    for name in LOGGERS:
        logging.getLogger(name).addHandler(handler)
    yield out
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(handler)


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def ws(server: LiveServer, path: str) -> ClientConnection:
    return connect(server.url.replace("http", "ws") + path, open_timeout=10)


def close_code(socket: ClientConnection) -> int:
    """The code the server closes `socket` with (it must close it within 30 s)."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.recv(timeout=30)
    assert closed.value.rcvd is not None, "the server did not send a close frame"
    return closed.value.rcvd.code


def event(socket: ClientConnection) -> dict[str, object]:
    data: dict[str, object] = json.loads(socket.recv(timeout=30))
    return data


def test_a_customer_socket_authenticates_with_its_first_message(
    server: LiveServer, client: httpx.Client, server_log: io.StringIO
) -> None:
    chat = Chat(client)
    with ws(server, f"/ws/conversations/{chat.id}") as socket:
        socket.send(json.dumps({"type": "auth", "token": chat.token}))
        socket.send(json.dumps({"type": "ping"}))
        assert event(socket) == {"type": "pong"}
        socket.send(json.dumps({"type": "message", "text": "how long do refunds take?"}))
        while (got := event(socket))["type"] != "reply":
            assert got["type"] in {"message", "token"}, got
    assert "[accepted]" in server_log.getvalue()
    assert chat.token not in server_log.getvalue()


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ({"type": "auth", "token": "wrong"}, 4403),
        ({"type": "ping"}, 4401),
        ({"type": "auth"}, 4401),
        ("not json", 4401),
        (None, 4401),  # nothing within the 1 s the server waits
    ],
)
def test_a_customer_socket_without_its_token_is_closed(
    server: LiveServer, client: httpx.Client, first: object, code: int
) -> None:
    chat = Chat(client)
    with ws(server, f"/ws/conversations/{chat.id}") as socket:
        if first is not None:
            socket.send(first if isinstance(first, str) else json.dumps(first))
        assert close_code(socket) == code


def test_an_unknown_conversation_is_closed_4404(server: LiveServer, client: httpx.Client) -> None:
    chat = Chat(client)
    with ws(server, "/ws/conversations/no-such-conversation") as socket:
        socket.send(json.dumps({"type": "auth", "token": chat.token}))
        assert close_code(socket) == 4404


def test_the_agent_socket_authenticates_with_its_first_message(
    server: LiveServer, client: httpx.Client, server_log: io.StringIO
) -> None:
    login = client.post("/api/agent/login", json={"name": "alice", "password": PASSWORD})
    token = login.json()["token"]
    with ws(server, "/ws/agent") as socket:
        socket.send(json.dumps({"type": "auth", "token": token}))
        socket.send(json.dumps({"type": "ping"}))
        # "ready" once the queue is followed (the console loads it then), and the pong
        assert {event(socket)["type"], event(socket)["type"]} == {"ready", "pong"}
    for wrong in ({"type": "auth", "token": "expired"}, {"type": "watch"}):
        with ws(server, "/ws/agent") as socket:
            socket.send(json.dumps(wrong))
            assert close_code(socket) == 4401
    assert token not in server_log.getvalue()


def test_tokens_in_urls_never_reach_the_log(
    server: LiveServer, client: httpx.Client, server_log: io.StringIO
) -> None:
    """Older clients still put the token in the URL: it works, and the log redacts it."""
    chat = Chat(client)
    with ws(server, f"/ws/conversations/{chat.id}?token={chat.token}") as socket:
        socket.send(json.dumps({"type": "ping"}))
        assert event(socket) == {"type": "pong"}
    secret = "s3cr3t-value"
    query = f"a=1&access_token={secret}&KEY={secret}&password={secret}&token={chat.token}"
    assert client.get(f"/api/conversations/{chat.id}?{query}", headers=chat.headers).is_success
    logged = server_log.getvalue()
    assert f"/ws/conversations/{chat.id}?token=[redacted]" in logged
    assert "a=1&access_token=[redacted]&KEY=[redacted]&password=[redacted]" in logged
    assert chat.token not in logged and secret not in logged


def test_redact_leaves_other_parameters_alone() -> None:
    assert redact("/x?tokens=1&mytoken=2&q=token=3") == "/x?tokens=1&mytoken=2&q=token=3"
    assert redact("/x?sig=abc#top") == "/x?sig=[redacted]#top"
