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


def scored_chunk(row: Sequence[Any]) -> ScoredChunk:
    """A search result row: CHUNK_COLUMNS, tokens, content_hash, then the score."""
    fields = dict(zip(CHUNK_COLUMNS, row[: len(CHUNK_COLUMNS)], strict=True))
    return ScoredChunk(Chunk(**fields, tokens=row[-3], content_hash=row[-2]), float(row[-1]))
