"""Conversations survive a server restart; rate limits answer 429 with Retry-After."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx

from retrieval.interfaces import Embedder
from tests.api.conftest import Chat, api_settings, start


def test_history_survives_a_restart(embedder: Embedder, tmp_path: Path) -> None:
    settings = api_settings(tmp_path)
    services, live = start(settings, embedder)
    with live, httpx.Client(base_url=live.url, timeout=60) as client:
        chat = Chat(client)
        chat.ask("how long do refunds take?")
    anyio.run(services.aclose)

    services, live = start(settings, embedder)
    with live, httpx.Client(base_url=live.url, timeout=60) as client:
        turns = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()["turns"]
        assert [t["role"] for t in turns] == ["customer", "bot"]
        assert turns[1]["citations"][0]["article_id"] == "refund-timing"
        chat.client = client
        assert chat.ask("and to PayPal?")["kind"] in {"answer", "refusal"}
    anyio.run(services.aclose)


def test_rate_limits(embedder: Embedder, tmp_path: Path) -> None:
    settings = api_settings(
        tmp_path, api={"rate_limit_per_conversation": 2, "rate_limit_per_ip": 50}
    )
    services, live = start(settings, embedder)
    with live, httpx.Client(base_url=live.url, timeout=60) as client:
        chat = Chat(client)
        assert chat.send("hi").status_code == 200
        assert chat.send("thanks").status_code == 200
        limited = chat.send("bye")
        assert limited.status_code == 429
        assert limited.json()["error_code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) > 0
        for _ in range(60):
            response = client.get("/api/conversations/nope", headers=chat.headers)
            if response.status_code == 429:
                break
        assert response.status_code == 429
    anyio.run(services.aclose)
