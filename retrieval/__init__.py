"""Ingestion and hybrid search over a help center (Chroma + SQLite FTS5)."""

from __future__ import annotations

from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    KeywordConfig,
    SearchConfig,
    VectorConfig,
)
from retrieval.errors import (
    ArticleFormatError,
    BackendUnavailable,
    EmbeddingModelMismatch,
    RetrievalError,
)
from retrieval.interfaces import Embedder, KeywordIndex, VectorStore
from retrieval.knowledge_base import KnowledgeBase
from retrieval.types import Article, Chunk, IngestReport, Problem, ScoredChunk, SearchResult

__all__ = [
    "Article",
    "ArticleFormatError",
    "BackendUnavailable",
    "Chunk",
    "ChunkingConfig",
    "Embedder",
    "EmbeddingConfig",
    "EmbeddingModelMismatch",
    "IngestReport",
    "KeywordConfig",
    "KeywordIndex",
    "KnowledgeBase",
    "Problem",
    "RetrievalError",
    "ScoredChunk",
    "SearchConfig",
    "SearchResult",
    "VectorConfig",
    "VectorStore",
]
