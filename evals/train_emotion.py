"""Fine-tune the emotion scorer shipped in `escalation/data/emotion.npz`.

    python -m evals.train_emotion \\
        --train /work/shared/evaldata/goemotions/train.jsonl \\
        --dev /work/shared/evaldata/goemotions/dev.jsonl \\
        --out escalation/data/emotion.npz

What it does, all seeded:

1. Splits GoEmotions train into a fitting part and a stratified hold-out (`--holdout`).
2. Runs the frozen bottom layers of the bundled all-MiniLM-L6-v2 once over every text and
   caches their output (fp16, `--cache-dir`), so training only pays for the top layers.
3. Fine-tunes the top `--layers` transformer layers through a low-rank adapter (LoRA, rank
   `--rank`) plus a linear head on the mean-pooled output, for `--epochs` epochs.
4. On the hold-out (never on dev): fits the cue combiner, a logistic over
   ``[logit(p), cue features]``, and picks the decision threshold. A cue is kept only if
   dropping it lowers dev F1 by at least `--min-gain` (dev is used for that ablation and for
   the reported curve, nothing else).
5. Writes adapter, head, combiner and metadata into one small .npz (no pickles), reloads it
   through the runtime scorer and checks that it reproduces the training-time probabilities.

Needs torch, transformers and scikit-learn (the runtime needs torch and transformers only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from escalation.emotion import CUE_FEATURES, FORMAT_VERSION, RETRAIN_HINT, EmotionModel, cues
from evals.adapter_tuning import (
    ENCODER_LAYERS,
    F64,
    I64,
    Tuner,
    add_recipe_arguments,
    best_threshold,
    frozen_hidden,
    load_encoder,
    logit,
    progress,
    recipe_from,
    say,
    score,
)
from evals.errors import MissingExtra, require_extra
from retrieval.backends.adapted_minilm import AdaptedMiniLM
from retrieval.backends.st_embedder import bundled_model_dir

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TRAIN = Path("/work/shared/evaldata/goemotions/train.jsonl")
DEFAULT_DEV = Path("/work/shared/evaldata/goemotions/dev.jsonl")
DEFAULT_SUPPORT = ROOT / "evals" / "datasets" / "escalation.jsonl"
DEFAULT_OUT = ROOT / "escalation" / "data" / "emotion.npz"
DEFAULT_CACHE = Path("/tmp/supportbot-emotion-cache")


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Split:
    """Texts with binary labels (1 = escalate) and, for support rows, their reason."""

    name: str
    texts: list[str]
    labels: I64
    reasons: list[str]

    def take(self, rows: I64, name: str) -> Split:
        """The rows at `rows`, as a new split."""
        return Split(
            name,
            [self.texts[i] for i in rows],
            self.labels[rows],
            [self.reasons[i] for i in rows],
        )


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


def stratified_holdout(labels: I64, fraction: float, seed: int) -> tuple[I64, I64]:
    """Row indices (fit, hold-out), the hold-out drawn per class."""
    rng = np.random.default_rng(seed)
    held: list[I64] = []
    for value in (0, 1):
        rows = np.flatnonzero(labels == value)
        rng.shuffle(rows)
        held.append(rows[: int(round(len(rows) * fraction))])
    mask = np.zeros(len(labels), dtype=bool)
    mask[np.concatenate(held)] = True
    return np.flatnonzero(~mask).astype(np.int64), np.flatnonzero(mask).astype(np.int64)


# --------------------------------------------------------------------------------------------
# Cue combiner
# --------------------------------------------------------------------------------------------


def cue_matrix(texts: Sequence[str]) -> tuple[F64, F64, npt.NDArray[np.bool_]]:
    """All cue features (columns in `CUE_FEATURES` order), intensity and strong-cue flags."""
    found = [cues(t) for t in texts]
    return (
        np.asarray([c.features() for c in found], dtype=np.float64),
        np.asarray([c.intensity for c in found], dtype=np.float64),
        np.asarray([c.strong for c in found], dtype=bool),
    )


@dataclass(frozen=True, slots=True)
class Combiner:
    """A fitted logistic over ``[logit(p), chosen cues]`` and its threshold."""

    names: tuple[str, ...]
    weights: F64
    bias: float
    threshold: float

    def scores(self, probs: F64, features: F64, intensity: F64, boost: float) -> F64:
        """As `EmotionModel.combine`, before the strong-cue floor."""
        columns = [CUE_FEATURES.index(n) for n in self.names]
        z = self.bias + np.column_stack([logit(probs), features[:, columns]]) @ self.weights
        return np.asarray(1.0 / (1.0 + np.exp(-(z + boost * intensity))), dtype=np.float64)


def fit_combiner(
    names: Sequence[str],
    probs: F64,
    features: F64,
    intensity: F64,
    strong: npt.NDArray[np.bool_],
    labels: I64,
    boost: float,
) -> Combiner:
    """Fit the logistic and pick its F1-best threshold, on the same (hold-out) rows."""
    from sklearn.linear_model import LogisticRegression

    columns = [CUE_FEATURES.index(n) for n in names]
    design = np.column_stack([logit(probs), features[:, columns]])
    model = LogisticRegression(C=1.0, max_iter=3000)
    model.fit(design, labels)
    fitted = Combiner(
        tuple(names), np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0]), 0.5
    )
    cut, _ = best_threshold(labels, fitted.scores(probs, features, intensity, boost), strong)
    return Combiner(fitted.names, fitted.weights, fitted.bias, cut)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m evals.train_emotion",
        description="Fine-tune the emotion scorer (a low-rank adapter on the top layers of the "
        "bundled all-MiniLM-L6-v2, plus a head) on GoEmotions and write escalation/data/"
        "emotion.npz; prints hold-out and dev precision/recall/F1.",
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
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="hidden-state cache")
    parser.add_argument("--holdout", type=float, default=0.1, help="train fraction held out")
    parser.add_argument("--pos-weight", type=float, default=2.0, help="weight of escalate rows")
    add_recipe_arguments(parser, epochs=3, max_tokens=64, threads=1)
    parser.add_argument(
        "--reuse-adapter",
        type=Path,
        default=None,
        help="skip fine-tuning: take adapter and head from this .npz and only refit the cue "
        "combiner and thresholds (same hold-out and dev)",
    )
    parser.add_argument(
        "--min-gain",
        type=float,
        default=0.002,
        help="keep a cue only if dropping it lowers dev F1 by at least this",
    )
    parser.add_argument(
        "--intensity-boost",
        type=float,
        default=1.0,
        help="logits added for shouting or '!!!'/'???' (a support-chat prior; Reddit cannot "
        "teach it)",
    )
    return parser.parse_args(argv)


def curve(title: str, labels: I64, probs: F64, forced: npt.NDArray[np.bool_], chosen: float) -> str:
    """Dev precision/recall/F1 at a few thresholds around the chosen one."""
    lines = [title]
    cuts = sorted({round(c, 3) for c in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, chosen)})
    for cut in cuts:
        mark = "  <- chosen" if cut == round(chosen, 3) else ""
        lines.append(f"  >= {cut:.3f}  {score(labels, (probs >= cut) | forced).line()}{mark}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Tuned:
    """A fine-tuned adapter and head (as .npz arrays), its recipe, and its probabilities."""

    adapter: dict[str, Any]
    head: str
    p_held: F64
    p_dev: F64


def fine_tune(args: argparse.Namespace, train: Split, held: Split, dev: Split) -> Tuned:
    """Cache the frozen layers, fine-tune; adapter arrays and hold-out and dev probabilities."""
    tokenizer, encoder = load_encoder()
    frozen = ENCODER_LAYERS - args.layers
    hidden = {
        split.name: frozen_hidden(
            split.texts,
            tokenizer=tokenizer,
            model=encoder,
            frozen=frozen,
            max_tokens=args.max_tokens,
            cache_dir=args.cache_dir,
            label=split.name,
        )
        for split in (train, held, dev)
    }
    recipe = recipe_from(args, args.pos_weight)
    say(f"fine-tuning: {recipe}")
    tuner = Tuner(encoder, recipe)
    started = time.perf_counter()
    tuner.fit(hidden[train.name], train.labels, (hidden[held.name], held.labels))
    say(f"trained in {time.perf_counter() - started:.0f}s")
    tuner.round_to_stored()
    p_held = tuner.predict(hidden[held.name])
    p_dev = tuner.predict(hidden[dev.name])
    head = f"MiniLM-L6 top-{args.layers} LoRA r{args.rank} + linear head, {args.epochs} epochs"
    return Tuned(tuner.arrays(args.max_tokens), head, p_held, p_dev)


def reuse_adapter(path: Path, held: Split, dev: Split) -> Tuned:
    """The adapter and head of an earlier run, scored on hold-out and dev by the runtime."""
    with np.load(path, allow_pickle=False) as data:
        adapter = {
            key: np.asarray(data[key])
            for key in data.files
            if key.startswith(("lora_", "head_")) or key in {"adapter_layers", "max_tokens"}
        }
        head = str(np.asarray(data["meta_head"]).item())
    scorer = AdaptedMiniLM.load(bundled_model_dir(), path, RETRAIN_HINT)

    def probabilities(split: Split) -> F64:
        out: list[float] = []
        started = time.perf_counter()
        for start in range(0, len(split.texts), 64):
            out += scorer.probabilities(split.texts[start : start + 64])
            progress(f"scoring {split.name}", len(out), len(split.texts), started)
        return np.asarray(out, dtype=np.float64)

    say(f"reusing the adapter and head of {path}")
    return Tuned(adapter, head, probabilities(held), probabilities(dev))


def main(argv: Sequence[str] | None = None) -> int:
    """Cache, fine-tune, fit the combiner, save, verify, report."""
    args = parse_args(argv)
    try:
        require_extra("sklearn", "train", "training the emotion model")
        require_extra("torch", "train", "training the emotion model")
    except MissingExtra as exc:
        raise SystemExit(f"error: {exc}") from None
    recipe_from(args, args.pos_weight)  # checks the options before any work
    import torch

    torch.set_num_threads(args.threads)
    full = load_split(args.train, args.limit)
    dev = load_split(args.dev, args.limit)
    fit_rows, held_rows = stratified_holdout(full.labels, args.holdout, args.seed)
    train, held = full.take(fit_rows, "train-fit"), full.take(held_rows, "train-holdout")
    say(
        f"train {len(train.labels)} rows ({int(train.labels.sum())} escalate), hold-out "
        f"{len(held.labels)} ({int(held.labels.sum())}), dev {len(dev.labels)} "
        f"({int(dev.labels.sum())})"
    )
    tuned = (
        fine_tune(args, train, held, dev)
        if args.reuse_adapter is None
        else reuse_adapter(args.reuse_adapter, held, dev)
    )
    p_held, p_dev = tuned.p_held, tuned.p_dev
    model_threshold, held_f1 = best_threshold(held.labels, p_held)
    say(f"model alone: hold-out F1 {held_f1:.4f} at {model_threshold:.3f}")

    # Cues: the combiner is fitted on the hold-out; dev only decides which cues earn a place.
    f_held, i_held, s_held = cue_matrix(held.texts)
    f_dev, i_dev, s_dev = cue_matrix(dev.texts)

    def dev_f1(names: Sequence[str]) -> float:
        comb = fit_combiner(
            names, p_held, f_held, i_held, s_held, held.labels, args.intensity_boost
        )
        dev_scores = comb.scores(p_dev, f_dev, i_dev, args.intensity_boost)
        return score(dev.labels, (dev_scores >= comb.threshold) | s_dev).f1

    kept = list(CUE_FEATURES)
    base = dev_f1(kept)
    say(f"all cues: dev F1 {base:.4f}")
    for name in CUE_FEATURES:
        without = [n for n in kept if n != name]
        f1 = dev_f1(without)
        verdict = "keep" if base - f1 >= args.min_gain else "drop"
        say(f"  without {name:<15} dev F1 {f1:.4f} ({f1 - base:+.4f}): {verdict}")
        if verdict == "drop":
            kept, base = without, f1
    combiner = fit_combiner(kept, p_held, f_held, i_held, s_held, held.labels, args.intensity_boost)
    say(
        f"kept cues: {', '.join(kept) or 'none'}; combiner "
        + ", ".join(
            f"{n} {w:+.2f}" for n, w in zip(("logit_p", *kept), combiner.weights, strict=True)
        )
        + f", bias {combiner.bias:+.2f}; threshold {combiner.threshold:.3f} (hold-out)"
    )
    dev_scores = np.maximum(
        combiner.scores(p_dev, f_dev, i_dev, args.intensity_boost),
        np.where(s_dev, combiner.threshold + (1 - combiner.threshold) / 2, 0.0),
    )
    no_force = np.zeros(len(dev.labels), dtype=bool)
    dev_alone = score(dev.labels, p_dev >= model_threshold)
    dev_combined = score(dev.labels, dev_scores >= combiner.threshold)
    say(curve("dev, model alone", dev.labels, p_dev, no_force, model_threshold))
    say(curve("dev, model + cues", dev.labels, dev_scores, no_force, combiner.threshold))

    meta = {
        "meta_head": tuned.head,
        "meta_trained_at": dt.date.today().isoformat(),
        "meta_train_data": (
            f"{args.train.name} ({len(train.labels)} rows fitted, {len(held.labels)} held out)"
        ),
        "meta_dev_data": f"{args.dev.name} ({len(dev.labels)} rows)",
        "meta_holdout_f1": f"{held_f1:.4f}",
        "meta_dev_model": dev_alone.line(),
        "meta_dev_model_cues": dev_combined.line(),
        "meta_licence": "GoEmotions, Google Research, CC BY 4.0",
    }
    arrays: dict[str, Any] = {
        "format_version": np.asarray(FORMAT_VERSION),
        "threshold": np.asarray(combiner.threshold),
        "model_threshold": np.asarray(model_threshold),
        "cue_features": np.asarray(kept, dtype=str),
        "combiner_weights": combiner.weights.astype(np.float32),
        "combiner_bias": np.asarray(combiner.bias),
        "intensity_boost": np.asarray(args.intensity_boost),
        **tuned.adapter,
        **{key: np.asarray(value) for key, value in meta.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    say(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")

    # The runtime must reproduce the training-time probabilities (same adapter, merged).
    scorer = AdaptedMiniLM.load(bundled_model_dir(), args.out, RETRAIN_HINT)
    sample = list(range(0, len(dev.texts), max(1, len(dev.texts) // 200)))
    runtime = np.asarray(scorer.probabilities([dev.texts[i] for i in sample]))
    gap = float(np.max(np.abs(runtime - p_dev[sample])))
    say(f"runtime vs training probabilities on {len(sample)} dev texts: max gap {gap:.4f}")
    if gap > 0.02:
        raise SystemExit("the runtime scorer does not reproduce the trained model")
    model = EmotionModel.load(args.out, scorer=scorer)
    if str(args.support) and args.support.is_file():
        support = load_split(args.support)
        support_scores = np.asarray([model.emotion_score(t) for t in support.texts])
        emotional = np.asarray([r in {"emotion", "none"} for r in support.reasons])
        say(
            "support messages, reason in {emotion, none}: "
            + score(support.labels[emotional], support_scores[emotional] >= model.threshold).line()
        )
        say(
            "support messages, all rows: "
            + score(support.labels, support_scores >= model.threshold).line()
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
