"""The page tie-breaker through the whole responder (issue 21): on a page mapped to an article,
that article comes first among the tied results the answer is built from (passage [1]); a
clearly better match stays first on any page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from bot.conversations.models import Channel, Customer
from bot.settings import Settings
from bot.wiring import Services, build_services
from retrieval.interfaces import Embedder
from retrieval.loader import load_kb
from tests.conftest import KB_FIXTURE

TIED = "how long do I have to return an item and get my refund"  # both articles score 1.0
CLEAR = "how do refunds work for returns"  # refund-timing 0.90, return-policy 0.62


@pytest.fixture(scope="module")
def services(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    data_dir = tmp_path_factory.mktemp("page-boost")
    kb = data_dir / "kb"
    shutil.copytree(KB_FIXTURE, kb)
    _map(kb / "refund-timing.md", "*/orders*")
    _map(kb / "return-policy.md", "*/returns*")
    built = build_services(Settings(data_dir=data_dir), embedder=embedder)
    articles, problems = load_kb(kb, built.settings.chunking.max_file_bytes)
    anyio.run(lambda: built.editor.sync_files(articles, problems))
    yield built
    anyio.run(built.aclose)


def _map(path: Path, glob: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n---\n", f'\npages: ["{glob}"]\n---\n', 1), encoding="utf-8")


def _first(services: Services, question: str, page: str) -> str:
    async def ask() -> str:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.WIDGET, locale="en", page_url=page
        )
        events = [e async for e in services.responder.reply(conversation.id, question)]
        done = next(e.turn for e in events if e.type == "done" and e.turn is not None)
        retrieved: list[dict[str, str]] = done.meta["retrieved"]
        return retrieved[0]["article_id"]

    return anyio.run(ask)


def test_a_tie_puts_the_article_of_the_customers_page_first(services: Services) -> None:
    assert _first(services, TIED, "https://shop.example/orders/1042") == "refund-timing"
    assert _first(services, TIED, "https://shop.example/returns/new") == "return-policy"


def test_a_clearly_better_match_stays_first_on_any_page(services: Services) -> None:
    assert _first(services, CLEAR, "https://shop.example/returns/new") == "refund-timing"
    assert _first(services, CLEAR, "") == "refund-timing"
