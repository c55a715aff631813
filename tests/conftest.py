"""Shared fixtures: the real embedder (loaded once), real Chroma and SQLite in tmp dirs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    KeywordConfig,
    SearchConfig,
    VectorConfig,
)
from retrieval.factory import build_embedder, build_keyword_index, build_vector_store
from retrieval.interfaces import Embedder
from retrieval.knowledge_base import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KB_FIXTURE = FIXTURES / "kb"
EXPORT_CACHE_ENV = "SUPPORTBOT_EMBEDDING__CACHE_DIR"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, embedder_data_dir: Path) -> None:
    """Tests build Settings explicitly: no SUPPORTBOT_* variable leaks in, except where the
    ONNX export is kept: one folder for the session, so no app or server exports it again."""
    for key in list(os.environ):
        if key.startswith("SUPPORTBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv(EXPORT_CACHE_ENV, str(embedder_data_dir / "models"))


@pytest.fixture(scope="session")
def embedder_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose `models/` keeps the ONNX exports: made once per test session."""
    return tmp_path_factory.mktemp("embedder-data")


@pytest.fixture(scope="session")
def embedder(embedder_data_dir: Path) -> Embedder:
    """The bundled all-MiniLM-L6-v2 on the default backend, loaded once per test session."""
    return build_embedder(EmbeddingConfig(), embedder_data_dir)


class KBFactory(Protocol):
    """Makes a knowledge base in `index_dir`, with the session's embedder and default search
    settings unless given others."""

    def __call__(
        self, index_dir: Path, embedder: Embedder | None = None, search: SearchConfig | None = None
    ) -> KnowledgeBase: ...


@pytest.fixture
def make_kb(embedder: Embedder) -> Iterator[KBFactory]:
    """Builds knowledge bases in given folders (real Chroma + SQLite FTS5), closed after."""
    opened: list[KnowledgeBase] = []
    session_embedder = embedder

    def make(
        index_dir: Path, embedder: Embedder | None = None, search: SearchConfig | None = None
    ) -> KnowledgeBase:
        kb = KnowledgeBase(
            embedder or session_embedder,
            build_vector_store(VectorConfig(), index_dir),
            build_keyword_index(KeywordConfig(), index_dir),
            ChunkingConfig(),
            search or SearchConfig(),
        )
        opened.append(kb)
        return kb

    yield make
    for kb in opened:
        kb.close()


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny fixture KB."""
    target = tmp_path / "kb"
    shutil.copytree(KB_FIXTURE, target)
    return target


@pytest.fixture(scope="session")
def sample_kb(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KnowledgeBase]:
    """The shipped sample help center (kb_content/), ingested once per session."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    kb = KnowledgeBase(
        embedder,
        build_vector_store(VectorConfig(), index_dir),
        build_keyword_index(KeywordConfig(), index_dir),
        ChunkingConfig(),
        SearchConfig(),
    )
    report = kb.ingest_path(ROOT / "kb_content")
    assert report.ok, report.problems
    yield kb
    kb.close()
