"""The cached embedder encodes each text once while it stays cached, evicts the least recently
used, lets ingestion-sized batches through, and keeps queries and documents apart."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from retrieval.cached_embedder import PASS_THROUGH, CachedEmbedder
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
