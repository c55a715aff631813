"""Train the emotion head shipped in `escalation/data/emotion.npz`.

    python -m evals.train_emotion \\
        --train /work/shared/evaldata/goemotions/train.jsonl \\
        --dev /work/shared/evaldata/goemotions/dev.jsonl \\
        --out escalation/data/emotion.npz

Embeds the texts with the bundled all-MiniLM-L6-v2 (cached as .npy, keyed by the texts and the
model id), compares classifier heads by stratified k-fold cross-validation on the TRAIN split,
keeps the one with the best out-of-fold F1, takes its decision threshold from those out-of-fold
predictions, fits a small logistic over ``[logit(p), cue features]`` on the same out-of-fold
predictions, and writes everything with metadata into one small .npz. The dev split and the
support messages (`evals/datasets/escalation.jsonl`) are only scored, never trained or tuned on.

Needs scikit-learn and torch (training only; `escalation.emotion` runs on numpy alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from escalation.emotion import (
    CUE_FEATURES,
    EMBEDDING_MODEL_ID,
    FORMAT_VERSION,
    EmotionModel,
    cues,
)
from evals.errors import MissingExtra, require_extra

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TRAIN = Path("/work/shared/evaldata/goemotions/train.jsonl")
DEFAULT_DEV = Path("/work/shared/evaldata/goemotions/dev.jsonl")
DEFAULT_SUPPORT = ROOT / "evals" / "datasets" / "escalation.jsonl"
DEFAULT_OUT = ROOT / "escalation" / "data" / "emotion.npz"
DEFAULT_CACHE = Path("/tmp/supportbot-emotion-cache")

BATCH = 256
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Layers = list[tuple[F32, F32]]
# A candidate: fit(X, y, seed) -> layers of a feed-forward head (see escalation.emotion).
Fitter = Callable[[F32, npt.NDArray[np.int64], int], Layers]


def say(line: str = "") -> None:
    """Progress and results go to stdout (this is a script, not a library)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# Data and embeddings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Split:
    """Texts with binary labels (1 = escalate) and, for support rows, their reason."""

    name: str
    texts: list[str]
    labels: npt.NDArray[np.int64]
    reasons: list[str]


def load_split(path: Path, limit: int | None = None) -> Split:
    """Rows `{"text", "escalate", ...}` of a JSONL file (the first `limit` rows if given)."""
    texts: list[str] = []
    labels: list[int] = []
    reasons: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        texts.append(str(row["text"]))
        labels.append(1 if row["escalate"] else 0)
        reasons.append(str(row.get("reason", "")))
        if limit is not None and len(texts) >= limit:
            break
    if not texts:
        raise SystemExit(f"{path}: no rows")
    return Split(path.stem, texts, np.asarray(labels, dtype=np.int64), reasons)


class CachedEmbedder:
    """Embeds lists of texts once; later runs read `<cache>/<stem>-<n>-<hash>.npy`."""

    def __init__(self, cache_dir: Path) -> None:
        """Nothing is loaded until a text misses the cache."""
        self._cache_dir = cache_dir
        self._embedder: Any = None

    def _model(self) -> Any:
        if self._embedder is None:
            from retrieval.config import EmbeddingConfig
            from retrieval.factory import build_embedder

            self._embedder = build_embedder(EmbeddingConfig())
            if self._embedder.model_id != EMBEDDING_MODEL_ID:
                raise SystemExit(
                    f"the bundled embedder is {self._embedder.model_id}, expected "
                    f"{EMBEDDING_MODEL_ID}"
                )
        return self._embedder

    def embed(self, path: Path, texts: Sequence[str]) -> F32:
        """L2-normalised vectors of `texts`, from the cache when possible."""
        digest = hashlib.sha256(
            (EMBEDDING_MODEL_ID + "\x00" + "\x00".join(texts)).encode("utf-8")
        ).hexdigest()[:16]
        target = self._cache_dir / f"{path.parent.name}-{path.stem}-{len(texts)}-{digest}.npy"
        if target.is_file():
            cached = np.load(target, allow_pickle=False)
            if cached.shape == (len(texts), 384):
                return np.asarray(cached, dtype=np.float32)
        say(f"embedding {len(texts)} texts of {path} (cached to {target}) ...")
        started = time.perf_counter()
        vectors = np.asarray(self._model().embed_documents(list(texts)), dtype=np.float32)
        say(f"  {len(texts) / (time.perf_counter() - started):.0f} texts/s")
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(target, vectors)
        return vectors


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


