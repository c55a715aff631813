"""Admins opt in to taking chats from the admin page's API; consoles hear of the change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD


@pytest.fixture
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = build_services(
        Settings(data_dir=tmp_path_factory.mktemp("chats")), embedder=embedder
    )

    async def seed() -> None:
        agents = services.escalator.agents
        await agents.add("ada", PASSWORD, AgentRole.ADMIN, "Ada Admin")
        await agents.add("alan", PASSWORD, AgentRole.AGENT, "Alan Agent")

    anyio.run(seed)
    yield services
    anyio.run(services.aclose)


def _login(http: TestClient, name: str) -> dict[str, str]:
    response = http.post("/api/agent/login", json={"name": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _by_name(accounts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in accounts}


def test_an_admin_opts_in_and_the_console_hears_it(site: Services) -> None:
    with TestClient(create_app(site.settings, site)) as http:
        admin = _login(http, "ada")
        staff = _by_name(http.get("/api/agent/staff", headers=admin).json())
        assert (staff["ada"]["takes_chats"], staff["alan"]["takes_chats"]) == (False, True)
        ada_id, alan_id = staff["ada"]["id"], staff["alan"]["id"]

        agent = _login(http, "alan")
        with http.websocket_connect("/ws/agent") as console:
            console.send_json({"type": "auth", "token": agent["Authorization"][7:]})
            console.send_json({"type": "ping"})
            assert {console.receive_json()["type"] for _ in range(2)} == {"ready", "pong"}
            turned = http.put(
                f"/api/agent/staff/{ada_id}/takes-chats",
                json={"takes_chats": True},
                headers=admin,
            )
            assert turned.status_code == 200, turned.text
            assert turned.json()["takes_chats"] is True
            assert console.receive_json() == {"type": "availability"}

        refused = http.put(
            f"/api/agent/staff/{alan_id}/takes-chats", json={"takes_chats": False}, headers=admin
        )
        assert refused.status_code == 409
        assert refused.json()["error_code"] == "not_an_admin"
        unknown = http.put(
            "/api/agent/staff/nobody/takes-chats", json={"takes_chats": True}, headers=admin
        )
        assert unknown.status_code == 404
        # The admin now counts as online once the console is open (a console request).
        http.get("/api/agent/tickets", headers=admin)
        online = _by_name(http.get("/api/agent/staff", headers=admin).json())
        assert online["ada"]["online"] is True
