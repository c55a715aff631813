"""Builds the retrieval components from their config sections."""

from __future__ import annotations

from pathlib import Path

from retrieval.config import EmbeddingConfig, KeywordConfig, VectorConfig
from retrieval.errors import RetrievalError
from retrieval.interfaces import Embedder, KeywordIndex, VectorStore


def build_embedder(config: EmbeddingConfig, data_dir: Path = Path("data")) -> Embedder:
    """The configured embedder (loads the model: about a second).

    The onnx backends keep their export in `config.cache_dir` (default `data_dir/models`),
    made on first use (~10 s).
    """
    models = onnx_models_dir(config, data_dir)
    if models is not None:
        from retrieval.backends.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(
            models,
            config.model_path,
            config.batch_size,
            quantized=config.backend == "onnx-int8",
        )
    from retrieval.backends.st_embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(config.model_path, config.batch_size)


def onnx_models_dir(config: EmbeddingConfig, data_dir: Path = Path("data")) -> Path | None:
    """Where ONNX exports are cached (`config.cache_dir`, default `data_dir/models`); None when
    the configured backend is torch (our small adapted models then run on torch as well)."""
    if config.backend not in ("onnx", "onnx-int8"):
        return None
    return Path(config.cache_dir) if config.cache_dir else data_dir / "models"


def build_vector_store(config: VectorConfig, index_dir: Path, variant: str = "") -> VectorStore:
    """A Chroma store in `index_dir/chroma`, or on the configured Chroma server.

    A `variant` (e.g. "preview") is a separate index: collection `<collection>_<variant>`.
    """
    from retrieval.backends.chroma_store import ChromaVectorStore, http_client, persistent_client

    collection = f"{config.collection}_{variant}" if variant else config.collection
    if config.backend == "chroma-http":
        if not config.host:
            raise RetrievalError("vector.backend chroma-http needs vector.host")
        return ChromaVectorStore(http_client(config.host, config.port), collection)
    return ChromaVectorStore(persistent_client(index_dir / "chroma"), collection)


def build_keyword_index(
    config: KeywordConfig, index_dir: Path, variant: str = "", url: str = ""
) -> KeywordIndex:
    """The BM25 index in `index_dir/keywords.sqlite3`, or PostgreSQL's table `kb_chunks`.

    A `variant` is a separate index (`keywords_<variant>.sqlite3`, table `kb_chunks_<variant>`).
    The postgres backend connects to `config.url`, else to `url` (the storage database).
    """
    if config.backend == "postgres":
        try:
            from retrieval.backends.postgres_fts import PostgresKeywordIndex
        except ImportError as exc:
            raise RetrievalError(
                "keyword.backend postgres needs psycopg: pip install 'supportbot[postgres]'"
            ) from exc
        return PostgresKeywordIndex(config.url or url, variant)
    from retrieval.backends.sqlite_fts import SqliteKeywordIndex

    name = f"keywords_{variant}.sqlite3" if variant else "keywords.sqlite3"
    return SqliteKeywordIndex(index_dir / name)
