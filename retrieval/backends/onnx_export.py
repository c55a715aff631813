"""Exports a sentence-transformers model folder to ONNX (optionally int8), once, into a cache.

The file name carries the model name, a hash of its weights and the variant, so a changed
model or backend never reuses a stale export. Files are written to a temporary name and
renamed into place: two workers starting at once both end with a whole file (issue 18).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval.errors import RetrievalError
from retrieval.files import move_into_place, temporary_beside

log = logging.getLogger(__name__)

_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def weights_digest(model_dir: Path) -> str:
    """First 16 hex digits of sha256 over the model's config and weights."""
    digest = hashlib.sha256()
    for name in ("config.json", *_WEIGHT_FILES):
        path = model_dir / name
        if path.is_file():
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def cached_export(model_dir: Path, cache_dir: Path, quantized: bool) -> Path:
    """Path of the model's ONNX export in `cache_dir`, exporting (and quantising) if missing."""
    if not any((model_dir / name).is_file() for name in _WEIGHT_FILES):
        raise RetrievalError(f"{model_dir} holds no model weights ({' or '.join(_WEIGHT_FILES)})")
    stem = f"{re.sub(r'[^A-Za-z0-9._-]', '_', model_dir.name)}-{weights_digest(model_dir)}"
    fp32 = cache_dir / f"{stem}-fp32.onnx"
    if not fp32.is_file():
        _write(fp32, lambda tmp: _export(model_dir, tmp), "exporting")
    if not quantized:
        return fp32
    int8 = cache_dir / f"{stem}-int8pc.onnx"
    if not int8.is_file():
        _write(int8, lambda tmp: _quantize(fp32, tmp), "quantising")
    return int8


def open_session(
    export: Callable[[], Path], reset: Callable[[], None] | None = None, *, threads: int = 0
) -> Any:
    """An ONNX Runtime session on the file `export()` finds in the cache or makes; a cached
    file that will not load is deleted (with whatever `reset` deletes: the files it was made
    from) and made again, once. `threads` per run (0: onnxruntime's choice, every core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # Idle threads sleep instead of spinning: with other work on the cores (the server's other
    # requests, other workers) spinning burnt CPU for nothing; measured with the machine busy,
    # 15% more passages per CPU-second and query p50 31 -> 20 ms (issue 18).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    path = export()
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        log.warning("the cached ONNX model %s is unreadable (%s); rebuilding it", path, exc)
        path.unlink(missing_ok=True)
        if reset is not None:
            reset()
        return ort.InferenceSession(str(export()), options, providers=["CPUExecutionProvider"])


def _write(target: Path, build: Callable[[Path], None], verb: str) -> None:
    """Build `target` through a temporary file in its folder, then rename it into place."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_beside(target, ".onnx")
    except OSError as exc:
        raise RetrievalError(
            f"cannot write the ONNX model cache in {target.parent} ({exc}); make the data "
            "folder (or embedding.cache_dir) writable, or set embedding.backend = torch"
        ) from exc
    log.info("%s a model to %s (once, a few seconds)", verb, target)
    started = time.perf_counter()
    try:
        build(tmp)
        move_into_place(tmp, target)
    except Exception as exc:
        raise RetrievalError(
            f"{verb} a model to {target} failed ({exc}); "
            "set embedding.backend = torch to run without ONNX"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    log.info("wrote %s in %.1f s", target.name, time.perf_counter() - started)


def cached_model_export(
    model_dir: Path, cache_dir: Path, name: str, digest: str, load: Callable[[], Any]
) -> Path:
    """Path of the ONNX export of a model derived from `model_dir` (one of our adapters merged
    into it: `name` and `digest` identify the adapter), tracing `load()` if it is missing.
    Its inputs include `token_type_ids`, for question and passage pairs."""
    stem = f"{name}-{weights_digest(model_dir)}-{digest}"
    target = cache_dir / f"{stem}-fp32.onnx"
    if not target.is_file():
        _write(target, lambda tmp: _trace(load(), tmp, token_types=True), "exporting")
    return target


def _export(model_dir: Path, target: Path) -> None:
    """Trace the sentence model at `model_dir` into `target`."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    _trace(AutoModel.from_pretrained(str(model_dir), local_files_only=True), target)


def _trace(model: Any, target: Path, *, token_types: bool = False) -> None:
    """Trace a transformers encoder (token states out; pooling stays in numpy) into `target`."""
    import torch

    model.eval()
    names = ["input_ids", "attention_mask", *(["token_type_ids"] if token_types else [])]

    class TokenStates(torch.nn.Module):
        """Keyword call of the model: its deprecation wrapper breaks positional tracing."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(  # type: ignore[no-any-return]
                **dict(zip(names, inputs, strict=True))
            ).last_hidden_state

    sample = torch.ones((1, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer chatter about python control flow
        torch.onnx.export(
            TokenStates(),
            tuple(sample for _ in names),
            str(target),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={**{n: axes for n in names}, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights (activations stay float), a scale per output
    channel and 7-bit weights.

    Per tensor (one scale per matrix) it lost 0.020 hybrid recall@5 on the insuranceqa dev set;
    per channel with the reduced range, which onnxruntime advises on CPUs without VNNI where
    8-bit products can saturate, recall@5 and MRR were the same or better on both dev sets
    (benchmarks/RESULTS.md, 2026-12-06).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # It writes `<source>-inferred.onnx` beside its input: give each worker its own input path.
    with tempfile.TemporaryDirectory(dir=target.parent) as private:
        link = Path(private) / source.name
        link.symlink_to(source.resolve())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.WARNING)  # a root-logger line per tensor, and advice
            try:
                quantize_dynamic(
                    str(link),
                    str(target),
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    reduce_range=True,
                )
            finally:
                logging.disable(logging.NOTSET)
