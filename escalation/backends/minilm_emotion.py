"""Emotion scorer: the bundled all-MiniLM-L6-v2 with our fine-tuned low-rank adapter and head.

The adapter (trained by `evals/train_emotion.py`, stored in `escalation/data/emotion.npz`)
adds ``B @ A`` to a few weight matrices of the top transformer layers. It is merged into a
private copy of the encoder once at load time, so scoring a message costs one plain forward
pass (a few milliseconds on a CPU for a chat-sized message).
"""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from escalation.emotion import DEFAULT_WEIGHTS, RETRAIN_HINT, EmotionModelError

__all__ = ["ADAPTER_TARGETS", "MiniLMEmotionScorer", "adapter_key"]

# Weight matrices of a BERT layer that carry an adapter (names inside `encoder.layer.<i>.`).
ADAPTER_TARGETS: tuple[str, ...] = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def adapter_key(part: str, layer: int, target: str) -> str:
    """The .npz key of one adapter factor (`part` is "A" or "B")."""
    return f"lora_{part}.{layer}.{target}"


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise EmotionModelError(f"emotion weights not found at {path}; {RETRAIN_HINT}")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: np.asarray(data[key]) for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise EmotionModelError(
            f"emotion weights at {path} are corrupt ({exc}); {RETRAIN_HINT}"
        ) from exc


class MiniLMEmotionScorer:
    """`EmotionScorer` backed by the fine-tuned encoder (torch + transformers, CPU)."""

    def __init__(self, arrays: Mapping[str, Any], encoder_dir: Path) -> None:
        """Merge `arrays` (the weights file) into the all-MiniLM-L6-v2 at `encoder_dir`."""
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            layers = [int(x) for x in np.asarray(arrays["adapter_layers"]).tolist()]
            self._max_tokens = int(np.asarray(arrays["max_tokens"]).item())
            head_w = np.asarray(arrays["head_W"], dtype=np.float32).reshape(-1)
            head_b = float(np.asarray(arrays["head_b"], dtype=np.float32).item())
            self._tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir), local_files_only=True)
            model = AutoModel.from_pretrained(str(encoder_dir), local_files_only=True)
            with torch.no_grad():
                for layer in layers:
                    for target in ADAPTER_TARGETS:
                        a = np.asarray(arrays[adapter_key("A", layer, target)], dtype=np.float32)
                        b = np.asarray(arrays[adapter_key("B", layer, target)], dtype=np.float32)
                        weight = model.get_parameter(f"encoder.layer.{layer}.{target}.weight")
                        weight += torch.from_numpy(b @ a)
        except (KeyError, ValueError, OSError, AttributeError) as exc:
            raise EmotionModelError(
                f"the emotion adapter does not fit the encoder at {encoder_dir} ({exc}); "
                f"{RETRAIN_HINT}"
            ) from exc
        if head_w.shape != (model.config.hidden_size,):
            raise EmotionModelError(
                f"emotion head of shape {head_w.shape} does not fit {encoder_dir}"
            )
        model.eval()
        self._torch = torch
        self._model = model
        self._head_w = torch.from_numpy(head_w)
        self._head_b = head_b
        # One forward at a time: torch's CPU kernels already use every core.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, encoder_dir: Path, path: Path | None = None) -> MiniLMEmotionScorer:
        """The encoder at `encoder_dir` with the adapter of the weights file (default: shipped).

        `encoder_dir` is the bundled all-MiniLM-L6-v2 folder the adapter was trained on.
        """
        return cls(_read(path or DEFAULT_WEIGHTS), encoder_dir)

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """Probability, per text, that the message is negatively charged."""
        if not texts:
            return []
        torch = self._torch
        batch = self._tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self._max_tokens,
            return_tensors="pt",
        )
        with self._lock, torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            logits = pooled @ self._head_w + self._head_b
            return [float(p) for p in torch.sigmoid(logits).tolist()]

    def probability(self, text: str) -> float:
        """Probability that one message is negatively charged."""
        return self.probabilities([text])[0]
