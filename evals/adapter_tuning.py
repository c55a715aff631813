"""Fine-tuning a low-rank adapter and a head on the bundled all-MiniLM-L6-v2, on 2 CPU cores.

Shared by the training scripts of the shipped small models (`evals/train_emotion.py`,
`evals/train_verifier.py`): the frozen bottom layers run once over every text (or question and
passage pair) and are cached, so training only pays for the top layers; the adapter is stored
as fp16 factors that `retrieval.backends.adapted_minilm.AdaptedMiniLM` merges at load time.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.backends.adapted_minilm import ADAPTER_TARGETS, adapter_key
from retrieval.backends.st_embedder import bundled_model_dir

ENCODER_LAYERS = 6  # all-MiniLM-L6-v2

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def say(line: str = "") -> None:
    """Progress and results go to stdout (this is a script, not a library)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def progress(label: str, done: int, total: int, started: float) -> None:
    """A one-line progress bar, redrawn in place on stderr."""
    width = 30
    filled = int(width * done / max(total, 1))
    elapsed = time.perf_counter() - started
    eta = elapsed / done * (total - done) if done else 0.0
    sys.stderr.write(
        f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
        f"{elapsed:.0f}s elapsed, ~{eta:.0f}s left "
    )
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------------------------
# Metrics and thresholds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and F1 of the positive class."""

    precision: float
    recall: float
    f1: float
    n: int
    positives: int

    def line(self) -> str:
        """One aligned row of a results table."""
        return (
            f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  "
            f"(n={self.n}, positives={self.positives})"
        )


