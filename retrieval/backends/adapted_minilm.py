"""The bundled all-MiniLM-L6-v2 with one of our fine-tuned low-rank adapters and a linear head.

Our small shipped models (the answer verifier, the emotion scorer) are each a few hundred KB:
a low-rank adapter that adds ``B @ A`` to weight matrices of the top transformer layers, and a
linear head on the mean-pooled output, trained by `evals/adapter_tuning.py`. The adapter is
merged into a private copy of the encoder once, so scoring costs one plain forward pass. A
model scores single texts, or (question, passage) pairs read together as a cross-encoder does.

Two engines, the same numbers: with a cache folder, ONNX Runtime runs an export of the merged
encoder (made once, cached beside the embedder's; no torch at run time once it exists);
without one, torch runs it.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.backends.onnx_export import cached_model_export, open_session
from retrieval.errors import ModelFileError

__all__ = ["ADAPTER_TARGETS", "AdaptedMiniLM", "adapter_key", "read_weights"]

# Weight matrices of a BERT layer that carry an adapter (names inside `encoder.layer.<i>.`).
ADAPTER_TARGETS: tuple[str, ...] = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
BATCH = 32  # texts per forward pass


def adapter_key(part: str, layer: int, target: str) -> str:
    """The .npz key of one adapter factor (`part` is "A" or "B")."""
    return f"lora_{part}.{layer}.{target}"


def read_weights(path: Path, hint: str) -> dict[str, Any]:
    """Every array of a weights file; `hint` (how to rebuild it) ends each error message."""
    if not path.is_file():
        raise ModelFileError(f"model weights not found at {path}; {hint}")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: np.asarray(data[key]) for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"model weights at {path} are corrupt ({exc}); {hint}") from exc


def _adapter_digest(arrays: Mapping[str, Any]) -> str:
    """First 16 hex digits of sha256 over the adapter factors (names the ONNX export)."""
    digest = hashlib.sha256()
    for key in sorted(k for k in arrays if k.startswith("lora_") or k == "adapter_layers"):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()[:16]


def _merged_encoder(arrays: Mapping[str, Any], encoder_dir: Path) -> Any:
    """The transformers encoder at `encoder_dir` with the adapter added to its weights."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = AutoModel.from_pretrained(str(encoder_dir), local_files_only=True)
    with torch.no_grad():
        for layer in [int(x) for x in np.asarray(arrays["adapter_layers"]).tolist()]:
            for target in ADAPTER_TARGETS:
                a = np.asarray(arrays[adapter_key("A", layer, target)], dtype=np.float32)
                b = np.asarray(arrays[adapter_key("B", layer, target)], dtype=np.float32)
                weight = model.get_parameter(f"encoder.layer.{layer}.{target}.weight")
                weight += torch.from_numpy(b @ a)
    return model.eval()


def _cached_export(arrays: Mapping[str, Any], encoder_dir: Path, cache_dir: Path) -> Path:
    """The ONNX export of the merged encoder in `cache_dir`, traced now if missing."""
    return cached_model_export(
        encoder_dir,
        cache_dir,
        "adapted-minilm",
        _adapter_digest(arrays),
        lambda: _merged_encoder(arrays, encoder_dir),
    )


