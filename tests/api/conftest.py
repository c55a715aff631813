"""A live API server on the tiny fixture KB (real embedder, Chroma, SQLite, uvicorn)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import sqlalchemy as sa

from bot.api.app import create_app
from bot.db.schema import conversations, turns
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.conftest import KB_FIXTURE
from tests.live_server import LiveServer

PASSWORD = "correct horse battery"
"""The password of every agent account the tests create."""


def api_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test server: everything in `data_dir`, embedded defaults."""
    return Settings(data_dir=data_dir, **overrides)  # type: ignore[arg-type]


def start(settings: Settings, embedder: Embedder) -> tuple[Services, LiveServer]:
    """Services with the shared embedder, the fixture KB ingested, and a server for them."""
    services = build_services(settings, embedder=embedder)
    services.kb.ingest_path(KB_FIXTURE)
    return services, LiveServer(create_app(settings, services))


def agent_site(embedder: Embedder, data_dir: Path) -> Iterator[tuple[Services, LiveServer]]:
    """A running server, always open, no rate limits in the way, and the agent "sam"."""
    settings = api_settings(
        data_dir,
        escalation={"business_hours": ""},
        api={"rate_limit_per_ip": 100_000, "rate_limit_per_conversation": 1000},
    )
    services, live = start(settings, embedder)
    anyio.run(services.escalator.agents.add, "sam", PASSWORD, AgentRole.AGENT, "Sam")
    with live:
        yield services, live
    anyio.run(services.aclose)


def log_in(url: str, name: str) -> dict[str, str]:
    """Log the agent `name` in on the server at `url`; its Authorization header."""
    response = httpx.post(f"{url}/api/agent/login", json={"name": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def backdate_conversation(
    conn: sa.Connection, conversation_id: str, start: dt.datetime, turn_gap: dt.timedelta
) -> None:
    """Move a conversation to `start`, its turns `turn_gap` apart by sequence number."""
    conn.execute(
        conversations.update()
        .where(conversations.c.id == conversation_id)
        .values(created_at=start, updated_at=start)
    )
    for row in conn.execute(
        sa.select(turns.c.id, turns.c.seq).where(turns.c.conversation_id == conversation_id)
    ):
        conn.execute(
            turns.update().where(turns.c.id == row.id).values(created_at=start + turn_gap * row.seq)
        )


@pytest.fixture(scope="module")
def server(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    services, live = start(api_settings(tmp_path_factory.mktemp("api")), embedder)
    with live:
        yield live
    anyio.run(services.aclose)


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


class Chat:
    """A customer's conversation through the HTTP API."""

    def __init__(self, client: httpx.Client, **customer: str) -> None:
        response = client.post("/api/conversations", json=customer or None)
        assert response.status_code == 201, response.text
        body = response.json()
        self.client = client
        self.id: str = body["id"]
        self.token: str = body["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def send(self, text: str, **extra: object) -> httpx.Response:
        return self.client.post(
            f"/api/conversations/{self.id}/messages",
            json={"text": text, **extra},
            headers=self.headers,
        )

    def ask(self, text: str) -> dict[str, object]:
        response = self.send(text)
        assert response.status_code == 200, response.text
        reply: dict[str, object] = response.json()["reply"]
        return reply
