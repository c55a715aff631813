"""The Chroma store's query path (issue 18: less work per query): a query over every locale
does not list the client's collections each time, yet a locale added since is found; and every
collection searches wide enough that its results do not depend on how its graph was built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retrieval.backends.chroma_store import (
    LISTING_TTL_S,
    SEARCH_EF,
    ChromaVectorStore,
    persistent_client,
)
from retrieval.interfaces import Embedder
from retrieval.types import Chunk


class Listing:
    """The real Chroma client, counting its collection listings."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.listings = 0

    def list_collections(self) -> Any:
        self.listings += 1
        return self._inner.list_collections()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def chunk(chunk_id: str, text: str, locale: str) -> Chunk:
    return Chunk(chunk_id, chunk_id.split("#")[0], "T", "", text, "", locale, "", 5, "h")


def test_queries_reuse_a_recent_listing_and_see_new_locales(
    embedder: Embedder, tmp_path: Path
) -> None:
    client = Listing(persistent_client(tmp_path / "chroma"))
    store = ChromaVectorStore(client)  # type: ignore[arg-type]
    store.bind_model(embedder.model_id, embedder.dimension)
    texts = ["refunds take five days", "reembolsos tardan cinco días"]
    store.upsert([chunk("a#0", texts[0], "en")], embedder.embed_documents(texts[:1]))
    query = embedder.embed_query("how long do refunds take")
    first = store.nearest(query, 5)
    before = client.listings
    for _ in range(20):
        assert store.nearest(query, 5) == first
    assert client.listings == before  # within LISTING_TTL_S: no listing per query
    assert LISTING_TTL_S > 0
    store.upsert([chunk("b#0", texts[1], "es")], embedder.embed_documents(texts[1:]))
    assert {h.chunk_id for h in store.nearest(query, 5)} == {"a#0", "b#0"}  # the new locale
    assert [h.chunk_id for h in store.nearest(query, 5, {"locale": "es"})] == ["b#0"]
    assert store.nearest(query, 5, {"locale": "fr"}) == []


def _ef_search(client: Any, name: str) -> int:
    collection = client.get_collection(name, embedding_function=None)
    return int(collection.configuration["hnsw"]["ef_search"])


def test_new_and_older_collections_search_with_the_wide_setting(
    embedder: Embedder, tmp_path: Path
) -> None:
    client = persistent_client(tmp_path / "chroma")
    older = client.create_collection(  # as a store made before SEARCH_EF left it
        "kb_es", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    assert int(older.configuration["hnsw"]["ef_search"]) < SEARCH_EF
    store = ChromaVectorStore(client)
    store.bind_model(embedder.model_id, embedder.dimension)
    texts = ["refunds take five days", "reembolsos tardan cinco días"]
    store.upsert([chunk("a#0", texts[0], "en")], embedder.embed_documents(texts[:1]))
    store.upsert([chunk("b#0", texts[1], "es")], embedder.embed_documents(texts[1:]))
    assert _ef_search(client, "kb_en") == SEARCH_EF  # created by the store
    assert _ef_search(client, "kb_es") == SEARCH_EF  # widened when the store opened it
    query = embedder.embed_query("how long do refunds take")
    assert [h.chunk_id for h in store.nearest(query, 5, {"locale": "es"})] == ["b#0"]