class AdaptedMiniLM:
    """Probabilities from the encoder with a merged adapter and a linear head (CPU)."""

    def __init__(
        self,
        arrays: Mapping[str, Any],
        encoder_dir: Path,
        hint: str,
        cache_dir: Path | None = None,
    ) -> None:
        """Merge `arrays` (a weights file) into the all-MiniLM-L6-v2 at `encoder_dir`; run it
        on ONNX Runtime with its export cached in `cache_dir`, or on torch without one."""
        from tokenizers import Tokenizer

        try:
            self._max_tokens = int(np.asarray(arrays["max_tokens"]).item())
            self._head_w = np.asarray(arrays["head_W"], dtype=np.float32).reshape(-1)
            self._head_b = float(np.asarray(arrays["head_b"], dtype=np.float32).item())
            singles = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
            pairs = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
            if cache_dir is None:
                self._torch_model = _merged_encoder(arrays, encoder_dir)
                size = int(self._torch_model.config.hidden_size)
            else:
                self._session = open_session(lambda: _cached_export(arrays, encoder_dir, cache_dir))
                size = int(self._session.get_outputs()[0].shape[-1])
        except (KeyError, ValueError, OSError, AttributeError, TypeError) as exc:
            raise ModelFileError(
                f"the adapter does not fit the encoder at {encoder_dir} ({exc}); {hint}"
            ) from exc
        if self._head_w.shape != (size,):
            raise ModelFileError(f"a head of shape {self._head_w.shape} does not fit {encoder_dir}")
        singles.enable_truncation(max_length=self._max_tokens)
        pairs.enable_truncation(max_length=self._max_tokens, strategy="only_second")
        for tokenizer in (singles, pairs):
            tokenizer.no_padding()
        self._singles, self._pairs = singles, pairs
        self._pad_id = singles.token_to_id("[PAD]") or 0
        self._on_onnx = cache_dir is not None
        # One forward at a time: the CPU kernels already use every core.
        self._lock = threading.Lock()

    @classmethod
    def export(cls, encoder_dir: Path, path: Path, hint: str, cache_dir: Path) -> Path:
        """The ONNX export of the weights file at `path` merged into the encoder, made in
        `cache_dir` now unless it is there (nothing is loaded to run)."""
        return _cached_export(read_weights(path, hint), encoder_dir, cache_dir)

    @classmethod
    def load(
        cls, encoder_dir: Path, path: Path, hint: str, cache_dir: Path | None = None
    ) -> AdaptedMiniLM:
        """The encoder at `encoder_dir` (the bundled all-MiniLM-L6-v2 the adapter was trained
        on) with the adapter and head of the weights file at `path`."""
        return cls(read_weights(path, hint), encoder_dir, hint, cache_dir)

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """The head's probability for each text."""
        return self._scores(list(texts))

    def probability(self, text: str) -> float:
        """The head's probability for one text."""
        return self._scores([text])[0]

    def pair_probabilities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """The head's probability for each (first, second) pair, read together; only the
        second text is truncated to fit."""
        return self._scores(list(pairs))

    def _scores(self, inputs: Sequence[str | tuple[str, str]]) -> list[float]:
        # Similar lengths share a batch (less padding); results go back in input order.
        order = sorted(range(len(inputs)), key=lambda i: len(str(inputs[i])))
        probs = np.zeros(len(inputs), dtype=np.float64)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            probs[rows] = self._batch([inputs[i] for i in rows])
        return [float(p) for p in probs]

    def _batch(self, inputs: list[str | tuple[str, str]]) -> Any:
        tokenizer = self._pairs if inputs and isinstance(inputs[0], tuple) else self._singles
        encodings = tokenizer.encode_batch(inputs)
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(inputs), width), self._pad_id, dtype=np.int64)
        kinds = np.zeros((len(inputs), width), dtype=np.int64)
        mask = np.zeros((len(inputs), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            kinds[row, : len(encoding.ids)] = encoding.type_ids
            mask[row, : len(encoding.ids)] = 1
        with self._lock:
            states = self._states(ids, kinds, mask)
        weights = mask[..., None].astype(np.float32)
        pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        logits = pooled @ self._head_w + self._head_b
        return 1.0 / (1.0 + np.exp(-logits))

    def _states(self, ids: Any, kinds: Any, mask: Any) -> Any:
        """Last-layer token states of a padded batch."""
        if self._on_onnx:
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": kinds}
            return self._session.run(None, feed)[0]
        import torch

        with torch.inference_mode():
            return (
                self._torch_model(
                    input_ids=torch.from_numpy(ids),
                    token_type_ids=torch.from_numpy(kinds),
                    attention_mask=torch.from_numpy(mask),
                )
                .last_hidden_state.float()
                .numpy()
            )
