"""Shared indexes: what one worker ingests into a Chroma server + PostgreSQL, another finds."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from retrieval.config import ChunkingConfig, KeywordConfig, SearchConfig, VectorConfig
from retrieval.factory import build_keyword_index, build_vector_store
from retrieval.interfaces import Embedder
from retrieval.knowledge_base import KnowledgeBase
from tests.conftest import KB_FIXTURE
from tests.contracts.conftest import fresh_database, require_postgres
from tests.scaleout.servers import Server, chroma_server

pytestmark = pytest.mark.postgres

Worker = Callable[..., KnowledgeBase]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with chroma_server(tmp_path_factory.mktemp("chroma") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_database(require_postgres()) as url:
        yield url


@pytest.fixture
def worker(embedder: Embedder, chroma: Server, database: str, tmp_path: Path) -> Iterator[Worker]:
    """Opens a worker's own KnowledgeBase on the shared servers (own clients, own connection).

    Each test has its own indexes: a variant unique to it.
    """
    opened: list[KnowledgeBase] = []
    base = f"t{secrets.token_hex(4)}"

    def open_(name: str = "") -> KnowledgeBase:
        variant = f"{base}_{name}" if name else base
        vectors = VectorConfig(backend="chroma-http", host="127.0.0.1", port=chroma.port)
        kb = KnowledgeBase(
            embedder,
            build_vector_store(vectors, tmp_path, variant),
            build_keyword_index(KeywordConfig(backend="postgres"), tmp_path, variant, database),
            ChunkingConfig(),
            SearchConfig(),
        )
        opened.append(kb)
        return kb

    yield open_
    for kb in opened:
        kb.close()


def test_what_one_worker_ingests_another_finds(worker: Worker) -> None:
    first, second = worker(), worker()
    report = first.ingest_path(KB_FIXTURE)
    assert report.ok and report.embedded == report.chunks > 0

    for mode in ("hybrid", "dense", "lexical"):
        results = second.search("how long is the password reset link valid?", 3, mode=mode)
        assert results[0].article_id == "reset-password", mode
    spanish = second.search(
        "¿Cuántos días tengo para devolver un artículo?", 3, locale="es", mode="lexical"
    )
    assert spanish[0].article_id == "politica-devoluciones"
    assert {r.locale for r in spanish} == {"es"}
    assert second.keywords.locales() == {"en", "es"}

    # The other worker sees the same stored hashes: re-ingesting embeds nothing.
    again = second.ingest_path(KB_FIXTURE)
    assert again.embedded == 0 and again.unchanged == len(report.added)


def test_a_variant_is_a_separate_shared_index(worker: Worker) -> None:
    live, preview = worker(), worker("preview")
    preview.ingest_path(KB_FIXTURE)
    assert worker("preview").search("password reset link", 1)[0].article_id == "reset-password"
    assert live.vectors.count() == 0 and live.keywords.manifest() == {}
    assert live.search("password reset link", 1) == []
