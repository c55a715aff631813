"""Protocols at the seams of the retrieval package."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from retrieval.types import Chunk, Neighbour, ScoredChunk, Stamp

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def model_id(self) -> str:
        """Stable identifier of the model; recorded with every index built from it."""
        ...

    @property
    def dimension(self) -> int:
        """Length of every vector returned."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages; returns shape (len(texts), dimension), rows in input order."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Embed one query; returns shape (dimension,)."""
        ...


class VectorCache(Protocol):
    """Document vectors kept across processes, keyed by model id and text.

    A vector put is returned unchanged (bit for bit) by every later `get` of the same model and
    text, in any process sharing the cache; writes of a text already stored are ignored.
    """

    def get(self, model_id: str, texts: Sequence[str]) -> dict[str, Vectors]:
        """The stored vectors of those `texts` that have one (others are absent)."""
        ...

    def missing(self, model_id: str, texts: Sequence[str]) -> list[str]:
        """Those `texts` that have no stored vector, in order, each once."""
        ...

    def put(self, model_id: str, texts: Sequence[str], vectors: Vectors) -> Vectors:
        """Store one row of `vectors` per text; returns the rows as `get` will return them
        (a cache may store them at lower precision)."""
        ...

    def close(self) -> None:
        """Release the cache's connection."""
        ...


class VectorStore(Protocol):
    """Stores chunk vectors and answers nearest-neighbour queries by cosine similarity.

    Raises `EmbeddingModelMismatch` from `bind_model` when the store holds vectors of another
    model, and `BackendUnavailable` when its server cannot be reached.
    """

    def bind_model(self, model_id: str, dimension: int) -> None:
        """Record the model on first use; refuse a different one afterwards."""
        ...

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        """Insert or replace chunks (by id) with their vectors (same order)."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id; unknown ids are ignored."""
        ...

    def manifest(self) -> dict[str, Stamp]:
        """Every stored chunk id with its content hash and source."""
        ...

    def nearest(
        self, vector: Vectors, k: int, filters: Mapping[str, str] | None = None
    ) -> list[Neighbour]:
        """The ids of the k nearest chunks (cosine similarity, best first) matching every
        filter; their fields are read from the keyword index, which holds them all.

        Filter keys are `locale` and `category`.
        """
        ...

    def count(self) -> int:
        """Number of stored chunks."""
        ...

    def reset(self) -> None:
        """Drop every chunk and the recorded model."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


class KeywordIndex(Protocol):
    """A persisted BM25 index over chunk texts; scores are positive, higher is better."""

    def upsert(self, chunks: Sequence[Chunk]) -> None:
        """Insert or replace chunks by id."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id; unknown ids are ignored."""
        ...

    def manifest(self) -> dict[str, Stamp]:
        """Every indexed chunk id with its content hash and source."""
        ...

    def search(
        self, text: str, k: int, filters: Mapping[str, str] | None = None
    ) -> list[ScoredChunk]:
        """The k best chunks for free text (any punctuation is safe), best first."""
        ...

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The indexed chunks of these ids, by id (unknown ids are left out)."""
        ...

    def locales(self) -> frozenset[str]:
        """Locales of the indexed chunks."""
        ...

    def reset(self) -> None:
        """Drop every chunk."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...