def score(labels: I64, predicted: npt.NDArray[np.bool_]) -> Scores:
    """Precision, recall and F1 of boolean predictions."""
    tp = int(np.sum(predicted & (labels == 1)))
    fp = int(np.sum(predicted & (labels == 0)))
    fn = int(np.sum(~predicted & (labels == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, len(labels), int(np.sum(labels == 1)))


def best_threshold(
    labels: I64, probs: F64, forced: npt.NDArray[np.bool_] | None = None
) -> tuple[float, float]:
    """The cut in (0, 1) with the best F1 (rows in `forced` count as positive anyway)."""
    forced_mask = np.zeros(len(labels), dtype=bool) if forced is None else forced
    best = (0.5, -1.0)
    for cut in np.round(np.arange(0.05, 0.951, 0.005), 3):
        f1 = score(labels, (probs >= cut) | forced_mask).f1
        if f1 > best[1]:
            best = (float(cut), f1)
    return best


def logit(p: F64) -> F64:
    """Inverse sigmoid, clipped like the runtime's."""
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Frozen bottom layers, cached
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hidden:
    """Output of the frozen layers: all texts' token rows stacked, with per-text offsets."""

    rows: npt.NDArray[np.float16]
    offsets: I64  # text i owns rows[offsets[i]:offsets[i + 1]]

    def lengths(self) -> I64:
        """Tokens per text."""
        return np.diff(self.offsets)


def load_encoder() -> tuple[Any, Any]:
    """Tokenizer and transformers model of the bundled all-MiniLM-L6-v2 (offline)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from transformers import AutoModel, AutoTokenizer

    folder = str(bundled_model_dir())
    model = AutoModel.from_pretrained(folder, local_files_only=True)
    model.eval()
    return AutoTokenizer.from_pretrained(folder, local_files_only=True), model


def frozen_hidden(
    texts: Sequence[str],
    *,
    pairs: Sequence[str] | None = None,
    tokenizer: Any,
    model: Any,
    frozen: int,
    max_tokens: int,
    cache_dir: Path,
    label: str,
) -> Hidden:
    """Output of the first `frozen` layers for every text (or pair `texts[i]`, `pairs[i]`, read
    together with only the second truncated, as the runtime does), from the cache if there."""
    import torch

    digest = hashlib.sha256(
        f"{bundled_model_dir().name}\x00{frozen}\x00{max_tokens}\x00".encode()
        + "\x00".join(texts).encode("utf-8")
        + "\x01".join(pairs or ()).encode("utf-8")
    ).hexdigest()[:16]
    target = cache_dir / f"hidden-{label}-{len(texts)}-{digest}.npz"
    if target.is_file():
        with np.load(target, allow_pickle=False) as data:
            return Hidden(np.asarray(data["rows"]), np.asarray(data["offsets"], dtype=np.int64))
    tokens = tokenizer(
        list(texts),
        None if pairs is None else list(pairs),
        truncation=True if pairs is None else "only_second",
        max_length=max_tokens,
    )
    encoded, types = tokens["input_ids"], tokens["token_type_ids"]
    lengths = np.asarray([len(ids) for ids in encoded], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = np.zeros((int(offsets[-1]), model.config.hidden_size), dtype=np.float16)
    bottom = model.encoder.layer[:frozen]
    order = np.argsort(lengths, kind="stable")
    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(order), 128):
            batch = order[start : start + 128]
            width = int(lengths[batch].max())
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            kinds = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for j, i in enumerate(batch):
                ids[j, : lengths[i]] = torch.tensor(encoded[i])
                kinds[j, : lengths[i]] = torch.tensor(types[i])
                mask[j, : lengths[i]] = 1
            hidden = model.embeddings(input_ids=ids, token_type_ids=kinds)
            additive = (1.0 - mask[:, None, None, :].float()) * -1e4
            for layer in bottom:
                hidden = encoder_layer(layer_weights(layer), hidden, additive, {})
            out = hidden.numpy().astype(np.float16)
            for j, i in enumerate(batch):
                rows[offsets[i] : offsets[i + 1]] = out[j, : lengths[i]]
            progress(f"frozen layers {label}", min(start + 128, len(order)), len(order), started)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(target, rows=rows, offsets=offsets)
    return Hidden(rows, offsets)


# --------------------------------------------------------------------------------------------
# One BERT layer, written out so the adapter's place in it is explicit
# --------------------------------------------------------------------------------------------


def layer_weights(layer: Any) -> dict[str, Any]:
    """The tensors of a transformers BertLayer, by `ADAPTER_TARGETS`-style names."""
    weights: dict[str, Any] = {}
    for target in ADAPTER_TARGETS:
        module = layer.get_submodule(target)
        weights[target] = (module.weight.detach(), module.bias.detach())
    for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
        module = layer.get_submodule(norm)
        weights[norm] = (module.weight.detach(), module.bias.detach(), module.eps)
    weights["heads"] = layer.attention.self.num_attention_heads
    return weights


def encoder_layer(weights: dict[str, Any], hidden: Any, additive: Any, lora: dict[str, Any]) -> Any:
    """BERT post-norm layer; `lora[target]` = (A, B, scale) adds ``scale * B @ A`` there."""
    import torch
    import torch.nn.functional as fn

    def linear(target: str, x: Any) -> Any:
        weight, bias = weights[target]
        y = fn.linear(x, weight, bias)
        if target in lora:
            a, b, scale = lora[target]
            y = y + fn.linear(fn.linear(x, a), b) * scale
        return y

    def norm(name: str, x: Any) -> Any:
        weight, bias, eps = weights[name]
        return fn.layer_norm(x, (x.shape[-1],), weight, bias, eps)

    batch, width, size = hidden.shape
    heads = int(weights["heads"])

    def split(x: Any) -> Any:
        return x.view(batch, width, heads, size // heads).transpose(1, 2)

    q = split(linear("attention.self.query", hidden))
    k = split(linear("attention.self.key", hidden))
    v = split(linear("attention.self.value", hidden))
    attn = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size // heads) + additive, dim=-1)
    context = (attn @ v).transpose(1, 2).reshape(batch, width, size)
    hidden = norm("attention.output.LayerNorm", linear("attention.output.dense", context) + hidden)
    inner = fn.gelu(linear("intermediate.dense", hidden))
    return norm("output.LayerNorm", linear("output.dense", inner) + hidden)


# --------------------------------------------------------------------------------------------
# Fine-tuning
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipe:
    """Training hyper-parameters."""

    layers: int
    rank: int
    alpha: float
    epochs: int
    batch: int
    lr: float
    pos_weight: float
    dropout: float
    seed: int


def add_recipe_arguments(
    parser: argparse.ArgumentParser, *, epochs: int, max_tokens: int, threads: int
) -> None:
    """The fine-tuning options both training scripts take (their defaults differ)."""
    parser.add_argument("--layers", type=int, default=2, help="top layers to adapt (1-6)")
    parser.add_argument("--rank", type=int, default=8, help="adapter rank")
    parser.add_argument("--alpha", type=float, default=16.0, help="adapter scale numerator")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--dropout", type=float, default=0.1, help="dropout before the head")
    parser.add_argument("--max-tokens", type=int, default=max_tokens, help="truncate to this")
    parser.add_argument(
        "--threads",
        type=int,
        default=threads,
        help="torch CPU threads (1 is fastest on a busy box)",
    )
    parser.add_argument("--seed", type=int, default=13)


def recipe_from(args: argparse.Namespace, pos_weight: float) -> Recipe:
    """The recipe of `add_recipe_arguments`' options; exits when --layers is out of range."""
    if not 1 <= args.layers <= ENCODER_LAYERS:
        raise SystemExit(f"--layers must be between 1 and {ENCODER_LAYERS}")
    return Recipe(
        args.layers,
        args.rank,
        args.alpha,
        args.epochs,
        args.batch,
        args.lr,
        pos_weight,
        args.dropout,
        args.seed,
    )


class Tuner:
    """The top layers with their adapters, and the head; trained on cached hidden states."""

    def __init__(self, model: Any, recipe: Recipe) -> None:
        """Adapters start at zero (B = 0), so training starts from the pretrained encoder."""
        import torch

        torch.manual_seed(recipe.seed)
        self.recipe = recipe
        self.layer_ids = list(range(ENCODER_LAYERS - recipe.layers, ENCODER_LAYERS))
        self.weights = [layer_weights(model.encoder.layer[i]) for i in self.layer_ids]
        self.scale = recipe.alpha / recipe.rank
        self.lora: list[dict[str, Any]] = []
        params: list[Any] = []
        for weights in self.weights:
            adapters: dict[str, Any] = {}
            for target in ADAPTER_TARGETS:
                out_dim, in_dim = weights[target][0].shape
                a = torch.nn.Parameter(torch.randn(recipe.rank, in_dim) / math.sqrt(in_dim))
                b = torch.nn.Parameter(torch.zeros(out_dim, recipe.rank))
                adapters[target] = (a, b, self.scale)
                params += [a, b]
            self.lora.append(adapters)
        size = model.config.hidden_size
        self.head_w = torch.nn.Parameter(torch.zeros(size))
        self.head_b = torch.nn.Parameter(torch.zeros(()))
        self.params = [*params, self.head_w, self.head_b]

    def logits(self, hidden: Any, mask: Any, *, train: bool) -> Any:
        """Head logits for a padded batch of frozen-layer outputs."""
        import torch.nn.functional as fn

        additive = (1.0 - mask[:, None, None, :]) * -1e4
        for weights, adapters in zip(self.weights, self.lora, strict=True):
            hidden = encoder_layer(weights, hidden, additive, adapters)
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        pooled = fn.dropout(pooled, self.recipe.dropout, training=train)
        return pooled @ self.head_w + self.head_b

    def fit(self, data: Hidden, labels: I64, watch: tuple[Hidden, I64] | None = None) -> None:
        """AdamW with linear warm-up and decay over length-bucketed, shuffled batches."""
        import torch

        recipe = self.recipe
        rng = np.random.default_rng(recipe.seed)
        optimiser = torch.optim.AdamW(self.params, lr=recipe.lr, weight_decay=0.01)
        per_epoch = (len(labels) + recipe.batch - 1) // recipe.batch
        total = per_epoch * recipe.epochs
        warmup = max(1, total // 20)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser,
            lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup))),
        )
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(recipe.pos_weight))
        ys = torch.from_numpy(labels.astype(np.float32))
        step = 0
        started = time.perf_counter()
        for epoch in range(recipe.epochs):
            for batch in bucketed(data.lengths(), recipe.batch, rng):
                hidden, mask = padded(data, batch)
                optimiser.zero_grad()
                loss = loss_fn(self.logits(hidden, mask, train=True), ys[batch])
                loss.backward()
                optimiser.step()
                schedule.step()
                step += 1
                if step % 20 == 0 or step == total:
                    progress(f"epoch {epoch + 1}/{recipe.epochs}", step, total, started)
            if watch is not None:
                probs = self.predict(watch[0])
                cut, f1 = best_threshold(watch[1], probs)
                say(f"  after epoch {epoch + 1}: hold-out F1 {f1:.4f} at {cut:.3f}")

    def predict(self, data: Hidden) -> F64:
        """Probabilities for every text of `data` (input order)."""
        import torch

        out = np.zeros(len(data.offsets) - 1, dtype=np.float64)
        order = np.argsort(data.lengths(), kind="stable")
        with torch.inference_mode():
            for start in range(0, len(order), 256):
                batch = order[start : start + 256]
                hidden, mask = padded(data, batch)
                out[batch] = torch.sigmoid(self.logits(hidden, mask, train=False)).numpy()
        return out

    def arrays(self, max_tokens: int) -> dict[str, Any]:
        """The adapter and head as .npz arrays (scale folded into B, factors in fp16)."""
        arrays: dict[str, Any] = {
            "adapter_layers": np.asarray(self.layer_ids, dtype=np.int64),
            "max_tokens": np.asarray(max_tokens),
            "head_W": self.head_w.detach().numpy().astype(np.float32),
            "head_b": np.asarray(float(self.head_b.detach()), dtype=np.float32),
        }
        for layer, adapters in zip(self.layer_ids, self.lora, strict=True):
            for target, (a, b, scale) in adapters.items():
                arrays[adapter_key("A", layer, target)] = a.detach().numpy().astype(np.float16)
                arrays[adapter_key("B", layer, target)] = (b.detach().numpy() * scale).astype(
                    np.float16
                )
        return arrays

    def round_to_stored(self) -> None:
        """Make the live adapter equal to what `arrays` stores (fp16), for honest figures."""
        import torch

        with torch.no_grad():
            for adapters in self.lora:
                for a, b, _ in adapters.values():
                    a.copy_(a.half().float())
                    b.copy_((b * self.scale).half().float() / self.scale)


def bucketed(lengths: I64, size: int, rng: np.random.Generator) -> list[I64]:
    """Batches of similar length (less padding), in a shuffled order."""
    order = np.argsort(lengths + rng.random(len(lengths)), kind="stable")
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def padded(data: Hidden, batch: I64) -> tuple[Any, Any]:
    """A float32 padded batch of hidden states and its 0/1 mask."""
    import torch

    lengths = data.lengths()[batch]
    width = int(lengths.max())
    hidden = np.zeros((len(batch), width, data.rows.shape[1]), dtype=np.float32)
    mask = np.zeros((len(batch), width), dtype=np.float32)
    for j, i in enumerate(batch):
        hidden[j, : lengths[j]] = data.rows[data.offsets[i] : data.offsets[i + 1]]
        mask[j, : lengths[j]] = 1.0
    return torch.from_numpy(hidden), torch.from_numpy(mask)
