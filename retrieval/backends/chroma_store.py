"""Chroma vector store, one collection per locale so a locale filter is a plain lookup.

Measured: chromadb's `where` filter is ~15x slower than an unfiltered query at 20k chunks.
Locale is the filter every customer query carries, so it selects a collection instead;
the rarer category filter is a `where` inside that collection (measured: over-fetching and
filtering in Python almost never found enough hits with 7 categories, so it cost two queries).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from retrieval.errors import BackendUnavailable, EmbeddingModelMismatch
from retrieval.interfaces import Vectors
from retrieval.types import Chunk, Neighbour, Stamp

# Chroma's HNSW search is approximate, and which neighbours its default (ef 100) misses depends
# on how the graph happened to be built: two ingestions of the same InsuranceQA dev answers, one
# on idle cores and one on busy ones, found other rivals for 23 of 300 pseudo-questions, so the
# score calibration and 11 of 200 answers differed (issue 16). At 400, 4 of 300 differed far
# down the list, and the calibration and every answer were the same; the nearest answer agreed
# with an exhaustive search for 99.7 % of queries instead of 98.3-99.0 %, for 0.1-0.5 ms more
# per query at 4,859 vectors (benchmarks/RESULTS.md).
SEARCH_EF = 400
# A query over every locale uses a listing of our collections at most this old (another worker
# may add a locale meanwhile: it is searched from the next listing on).
LISTING_TTL_S = 5.0
_META_KEYS = (
    "article_id",
    "title",
    "section",
    "url",
    "locale",
    "category",
    "source",
    "audience",
)


def persistent_client(path: Path) -> ClientAPI:
    """A Chroma client storing its data in `path`."""
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
    )


def http_client(host: str, port: int) -> ClientAPI:
    """A Chroma client talking to `chroma run` at host:port."""
    try:
        return chromadb.HttpClient(
            host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False)
        )
    except Exception as exc:  # chromadb raises bare exceptions for connection errors
        raise BackendUnavailable(
            f"cannot reach the Chroma server at {host}:{port} ({exc}); is `chroma run` up?"
        ) from exc


class ChromaVectorStore:
    """VectorStore over a Chroma client (persistent folder or HTTP server)."""

    def __init__(self, client: ClientAPI, name: str = "kb") -> None:
        self._client = client
        self._prefix = re.sub(r"[^a-zA-Z0-9]", "", name) or "kb"
        self._model: dict[str, Any] = {}
        self._collections: dict[str, Collection] = {}
        self._max_batch = client.get_max_batch_size()
        self._names: list[str] = []
        self._listed_at = -float("inf")

    def _name(self, locale: str) -> str:
        return f"{self._prefix}_{re.sub(r'[^a-zA-Z0-9]', '', locale.lower()) or 'und'}"

    def _ours(self, max_age_s: float = 0.0) -> list[Collection]:
        """Our collections, as listed by the client at most `max_age_s` ago."""
        now = time.monotonic()
        if now - self._listed_at > max_age_s:
            try:
                self._names = [c.name for c in self._client.list_collections()]
            except Exception as exc:
                raise BackendUnavailable(f"Chroma is unavailable: {exc}") from exc
            self._listed_at = now
        names = self._names
        for name in names:
            if name.startswith(self._prefix + "_") and name not in self._collections:
                self._collections[name] = _searching_wide(
                    self._client.get_collection(name, embedding_function=None)
                )
        return [c for n, c in self._collections.items() if n in names]

    def _collection(self, locale: str, create: bool) -> Collection | None:
        name = self._name(locale)
        if name not in self._collections:
            if not create:
                self._ours()
                return self._collections.get(name)
            if not self._model:
                raise EmbeddingModelMismatch("bind_model() must be called before writing")
            self._collections[name] = _searching_wide(
                self._client.get_or_create_collection(
                    name,
                    metadata=dict(self._model),
                    configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
                    embedding_function=None,
                )
            )
            self._listed_at = -float("inf")  # the next listing must see it
        return self._collections[name]

    def bind_model(self, model_id: str, dimension: int) -> None:
        """Record the embedding model; refuse collections built with another one."""
        for collection in self._ours():
            meta = collection.metadata or {}
            if meta.get("embedding_model") not in (None, model_id):
                raise EmbeddingModelMismatch(
                    f"the index was built with {meta.get('embedding_model')!r} but the "
                    f"configured model is {model_id!r}; re-ingest with --rebuild, or set "
                    "SUPPORTBOT_EMBEDDING__BACKEND (and MODEL_PATH) to what the index was "
                    "built with (onnx before 2026-12-06, when onnx-int8 became the default)"
                )
        self._model = {"embedding_model": model_id, "dimension": dimension}

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        """Insert or replace chunks, grouped by locale collection."""
        by_locale: dict[str, list[int]] = {}
        for i, chunk in enumerate(chunks):
            by_locale.setdefault(chunk.locale, []).append(i)
        for locale, rows in by_locale.items():
            collection = self._collection(locale, create=True)
            assert collection is not None
            for start in range(0, len(rows), self._max_batch):
                part = rows[start : start + self._max_batch]
                collection.upsert(
                    ids=[chunks[i].id for i in part],
                    embeddings=vectors[part],
                    documents=[chunks[i].text for i in part],
                    metadatas=[_metadata(chunks[i]) for i in part],
                )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks from whichever locale collection holds them."""
        if not ids:
            return
        for collection in self._ours():
            for start in range(0, len(ids), self._max_batch):
                collection.delete(ids=list(ids[start : start + self._max_batch]))

    def manifest(self) -> dict[str, Stamp]:
        """Every stored chunk id with its content hash and source."""
        stamps: dict[str, Stamp] = {}
        for collection in self._ours():
            total = collection.count()
            for offset in range(0, total, self._max_batch):
                got = collection.get(include=["metadatas"], limit=self._max_batch, offset=offset)
                for chunk_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                    stamps[chunk_id] = Stamp(
                        str(meta.get("content_hash", "")), str(meta.get("source", ""))
                    )
        return stamps

    def nearest(
        self, vector: Vectors, k: int, filters: Mapping[str, str] | None = None
    ) -> list[Neighbour]:
        """Ids of the nearest chunks by cosine similarity, best first."""
        filters = dict(filters or {})
        locale = filters.pop("locale", None)
        if locale is not None:
            one = self._collection(locale, create=False)
            collections = [one] if one is not None else []
        else:  # issue 18: not a listing of the server's collections per query
            collections = self._ours(max_age_s=LISTING_TTL_S)
        hits: list[Neighbour] = []
        for collection in collections:
            # Chroma answers what it has when asked for more: no count() round trip first.
            hits.extend(self._run(collection, vector, k, filters or None))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    def _run(
        self, collection: Collection, vector: Vectors, n: int, where: dict[str, str] | None
    ) -> list[Neighbour]:
        # Distances only: Chroma's metadata rows were 60% of a query's time (issue 18).
        try:
            res = collection.query(
                query_embeddings=[vector.tolist()],
                n_results=n,
                where=dict(where) if where else None,
                include=["distances"],
            )
        except Exception as exc:
            raise BackendUnavailable(f"Chroma query failed: {exc}") from exc
        dists = (res["distances"] or [[]])[0]
        return [
            Neighbour(cid, 1.0 - float(dist))
            for cid, dist in zip(res["ids"][0], dists, strict=True)
        ]

    def count(self) -> int:
        """Number of stored chunks over all locales."""
        return sum(c.count() for c in self._ours())

    def reset(self) -> None:
        """Delete every collection of this store."""
        for collection in self._ours():
            self._client.delete_collection(collection.name)
        self._collections.clear()
        self._listed_at = -float("inf")

    def close(self) -> None:
        """Forget cached collection handles (the client owns no sockets to close)."""
        self._collections.clear()


def _searching_wide(collection: Collection) -> Collection:
    """`collection`, searching with SEARCH_EF (collections made before it searched with less)."""
    hnsw = (collection.configuration or {}).get("hnsw") or {}
    if hnsw.get("ef_search", SEARCH_EF) < SEARCH_EF:
        collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    return collection


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    meta: dict[str, str | int] = {key: getattr(chunk, key) for key in _META_KEYS}
    meta["tokens"] = chunk.tokens
    meta["content_hash"] = chunk.content_hash
    return meta
