"""Incremental ingestion into a real Chroma and SQLite FTS5 with the real embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from retrieval.backends.chroma_store import ChromaVectorStore, persistent_client
from retrieval.chunking import Chunker
from retrieval.config import ChunkingConfig, SearchConfig
from retrieval.errors import EmbeddingModelMismatch
from retrieval.interfaces import Embedder, Vectors
from retrieval.loader import load_kb
from retrieval.types import SearchResult
from tests.conftest import KBFactory


def ids(hits: Sequence[SearchResult]) -> list[str]:
    return [h.article_id for h in hits]


def test_first_ingest_adds_everything_and_second_embeds_nothing(
    kb_copy: Path, make_kb: KBFactory, tmp_path: Path
) -> None:
    kb = make_kb(tmp_path / "index")
    first = kb.ingest_path(kb_copy)
    assert sorted(first.added) == sorted(p.stem for p in kb_copy.glob("*.md") if p.stem != "README")
    assert first.embedded == first.chunks > 8 and first.ok
    assert kb.vectors.count() == first.chunks
    assert len(kb.keywords.manifest()) == first.chunks

    second = kb.ingest_path(kb_copy)
    assert (second.added, second.updated, second.deleted) == ([], [], [])
    assert second.unchanged == 8 and second.embedded == 0


class Recording:
    """The real embedder, recording the documents it encodes."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.documents: list[str] = []
        self.model_id = inner.model_id
        self.dimension = inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.documents += texts
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        return self.inner.embed_query(text)


def test_chunks_are_embedded_shortest_first_and_stored_with_their_own_vectors(
    kb_copy: Path, embedder: Embedder, make_kb: KBFactory, tmp_path: Path
) -> None:
    recording = Recording(embedder)
    # Only the chunks: no self-quiz after ingestion.
    kb = make_kb(tmp_path / "index", recording, SearchConfig(calibration_sample=0))
    report = kb.ingest_path(kb_copy)
    lengths = [len(t) for t in recording.documents]
    assert len(lengths) == report.chunks and lengths == sorted(lengths)
    articles, _ = load_kb(kb_copy, ChunkingConfig().max_file_bytes)
    chunker = Chunker(ChunkingConfig())
    for chunk in (c for a in articles for c in chunker.split(a)):
        hit = kb.vectors.nearest(embedder.embed_documents([chunk.embed_text])[0], 1)[0]
        assert hit.chunk_id == chunk.id and hit.score > 0.999


def test_changed_article_replaces_only_its_chunks(
    kb_copy: Path, make_kb: KBFactory, tmp_path: Path
) -> None:
    kb = make_kb(tmp_path / "index")
    kb.ingest_path(kb_copy)
    path = kb_copy / "shipping-times.md"
    new_text = path.read_text().replace("CA$14.99", "CA$19.99")
    path.write_text(new_text + "\n## Mexico\nDelivery to Mexico takes 7-14 business days.\n")
    report = kb.ingest_path(kb_copy)
    assert report.updated == ["shipping-times"] and report.unchanged == 7
    assert 1 <= report.embedded <= 3
    hits = kb.search("how much is delivery to canada", 1)
    assert hits[0].article_id == "shipping-times"
    assert any("CA$19.99" in c.chunk.text for c in hits[0].chunks)
    stored = " ".join(c.chunk.text for h in kb.search("canada shipping price", 5) for c in h.chunks)
    assert "CA$14.99" not in stored


def test_shrinking_article_drops_its_stale_chunks(
    kb_copy: Path, make_kb: KBFactory, tmp_path: Path
) -> None:
    kb = make_kb(tmp_path / "index")
    kb.ingest_path(kb_copy)
    before = {i for i in kb.vectors.manifest() if i.startswith("return-policy#")}
    path = kb_copy / "return-policy.md"
    path.write_text(path.read_text().split("## Condition")[0])
    kb.ingest_path(kb_copy)
    after = {i for i in kb.vectors.manifest() if i.startswith("return-policy#")}
    assert after < before
    assert {i for i in kb.keywords.manifest() if i.startswith("return-policy#")} == after


def test_deleted_article_vanishes_from_both_indexes(
    kb_copy: Path, make_kb: KBFactory, tmp_path: Path
) -> None:
    kb = make_kb(tmp_path / "index")
    kb.ingest_path(kb_copy)
    (kb_copy / "two-step-verification.md").unlink()
    report = kb.ingest_path(kb_copy)
    assert report.deleted == ["two-step-verification"]
    assert not any(i.startswith("two-step-verification#") for i in kb.vectors.manifest())
    assert not any(i.startswith("two-step-verification#") for i in kb.keywords.manifest())
    for mode in ("dense", "lexical", "hybrid"):
        assert "two-step-verification" not in ids(kb.search("backup codes", 8, mode=mode))


def test_broken_file_is_reported_and_keeps_its_indexed_version(
    kb_copy: Path, make_kb: KBFactory, tmp_path: Path
) -> None:
    kb = make_kb(tmp_path / "index")
    kb.ingest_path(kb_copy)
    broken = kb_copy / "refund-timing.md"
    broken.write_text("---\ntitle: [oops\n---\nRefunds take forever.")
    (kb_copy / "new.md").write_text("---\ntitle: Gift cards\n---\nGift cards never expire.")
    report = kb.ingest_path(kb_copy)
    assert [p.path for p in report.problems] == [str(broken)]
    assert report.added == ["new"] and report.deleted == []
    assert ids(kb.search("when does my refund arrive on my card", 1)) == ["refund-timing"]


def test_another_embedding_model_is_refused_until_rebuild(
    kb_copy: Path, make_kb: KBFactory, tmp_path: Path
) -> None:
    kb = make_kb(tmp_path / "index")
    kb.ingest_path(kb_copy)
    store = ChromaVectorStore(persistent_client(tmp_path / "index" / "chroma"))
    with pytest.raises(EmbeddingModelMismatch, match="--rebuild"):
        store.bind_model("some/other-model", 384)
    report = kb.ingest_path(kb_copy, rebuild=True)
    assert len(report.added) == 8 and report.embedded == report.chunks
