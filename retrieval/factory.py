"""Builds the retrieval components from their config sections."""

from __future__ import annotations

from pathlib import Path

from retrieval.config import EmbeddingConfig, KeywordConfig, VectorConfig
from retrieval.errors import RetrievalError
from retrieval.interfaces import Embedder, KeywordIndex, VectorStore


def build_embedder(config: EmbeddingConfig) -> Embedder:
    """The configured embedder (loads the model: about a second)."""
    from retrieval.backends.st_embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(config.model_path, config.batch_size)


def build_vector_store(config: VectorConfig, index_dir: Path) -> VectorStore:
    """A Chroma store in `index_dir/chroma`, or on the configured Chroma server."""
    from retrieval.backends.chroma_store import ChromaVectorStore, http_client, persistent_client

    if config.backend == "chroma-http":
        if not config.host:
            raise RetrievalError("vector.backend chroma-http needs vector.host")
        return ChromaVectorStore(http_client(config.host, config.port), config.collection)
    return ChromaVectorStore(persistent_client(index_dir / "chroma"), config.collection)


def build_keyword_index(config: KeywordConfig, index_dir: Path) -> KeywordIndex:
    """The BM25 index in `index_dir/keywords.sqlite3`."""
    from retrieval.backends.sqlite_fts import SqliteKeywordIndex

    return SqliteKeywordIndex(index_dir / "keywords.sqlite3")
