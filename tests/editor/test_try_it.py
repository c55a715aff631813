"""The editor's "try it": a draft answered beside the live help center, through the real API
(live server, real embedder, Chroma and SQLite), and the overlay's merge rule."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest

from bot.helpcenter.preview import DraftOverlay
from bot.wiring import Services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from retrieval.types import Chunk, SearchResult
from tests.api.conftest import PASSWORD, api_settings, log_in, start
from tests.fakes import search_result

GIFT_BODY = (
    "We gift wrap any order for 4 euros.\n\n"
    "## How to ask for it\n"
    "Choose gift wrapping at checkout and write a card message of up to 200 characters."
)
GIFT_QUESTION = "can you gift wrap my order?"
RETURN_QUESTION = "how many days do I have to return an item?"


@dataclass
class Site:
    url: str
    services: Services
    editor: dict[str, str]
    agent: dict[str, str]

    def conversation_rows(self) -> tuple[int, int]:
        with sqlite3.connect(self.services.settings.data_dir / "supportbot.db") as db:
            conversations = db.execute("SELECT count(*) FROM conversations").fetchone()[0]
            turns = db.execute("SELECT count(*) FROM turns").fetchone()[0]
        return conversations, turns


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = api_settings(tmp_path_factory.mktemp("try_it"))
    services, live = start(settings, embedder)

    async def accounts() -> None:
        await services.escalator.agents.add("erin", PASSWORD, AgentRole.EDITOR, "Erin Editor")
        await services.escalator.agents.add("alan", PASSWORD, AgentRole.AGENT, "Alan Agent")

    anyio.run(accounts)
    with live:
        yield Site(live.url, services, log_in(live.url, "erin"), log_in(live.url, "alan"))
    anyio.run(services.aclose)


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=120, headers=site.editor) as http:
        yield http


def create(client: httpx.Client, article_id: str, title: str, body: str) -> None:
    response = client.post(
        "/api/editor/articles",
        json={"id": article_id, "title": title, "body": body, "category": "orders"},
    )
    assert response.status_code == 201, response.text


def try_it(client: httpx.Client, article_id: str, question: str) -> dict[str, Any]:
    response = client.post(f"/api/editor/articles/{article_id}/try", json={"question": question})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cited(answer: dict[str, Any]) -> list[str]:
    return [c["article_id"] for c in answer["citations"]]


def test_a_new_draft_answers_what_the_live_help_center_cannot(
    site: Site, client: httpx.Client
) -> None:
    create(client, "gift-wrapping", "Gift wrapping", GIFT_BODY)
    before = site.conversation_rows()

    result = try_it(client, "gift-wrapping", GIFT_QUESTION)

    draft, live = result["draft"], result["live"]
    assert draft["kind"] == "answer"
    assert "4 euros" in draft["text"]
    assert cited(draft)[0] == "gift-wrapping"
    assert draft["citations"][0]["title"] == "Gift wrapping"
    assert 0 < draft["confidence"] <= 1
    assert "gift-wrapping" not in cited(live)
    assert "4 euros" not in live["text"]
    assert live["confidence"] < draft["confidence"]
    # Nothing stored, nothing published, and the draft is gone from the preview index.
    assert site.conversation_rows() == before
    assert "gift-wrapping" not in [r.article_id for r in site.services.kb.search(GIFT_QUESTION)]
    article = client.get("/api/editor/articles/gift-wrapping").json()
    assert article["status"] == "draft"
    assert article["published_version"] is None


def test_a_draft_replaces_the_live_version_of_its_article(client: httpx.Client) -> None:
    # The live index holds return-policy (30 days) from the fixture files; this draft says 60.
    create(
        client,
        "return-policy",
        "Return policy",
        "You can return most items within 60 days of delivery.\n\n"
        "## Condition\nItems must be unused and in their original packaging.",
    )

    result = try_it(client, "return-policy", RETURN_QUESTION)

    draft, live = result["draft"], result["live"]
    assert "60 days" in draft["text"]
    assert "30 days" not in draft["text"]
    assert "return-policy" in cited(draft)
    assert "30 days" in live["text"]
    assert "60 days" not in live["text"]
    assert "return-policy" in cited(live)


def test_concurrent_tries_of_one_draft_share_the_preview_index(
    site: Site, client: httpx.Client
) -> None:
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: try_it(client, "gift-wrapping", GIFT_QUESTION), range(3)))

    for result in results:
        assert "4 euros" in result["draft"]["text"]
        assert cited(result["draft"])[0] == "gift-wrapping"
    assert site.services.try_it.preview.locales() == frozenset()  # emptied by the last one


def test_only_editors_and_admins_may_try(site: Site) -> None:
    path = f"{site.url}/api/editor/articles/gift-wrapping/try"
    refused = httpx.post(path, json={"question": GIFT_QUESTION}, headers=site.agent)
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "forbidden"
    assert "editor or admin" in refused.json()["detail"]
    anonymous = httpx.post(path, json={"question": GIFT_QUESTION})
    assert anonymous.status_code == 401


def test_bad_requests_say_what_is_wrong(client: httpx.Client) -> None:
    unknown = client.post("/api/editor/articles/no-such-article/try", json={"question": "hi?"})
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "not_found"
    empty = client.post("/api/editor/articles/gift-wrapping/try", json={"question": "   "})
    assert empty.status_code == 422
    assert empty.json()["error_code"] == "empty_message"


class Listed:
    """A fixed search result list (for the merge rule only)."""

    def __init__(self, *results: SearchResult) -> None:
        self.results = list(results)
        self.asked: list[int] = []

    def search(
        self, query: str, k: int = 5, *, locale: str | None = None, plan: str | None = None
    ) -> list[SearchResult]:
        self.asked.append(k)
        return self.results[:k]

    def locales(self) -> frozenset[str]:
        return frozenset(r.locale for r in self.results)

    def chunks_of(self, article_id: str, start: int, count: int) -> list[Chunk]:
        found = [c.chunk for r in self.results if r.article_id == article_id for c in r.chunks]
        return found[start : start + count]


def test_overlay_drops_the_live_copy_of_the_draft_and_merges_by_relevance() -> None:
    live = Listed(search_result("a", 0.9), search_result("b", 0.8), search_result("c", 0.4))
    preview = Listed(search_result("other~1", 0.95), search_result("b~2", 0.5, locale="es"))
    overlay = DraftOverlay(live, preview, "b", "b~2")

    found = overlay.search("q", 3)

    assert [(r.article_id, r.relevance) for r in found] == [("a", 0.9), ("b", 0.5), ("c", 0.4)]
    assert found[1].locale == "es"  # the draft's copy, not the live one
    assert found[1].best.id == "b#0" and found[1].best.article_id == "b"  # its real id
    assert live.asked == [4]  # one more than k: the live copy of the draft is dropped
    assert overlay.locales() == {"en", "es"}
    assert [c.id for c in overlay.chunks_of("b", 0, 2)] == ["b#0"]  # the draft's, under its real id
    assert overlay.chunks_of("b", 0, 2)[0].locale == "es"
    assert [c.id for c in overlay.chunks_of("a", 0, 2)] == ["a#0"]
