"""The Chroma store's query path (issue 18: less work per query): a query over every locale
does not list the client's collections each time, yet a locale added since is found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retrieval.backends.chroma_store import LISTING_TTL_S, ChromaVectorStore, persistent_client
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
