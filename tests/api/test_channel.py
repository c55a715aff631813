"""Issue 19: a conversation records its channel: the embedded widget says `widget`, any other
HTTP client is `api`; nothing else is accepted."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx

from bot.conversations.models import Channel
from retrieval.interfaces import Embedder
from tests.api.conftest import api_settings, start


def test_widget_and_api_conversations_are_told_apart(embedder: Embedder, tmp_path: Path) -> None:
    services, live = start(api_settings(tmp_path), embedder)
    try:
        with live, httpx.Client(base_url=live.url, timeout=60) as client:
            made = {
                sent: client.post("/api/conversations", json=body)
                for sent, body in (("none", None), ("api", {}), ("widget", {"channel": "widget"}))
            }
            bad = client.post("/api/conversations", json={"channel": "email"})
        assert {s: r.status_code for s, r in made.items()} == {
            "none": 201,
            "api": 201,
            "widget": 201,
        }
        assert bad.status_code == 422 and "channel" in bad.text

        async def channels() -> dict[str, Channel]:
            return {s: (await services.store.get(r.json()["id"])).channel for s, r in made.items()}

        assert anyio.run(channels) == {
            "none": Channel.API,
            "api": Channel.API,
            "widget": Channel.WIDGET,
        }
    finally:
        anyio.run(services.aclose)
