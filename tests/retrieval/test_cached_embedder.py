"""The cached embedder encodes each text once while it stays cached, evicts the least recently
used, lets ingestion-sized batches through, keeps queries and documents apart, and keeps
documents in a file across restarts when given one."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from retrieval.backends.sqlite_vector_cache import SqliteVectorCache
from retrieval.cached_embedder import PASS_THROUGH, WARM_BATCH, CachedEmbedder
from retrieval.interfaces import Embedder, Vectors


class Counting:
    """The real embedder, counting what reaches it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.documents: list[str] = []
        self.queries: list[str] = []
        self.model_id = inner.model_id
        self.dimension = inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.documents += texts
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        self.queries.append(text)
        return self.inner.embed_query(text)


def test_recent_texts_are_encoded_once_and_the_oldest_go_first(embedder: Embedder) -> None:
    counting = Counting(embedder)
    cached = CachedEmbedder(counting, max_texts=2)
    first = cached.embed_documents(["refund", "shipping"])
    cached.embed_documents(["refund"])  # now the most recent
    cached.embed_documents(["returns"])  # evicts "shipping", the least recently used
    again = cached.embed_documents(["refund", "shipping"])
    assert counting.documents == ["refund", "shipping", "returns", "shipping"]
    assert np.allclose(first, again, atol=1e-6)
    assert np.allclose(again, embedder.embed_documents(["refund", "shipping"]), atol=1e-5)


def test_queries_are_cached_apart_and_copies_are_handed_out(embedder: Embedder) -> None:
    counting = Counting(embedder)
    cached = CachedEmbedder(counting)
    cached.embed_documents(["where is my parcel"])
    vector = cached.embed_query("where is my parcel")
    vector[0] = 99.0
    assert cached.embed_query("where is my parcel")[0] != 99.0
    assert counting.queries == ["where is my parcel"]


def test_ingestion_batches_pass_through(embedder: Embedder) -> None:
    counting = Counting(embedder)
    cached = CachedEmbedder(counting)
    texts = [f"article {i}" for i in range(PASS_THROUGH + 1)]
    cached.embed_documents(texts)
    cached.embed_documents(texts[:1])
    assert len(counting.documents) == len(texts) + 1  # nothing was kept from the big batch


def test_threads_share_one_cache(embedder: Embedder) -> None:
    counting = Counting(embedder)
    cached = CachedEmbedder(counting)
    cached.embed_query("how long do refunds take")
    with ThreadPoolExecutor(4) as pool:
        vectors = list(pool.map(cached.embed_query, ["how long do refunds take"] * 16))
    assert counting.queries == ["how long do refunds take"]
    assert all(np.array_equal(v, vectors[0]) for v in vectors)


def test_documents_persist_across_processes_and_read_the_same(
    embedder: Embedder, tmp_path: Path
) -> None:
    first = Counting(embedder)
    cold = CachedEmbedder(first, persistent=SqliteVectorCache(tmp_path / "v.sqlite"))
    computed = cold.embed_documents(["refunds take 5 days", "labels are free"])
    # A restart (or another worker): a new cache in front of the same file, nothing in memory.
    second = Counting(embedder)
    warm = CachedEmbedder(second, persistent=SqliteVectorCache(tmp_path / "v.sqlite"))
    read = warm.embed_documents(["labels are free", "refunds take 5 days", "gift cards"])
    assert second.documents == ["gift cards"]
    assert np.array_equal(read[:2], computed[::-1]), "stored vectors read bit for bit"
    exact = embedder.embed_documents(["refunds take 5 days"])[0]
    assert float(computed[0] @ exact) > 0.9999  # float16 storage keeps the direction


def test_warm_encodes_only_what_the_file_lacks(embedder: Embedder, tmp_path: Path) -> None:
    counting = Counting(embedder)
    cached = CachedEmbedder(counting, persistent=SqliteVectorCache(tmp_path / "v.sqlite"))
    cached.embed_documents(["already asked"])
    seen: list[tuple[int, int]] = []
    texts = ["already asked", *(f"sentence {i}" for i in range(WARM_BATCH + 2)), "sentence 0"]
    assert cached.warm(texts, lambda done, total: seen.append((done, total))) == WARM_BATCH + 2
    assert seen[-1] == (WARM_BATCH + 2, WARM_BATCH + 2)
    warmed = [len(t) for t in counting.documents[1:]]
    assert warmed == sorted(warmed)  # shortest first: batches of similar length pad little
    assert cached.warm(texts) == 0
    before = len(counting.documents)
    cached.embed_documents(["sentence 5", "sentence 7"])
    assert len(counting.documents) == before  # read from the file, not encoded
    assert CachedEmbedder(counting).warm(texts) == 0  # no file: nothing to warm


def test_the_cache_file_keeps_models_apart(embedder: Embedder, tmp_path: Path) -> None:
    cache = SqliteVectorCache(tmp_path / "v.sqlite")
    vector = embedder.embed_documents(["refund"])
    cache.put("model-a", ["refund"], vector)
    assert set(cache.get("model-a", ["refund", "other"])) == {"refund"}
    assert cache.get("model-b", ["refund"]) == {}
    cache.put("model-a", ["refund"], -vector)  # a stored text keeps its vector
    assert float(cache.get("model-a", ["refund"])["refund"] @ vector[0]) > 0.99
    cache.close()