def score(labels: npt.NDArray[np.int64], predicted: npt.NDArray[np.bool_]) -> Scores:
    """Precision, recall and F1 of boolean predictions."""
    tp = int(np.sum(predicted & (labels == 1)))
    fp = int(np.sum(predicted & (labels == 0)))
    fn = int(np.sum(~predicted & (labels == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, len(labels), int(np.sum(labels == 1)))


def best_threshold(
    labels: npt.NDArray[np.int64], probs: F64, forced: npt.NDArray[np.bool_] | None = None
) -> tuple[float, float]:
    """The cut in (0, 1) with the best F1 (rows in `forced` count as positive anyway)."""
    forced_mask = np.zeros(len(labels), dtype=bool) if forced is None else forced
    best = (0.5, -1.0)
    for cut in np.round(np.arange(0.05, 0.951, 0.005), 3):
        f1 = score(labels, (probs >= cut) | forced_mask).f1
        if f1 > best[1]:
            best = (float(cut), f1)
    return best


def forward(layers: Layers, x: F32) -> F64:
    """Probabilities of a feed-forward head (ReLU between layers) for rows of `x`."""
    hidden = x
    for i, (weight, bias) in enumerate(layers):
        hidden = hidden @ weight + bias
        if i < len(layers) - 1:
            hidden = np.maximum(hidden, 0.0)
    z = hidden[:, 0].astype(np.float64)
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def logit(p: F64) -> F64:
    """Inverse sigmoid, clipped like the runtime's."""
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Candidate heads
# --------------------------------------------------------------------------------------------


def fit_logreg(c: float) -> Fitter:
    """Class-balanced logistic regression (scikit-learn)."""

    def fit(x: F32, y: npt.NDArray[np.int64], seed: int) -> Layers:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        model.fit(x, y)
        weight = np.asarray(model.coef_, dtype=np.float32).T
        bias = np.asarray(model.intercept_, dtype=np.float32)
        return [(weight, bias)]

    return fit


def fit_sklearn_mlp(hidden: int, alpha: float) -> Fitter:
    """scikit-learn MLPClassifier 384 -> hidden -> 1 (ReLU, Adam, early stopping)."""

    def fit(x: F32, y: npt.NDArray[np.int64], seed: int) -> Layers:
        from sklearn.neural_network import MLPClassifier
        from threadpoolctl import threadpool_limits

        model = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            alpha=alpha,
            early_stopping=True,
            random_state=seed,
            max_iter=200,
        )
        with threadpool_limits(1):
            model.fit(x, y)
        return [
            (np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32))
            for w, b in zip(model.coefs_, model.intercepts_, strict=True)
        ]

    return fit


