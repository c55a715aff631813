"""A question an article declares (front matter `questions:`, which the widget suggests) is
answered from that article, through a live server on the sample shop ingested as
`supportbot ingest` does (issue 16). Real embedder, Chroma, SQLite, uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest

from bot.api.app import create_app
from bot.wiring import build_services
from retrieval.interfaces import Embedder
from retrieval.loader import load_kb
from tests.api.conftest import Chat, api_settings
from tests.conftest import ROOT
from tests.live_server import LiveServer

SHOP = ROOT / "kb_content"


@pytest.fixture(scope="module")
def client(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = api_settings(tmp_path_factory.mktemp("shop"), api={"rate_limit_per_ip": 100_000})
    services = build_services(settings, embedder=embedder)
    articles, problems = load_kb(SHOP, settings.chunking.max_file_bytes)
    assert anyio.run(lambda: services.editor.sync_files(articles, problems)).ok
    with (
        LiveServer(create_app(settings, services)) as live,
        httpx.Client(base_url=live.url, timeout=60) as http,
    ):
        yield http
    anyio.run(services.aclose)


def cited(reply: dict[str, object]) -> list[str]:
    citations = reply["citations"]
    assert isinstance(citations, list)
    return [c["article_id"] for c in citations]


def test_every_suggested_question_is_answered_from_its_article(client: httpx.Client) -> None:
    articles, _ = load_kb(SHOP, 10**7)
    declared = [(q, a.id) for a in articles for q in a.questions]
    assert len(declared) >= 10
    for question, article_id in declared:
        reply = Chat(client).ask(question)
        assert reply["kind"] == "answer" and cited(reply) == [article_id], (question, reply)


def test_the_same_question_in_a_customers_words(client: httpx.Client) -> None:
    # The search ranks the non-returnable items article first ("... follow the normal return
    # policy"); the return policy declares the question.
    reply = Chat(client).ask("whats the return policy")
    assert cited(reply) == ["return-policy"], reply
    assert "Most items" in str(reply["text"]), reply
    why = Chat(client).ask("why was my payment declined")
    assert str(why["text"]).startswith("If your payment is declined"), why  # its opening
