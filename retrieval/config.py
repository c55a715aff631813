"""Configuration sections of the retrieval package (plain models; they never read env)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class EmbeddingConfig(BaseModel):
    """Which sentence embedder to use, and how it runs."""

    backend: Literal["onnx", "onnx-int8", "torch", "local"] = Field(
        default="onnx-int8",
        description="onnx-int8: the bundled model on ONNX Runtime with int8 weights (a scale "
        "per channel), exported once into <data_dir>/models: 1.5x the chunks per CPU-second "
        "of onnx, queries 0.7-0.8x its time, the same recall; onnx: the same export in fp32, "
        "the same vectors as torch; torch: sentence-transformers (local: the same). Changing "
        "it needs ingest --rebuild.",
    )
    model_path: str = Field(
        default="",
        description="Folder of a sentence-transformers model; empty: bundled all-MiniLM-L6-v2.",
    )
    batch_size: int = Field(
        default=16,
        ge=1,
        description="Texts per model run; batches are cut from texts sorted by length, and "
        "on CPU small ones cost the least (64: ~25% more CPU time per text); onnx-int8 runs "
        "each text alone.",
    )
    cache_dir: str = Field(
        default="",
        description="Where the onnx exports are kept (shareable: file names carry a hash of the "
        "weights); empty: <data_dir>/models.",
    )


class ChunkingConfig(BaseModel):
    """How articles are split (sizes in tiktoken cl100k tokens)."""

    chunk_tokens: int = Field(default=200, ge=32)
    overlap_tokens: int = Field(default=40, ge=0)
    max_file_bytes: int = Field(default=2_000_000, ge=1_000)


class VectorConfig(BaseModel):
    """Where vectors live: a local Chroma folder or a Chroma server."""

    backend: Literal["chroma-persistent", "chroma-http"] = "chroma-persistent"
    collection: str = "kb"
    host: str = ""
    port: int = 8000


class KeywordConfig(BaseModel):
    """The lexical index: a local SQLite FTS5 file, or PostgreSQL shared by every worker."""

    backend: Literal["sqlite-fts5", "postgres"] = "sqlite-fts5"
    url: str = Field(
        default="",
        description="postgres backend: postgresql://user@host/db; empty = the storage URL.",
    )


class SearchConfig(BaseModel):
    """Hybrid search and fusion parameters (tuned on the public dev splits)."""

    candidates: int = Field(default=40, ge=1, description="Chunks fetched from each index.")
    dense_weight: float = Field(
        default=0.65,
        ge=0,
        le=1,
        description="Share of the dense score in the fused score of hybrid search; the keyword "
        "score has the rest (each min-max normalised over its candidates).",
    )
    chunks_per_article: int = Field(
        default=4,
        ge=1,
        description="An article's chunks given to the answer, the two searches' best in turn "
        "(a keyword hit on its steps beside the dense hits on its other sections).",
    )
    relevance_floor: float = Field(
        default=0.15, description="Cosine similarity that maps to relevance 0."
    )
    relevance_ceiling: float = Field(
        default=0.65, description="Cosine similarity that maps to relevance 1."
    )
    calibration_sample: int = Field(
        default=300,
        ge=0,
        description="Pseudo-questions the knowledge base asks itself after each ingestion to "
        "calibrate answer confidence (two embeddings and a search each); 0 = off.",
    )
