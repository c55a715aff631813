"""The bundled sentence model on ONNX Runtime: tokenizers + one session + numpy pooling.

No torch at run time once the export is cached (issue 18: faster queries, a quicker start).
Pooling and truncation follow the model folder's sentence-transformers config, so the fp32
vectors equal the torch backend's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.backends.onnx_export import cached_export, open_session
from retrieval.backends.st_embedder import BUNDLED_MODEL_ID, bundled_model_dir
from retrieval.errors import RetrievalError
from retrieval.interfaces import Vectors

INT8_SUFFIX = "+onnx-int8pc"


class OnnxEmbedder:
    """Mean-pooled, L2-normalised sentence vectors from an ONNX export of the model."""

    def __init__(
        self,
        cache_dir: Path,
        model_path: str = "",
        batch_size: int = 64,
        quantized: bool = False,
    ) -> None:
        from tokenizers import Tokenizer

        folder = Path(model_path) if model_path else bundled_model_dir()
        max_tokens = _check_folder(folder)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        self._pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        # int8 activations are quantised with one scale per model run: texts run together
        # would change each other's vectors (cosine 0.99), so each text runs alone. Measured on
        # 2 cores: 1.1x the passages/CPU-s of batched int8 for 200-token chunks, 0.7x for
        # sentences, still 1.7x and 1.0x fp32 batched. One text's matrices are too small to
        # gain from being split over the cores, so each run has one thread and the texts of a
        # call are shared among the cores instead: 1.35x the sentences and 1.1x the chunks per
        # CPU-second, 1.26x and 1.12x per second (2 cores, 2026-12-06; one thread in all, no
        # sharing: 1.49x and 1.2x per CPU-second, no faster in wall time).
        self._batch_size = 1 if quantized else batch_size
        workers = _usable_cores() if quantized else 1
        self._pool = ThreadPoolExecutor(workers) if workers > 1 else None
        self._session = _open(folder, cache_dir, quantized)
        name = BUNDLED_MODEL_ID if not model_path else folder.name
        # int8 vectors differ a little: an index built with one must not be queried with the other.
        self._model_id = name + INT8_SUFFIX if quantized else name
        self._dimension = int(self._run(["dimension probe"]).shape[1])

    @property
    def model_id(self) -> str:
        """Identifier recorded with every index built from this model."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """Vector length."""
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages (rows in input order).

        Every text is tokenised first and the batches are cut from them sorted by token count,
        so a batch pads to about its own length (issue 18: unsorted batches of short sentences
        padded to one long sentence cost ~3x the CPU).
        """
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches = [
            order[at : at + self._batch_size] for at in range(0, len(order), self._batch_size)
        ]

        def pooled(rows: list[int]) -> Vectors:
            return self._pooled([encodings[i].ids for i in rows])

        pool = self._pool if len(batches) > 1 else None
        runs = pool.map(pooled, batches) if pool is not None else map(pooled, batches)
        for rows, vectors in zip(batches, runs, strict=True):
            out[rows] = vectors
        return out

    def embed_query(self, text: str) -> Vectors:
        """Embed one query."""
        vector: Vectors = self._run([text])[0]
        return vector

    def _run(self, texts: list[str]) -> Vectors:
        return self._pooled([e.ids for e in self._tokenizer.encode_batch(texts)])

    def _pooled(self, token_ids: list[list[int]]) -> Vectors:
        width = max(len(t) for t in token_ids)
        ids = np.full((len(token_ids), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        states = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        vectors: Vectors = (pooled / norms).astype(np.float32)
        return vectors


def _check_folder(folder: Path) -> int:
    """The model's max_seq_length; refuses folders this backend cannot reproduce."""
    try:
        modules = json.loads((folder / "modules.json").read_text())
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((folder / pooling_dir / "config.json").read_text())
        max_tokens = int(
            json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
        )
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise RetrievalError(
            f"{folder} is not a complete sentence-transformers model folder ({exc})"
        ) from exc
    kinds = [k for k, on in pooling.items() if k.startswith("pooling_mode") and on]
    normalised = any(m["type"].endswith("Normalize") for m in modules)
    if kinds != ["pooling_mode_mean_tokens"] or not normalised:
        raise RetrievalError(
            f"{folder}: the onnx backend does normalised mean pooling only (model has {kinds}); "
            "set embedding.backend = torch"
        )
    if not (folder / "tokenizer.json").is_file():
        raise RetrievalError(f"{folder} has no tokenizer.json; set embedding.backend = torch")
    return max_tokens


def _open(folder: Path, cache_dir: Path, quantized: bool) -> Any:
    """An inference session on the cached export; a corrupt cache file is rebuilt once."""

    def reset() -> None:  # the int8 file is built from the fp32 one, which may be the bad one
        cached_export(folder, cache_dir, quantized=False).unlink(missing_ok=True)

    return open_session(
        lambda: cached_export(folder, cache_dir, quantized),
        reset if quantized else None,
        threads=1 if quantized else 0,
    )


def _usable_cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