def fit_torch_mlp(
    hidden: int, *, members: int = 1, epochs: int = 12, dropout: float = 0.3, decay: float = 1e-3
) -> Fitter:
    """An MLP 384 -> hidden -> 1 trained with a positive-class weight and dropout (torch).

    With `members` > 1, several seeds are trained and merged into one wider layer whose output
    is the mean of their logits (an ensemble that the runtime evaluates as a single MLP).
    """

    def fit(x: F32, y: npt.NDArray[np.int64], seed: int) -> Layers:
        import torch

        # One thread: on a shared 2-core box, more threads made each step ~8x slower.
        torch.set_num_threads(1)
        xs = torch.from_numpy(np.ascontiguousarray(x))
        ys = torch.from_numpy(y.astype(np.float32))
        pos_weight = torch.tensor((len(y) - y.sum()) / max(int(y.sum()), 1))
        firsts: list[tuple[F32, F32]] = []
        seconds: list[tuple[F32, F32]] = []
        for member in range(members):
            generator = torch.Generator().manual_seed(seed * 1000 + member)
            torch.manual_seed(seed * 1000 + member)
            net = torch.nn.Sequential(
                torch.nn.Dropout(0.1),
                torch.nn.Linear(x.shape[1], hidden),
                torch.nn.ReLU(),
                torch.nn.Dropout(dropout),
                torch.nn.Linear(hidden, 1),
            )
            optimiser = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=decay)
            loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
            steps = epochs * ((len(y) + BATCH - 1) // BATCH)
            schedule = torch.optim.lr_scheduler.OneCycleLR(
                optimiser, max_lr=2e-3, total_steps=steps
            )
            net.train()
            for _ in range(epochs):
                order = torch.randperm(len(y), generator=generator)
                for start in range(0, len(y), BATCH):
                    batch = order[start : start + BATCH]
                    optimiser.zero_grad()
                    loss = loss_fn(net(xs[batch]).squeeze(1), ys[batch])
                    loss.backward()
                    optimiser.step()
                    schedule.step()
            first, second = net[1], net[4]
            assert isinstance(first, torch.nn.Linear) and isinstance(second, torch.nn.Linear)
            firsts.append(
                (
                    first.weight.detach().numpy().T.astype(np.float32),
                    first.bias.detach().numpy().astype(np.float32),
                )
            )
            seconds.append(
                (
                    (second.weight.detach().numpy().T / members).astype(np.float32),
                    (second.bias.detach().numpy() / members).astype(np.float32),
                )
            )
        w1 = np.concatenate([w for w, _ in firsts], axis=1)
        b1 = np.concatenate([b for _, b in firsts])
        w2 = np.concatenate([w for w, _ in seconds], axis=0)
        b2 = np.sum([b for _, b in seconds], axis=0).astype(np.float32)
        return [(w1, b1), (w2, b2)]

    return fit


CANDIDATES: dict[str, Fitter] = {
    "logreg-C0.5": fit_logreg(0.5),
    "logreg-C2": fit_logreg(2.0),
    "sk-mlp64": fit_sklearn_mlp(64, 1e-3),
    "sk-mlp64-a1e-2": fit_sklearn_mlp(64, 1e-2),
    "torch-mlp64": fit_torch_mlp(64),
    "torch-mlp256": fit_torch_mlp(256, epochs=20, dropout=0.5),
    "torch-mlp128x3": fit_torch_mlp(128, members=3, epochs=20, dropout=0.5),
}
DEFAULT_CANDIDATES = ("logreg-C2", "sk-mlp64", "torch-mlp64", "torch-mlp256")


def out_of_fold(fitter: Fitter, x: F32, y: npt.NDArray[np.int64], folds: int, seed: int) -> F64:
    """Out-of-fold probabilities from stratified k-fold cross-validation."""
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(len(y), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (fit_idx, held_idx) in enumerate(splitter.split(x, y)):
        layers = fitter(x[fit_idx], y[fit_idx], seed + fold)
        oof[held_idx] = forward(layers, x[held_idx])
    return oof


# --------------------------------------------------------------------------------------------
# Cue combiner
# --------------------------------------------------------------------------------------------


def cue_matrix(texts: Sequence[str]) -> tuple[F64, F64, npt.NDArray[np.bool_]]:
    """Cue features (rows in `CUE_FEATURES` order), intensity and strong-cue flags."""
    found = [cues(t) for t in texts]
    return (
        np.asarray([c.features() for c in found], dtype=np.float64),
        np.asarray([c.intensity for c in found], dtype=np.float64),
        np.asarray([c.strong for c in found], dtype=bool),
    )


def fit_combiner(oof: F64, features: F64, y: npt.NDArray[np.int64]) -> tuple[F32, float]:
    """Logistic over [logit(p), cues] on out-of-fold probabilities; weights then bias."""
    from sklearn.linear_model import LogisticRegression

    design = np.column_stack([logit(oof), features])
    model = LogisticRegression(C=1.0, max_iter=3000)
    model.fit(design, y)
    return np.asarray(model.coef_[0], dtype=np.float32), float(model.intercept_[0])


def combined(
    weights: F32, bias: float, probs: F64, features: F64, intensity: F64, boost: float
) -> F64:
    """The combiner's score (before the strong-cue floor), as `EmotionModel.combine`."""
    z = bias + np.column_stack([logit(probs), features]) @ weights.astype(np.float64)
    z = z + boost * intensity
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m evals.train_emotion",
        description="Train the emotion head (GoEmotions, all-MiniLM-L6-v2 vectors) and write "
        "its weights; prints cross-validated train F1 and dev precision/recall/F1.",
    )
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN, help="GoEmotions train")
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="GoEmotions dev (scored)")
    parser.add_argument(
        "--support",
        type=Path,
        default=DEFAULT_SUPPORT,
        help="labelled support messages, scored only (never trained on); '' to skip",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="weights file (.npz)")
    parser.add_argument("--limit", type=int, default=None, help="use the first N rows of each")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="embedding cache")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--intensity-boost",
        type=float,
        default=1.0,
        help="logits added for shouting or '!!!'/'???' (a support-chat prior; Reddit cannot "
        "teach it)",
    )
    parser.add_argument(
        "--candidates",
        default=",".join(DEFAULT_CANDIDATES),
        help=f"comma-separated heads to compare, or 'all' (from: {', '.join(CANDIDATES)})",
    )
    return parser.parse_args(argv)


