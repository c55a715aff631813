"""What the SQL keyword indexes (SQLite FTS5, PostgreSQL) share: the stored chunk columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from retrieval.types import Chunk, ScoredChunk

# Stored as they are; `tokens` and `content_hash` follow them in every row.
CHUNK_COLUMNS = (
    "id",
    "article_id",
    "title",
    "section",
    "text",
    "url",
    "locale",
    "category",
    "source",
    "audience",
)


def chunk_values(chunk: Chunk) -> tuple[Any, ...]:
    """A chunk's CHUNK_COLUMNS values, then its tokens and content hash."""
    return (*(getattr(chunk, col) for col in CHUNK_COLUMNS), chunk.tokens, chunk.content_hash)


def stored_chunk(row: Sequence[Any]) -> Chunk:
    """A stored row: CHUNK_COLUMNS, then tokens and content_hash."""
    fields = dict(zip(CHUNK_COLUMNS, row[: len(CHUNK_COLUMNS)], strict=True))
    n = len(CHUNK_COLUMNS)
    return Chunk(**fields, tokens=row[n], content_hash=row[n + 1])


def scored_chunk(row: Sequence[Any]) -> ScoredChunk:
    """A search result row: a stored row, then the score."""
    return ScoredChunk(stored_chunk(row), float(row[-1]))