def report(
    title: str,
    split: Split,
    model: EmotionModel,
    vectors: F32,
    keep: npt.NDArray[np.bool_] | None = None,
) -> None:
    """Precision/recall/F1 of the model alone and of model + cues on (part of) a split."""
    mask = np.ones(len(split.texts), dtype=bool) if keep is None else keep
    labels = split.labels[mask]
    texts = [t for t, k in zip(split.texts, mask, strict=True) if k]
    vecs = vectors[mask]
    probs = np.asarray([model.probability(v) for v in vecs])
    scores = np.asarray([model.emotion_score(t, v) for t, v in zip(texts, vecs, strict=True)])
    say(f"{title}")
    say(f"  model alone   {score(labels, probs >= model.model_threshold).line()}")
    say(f"  model + cues  {score(labels, scores >= model.threshold).line()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Train, pick, save, report."""
    args = parse_args(argv)
    try:
        require_extra("sklearn", "train", "training the emotion model")
    except MissingExtra as exc:
        raise SystemExit(f"error: {exc}") from None
    names = (
        list(CANDIDATES)
        if args.candidates == "all"
        else [n.strip() for n in args.candidates.split(",") if n.strip()]
    )
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown or not names:
        raise SystemExit(f"unknown candidates {unknown}; choose from {list(CANDIDATES)}")

    embedder = CachedEmbedder(args.cache_dir)
    train = load_split(args.train, args.limit)
    dev = load_split(args.dev, args.limit)
    x_train = embedder.embed(args.train, train.texts)
    x_dev = embedder.embed(args.dev, dev.texts)
    y = train.labels
    say(f"train {len(y)} rows ({int(y.sum())} escalate), dev {len(dev.labels)} rows")

    results: dict[str, tuple[float, float, F64]] = {}
    for name in names:
        started = time.perf_counter()
        oof = out_of_fold(CANDIDATES[name], x_train, y, args.folds, args.seed)
        cut, f1 = best_threshold(y, oof)
        results[name] = (cut, f1, oof)
        say(
            f"cv {name:<16} F1 {f1:.4f} at threshold {cut:.3f}  "
            f"({time.perf_counter() - started:.0f}s)"
        )
    best = max(names, key=lambda n: results[n][1])
    model_threshold, cv_f1, oof = results[best]
    say(f"best head: {best} (cv F1 {cv_f1:.4f}, threshold {model_threshold:.3f})")

    # The combiner is fitted on the out-of-fold probabilities, so it sees the head's honest
    # errors; its threshold comes from a second cross-validation over those same rows.
    features, intensity, strong = cue_matrix(train.texts)
    from sklearn.model_selection import StratifiedKFold

    comb_oof = np.zeros(len(y), dtype=np.float64)
    for fit_idx, held_idx in StratifiedKFold(
        n_splits=args.folds, shuffle=True, random_state=args.seed + 1
    ).split(features, y):
        w, b = fit_combiner(oof[fit_idx], features[fit_idx], y[fit_idx])
        comb_oof[held_idx] = combined(
            w, b, oof[held_idx], features[held_idx], intensity[held_idx], args.intensity_boost
        )
    threshold, comb_f1 = best_threshold(y, comb_oof, strong)
    weights, bias = fit_combiner(oof, features, y)
    say(
        f"cv head + cues F1 {comb_f1:.4f} at threshold {threshold:.3f}; combiner "
        + ", ".join(
            f"{n} {w:+.2f}" for n, w in zip(("logit_p", *CUE_FEATURES), weights, strict=True)
        )
        + f", bias {bias:+.2f}; intensity boost {args.intensity_boost:+.2f} (set by hand)"
    )

    layers = CANDIDATES[best](x_train, y, args.seed)
    model = EmotionModel(
        layers,
        model_id=EMBEDDING_MODEL_ID,
        threshold=threshold,
        model_threshold=model_threshold,
        combiner_weights=weights,
        combiner_bias=bias,
        intensity_boost=args.intensity_boost,
    )
    probs_dev = forward(layers, x_dev)
    dev_alone = score(dev.labels, probs_dev >= model_threshold)
    dev_scores = np.asarray(
        [model.combine(p, cues(t)) for p, t in zip(probs_dev, dev.texts, strict=True)]
    )
    dev_combined = score(dev.labels, dev_scores >= threshold)

    meta = {
        "meta_head": best,
        "meta_trained_at": dt.date.today().isoformat(),
        "meta_train_data": f"{args.train.name} ({len(y)} rows, {int(y.sum())} escalate)",
        "meta_dev_data": f"{args.dev.name} ({len(dev.labels)} rows)",
        "meta_n_train": str(len(y)),
        "meta_n_dev": str(len(dev.labels)),
        "meta_cv_f1": f"{cv_f1:.4f}",
        "meta_cv_f1_with_cues": f"{comb_f1:.4f}",
        "meta_dev_model": dev_alone.line(),
        "meta_dev_model_cues": dev_combined.line(),
        "meta_licence": "GoEmotions, Google Research, CC BY 4.0",
    }
    arrays: dict[str, Any] = {
        "format_version": np.asarray(FORMAT_VERSION),
        "model_id": np.asarray(EMBEDDING_MODEL_ID),
        "n_layers": np.asarray(len(layers)),
        "threshold": np.asarray(threshold),
        "model_threshold": np.asarray(model_threshold),
        "cue_features": np.asarray(CUE_FEATURES),
        "combiner_weights": weights,
        "combiner_bias": np.asarray(bias),
        "intensity_boost": np.asarray(args.intensity_boost),
        **{key: np.asarray(value) for key, value in meta.items()},
    }
    for i, (layer_w, layer_b) in enumerate(layers):
        arrays[f"W{i}"] = layer_w.astype(np.float32)
        arrays[f"b{i}"] = layer_b.astype(np.float32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    loaded = EmotionModel.load(args.out, model_id=EMBEDDING_MODEL_ID)
    say(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")

    report(f"goemotions dev ({args.dev})", dev, loaded, x_dev)
    if str(args.support) and args.support.is_file():
        support = load_split(args.support)
        x_support = embedder.embed(args.support, support.texts)
        emotional = np.asarray([r in {"emotion", "none"} for r in support.reasons])
        report("support messages, reason in {emotion, none}", support, loaded, x_support, emotional)
        report("support messages, all rows", support, loaded, x_support)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
