"""Experiment (issue 16): a cross-encoder answer verifier from the bundled MiniLM. Not shipped.

    python -m evals.train_verifier --out /tmp/supportbot-verifier.npz

The verifier would read a question and a passage (or one sentence) together and give the
probability that the passage *answers* the question, not merely shares its topic. Here it is
the bundled all-MiniLM-L6-v2 with a low-rank adapter on its top layers and a linear head
(`evals/adapter_tuning.py`), trained, all seeded, on public data only:

- the answerability sets in `shared/evaldata/answerability/` (doc2dial support pages, ClapNQ,
  SQuAD 2.0): passages that answer, and same-topic passages that do not; and at sentence
  level, the sentence holding the answer against another sentence of the same passage;
- InsuranceQA dev questions that the answer-level eval set (`answers_iqa`) does not use:
  their professional answers, against the answers the dense retriever ranks highest for them
  that are not theirs (hard negatives, the refusal case of the eval).

Rows are split by document (or question), so no document sits on both sides. Golden sets and
the LiveQA dev split are never trained on.

Measured on 2026-12-04 (top-2 layers, rank 8, one epoch, 13,912 pairs, ~10 min on 2 cores):
hold-out AUC 0.66 (sentences 0.73-0.88, whole passages 0.45-0.75; SQuAD 2.0's adversarial
passages 0.51). Wired into the responder it did harm: reranking by it put a gold article first
for 41 of 160 golden questions (retrieval's own order: 96), its best probability told
answerable from answer-gone InsuranceQA questions at AUC 0.53, and choosing the leading
sentence with it moved 3 golden citations for 3x the answer latency. So nothing reads it at
run time; the script stays to retrain with more layers and epochs where compute allows
(`--layers 4 --epochs 3`), and `AdaptedMiniLM.pair_probabilities` checks the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evals.adapter_tuning import (
    ENCODER_LAYERS,
    F64,
    Tuner,
    add_recipe_arguments,
    best_threshold,
    frozen_hidden,
    load_encoder,
    recipe_from,
    say,
    score,
)
from evals.errors import MissingExtra, require_extra
from evals.metrics import roc_auc
from retrieval.backends.adapted_minilm import AdaptedMiniLM
from retrieval.backends.st_embedder import bundled_model_dir

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("/work/shared/evaldata")
DEFAULT_OUT = Path("/tmp/supportbot-verifier.npz")
RETRAIN_HINT = "retrain with: python -m evals.train_verifier"
DEFAULT_CACHE = Path("/tmp/supportbot-verifier-cache")
IQA_NEGATIVES = 4  # hard negatives per InsuranceQA question
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True, slots=True)
class Pair:
    """One training row: does `passage` answer `question`?"""

    question: str
    passage: str
    label: int
    group: str  # rows of one group stay on one side of the split
    source: str


def sentences(text: str) -> list[str]:
    """A passage's sentences (a plain regex splitter, like the datasets' own)."""
    return [s.strip() for s in _SENTENCE.split(text) if len(s.split()) >= 4]


def answerability_pairs(folder: Path, squad_rows: int, rng: random.Random) -> list[Pair]:
    """Passage-level rows of the three sets, and sentence-level rows where the answer
    sentence is known (it, against one other sentence of the same passage)."""
    out: list[Pair] = []
    for name, file in (("doc2dial", "dev.jsonl"), ("clapnq", "dev.jsonl"), ("squad2", "all.jsonl")):
        rows = [json.loads(x) for x in (folder / name / file).read_text().splitlines() if x]
        if name == "squad2":
            rng.shuffle(rows)
            rows = rows[:squad_rows]
        for row in rows:
            question = str(row["question"])
            users = [h[len("user: ") :] for h in row.get("history") or [] if h.startswith("user: ")]
            if users:  # doc2dial: many questions only make sense after the last one
                question = f"{users[-1]} {question}"
            group = f"{name}:{row['doc_id']}"
            label = int(bool(row["answerable"]))
            out.append(Pair(question, str(row["passage"]), label, group, name))
            answer = row.get("answer_sentence")
            if label and answer:
                out.append(Pair(question, str(answer), 1, group, f"{name}-sentence"))
                others = [s for s in sentences(str(row["passage"])) if s not in str(answer)]
                if others:
                    out.append(Pair(question, rng.choice(others), 0, group, f"{name}-sentence"))
    return out


def iqa_pairs(shared: Path, rng: random.Random) -> list[Pair]:
    """InsuranceQA dev questions not in the answer-level eval: gold answers, and the dense
    retriever's highest-ranked other answers as hard negatives."""
    from retrieval.backends.st_embedder import SentenceTransformerEmbedder

    held = {
        json.loads(x)["question"]
        for x in (shared / "answers_iqa" / "questions.jsonl").read_text().splitlines()
        if x
    }
    questions = [
        q
        for x in (shared / "insuranceqa" / "questions.jsonl").read_text().splitlines()
        if x and (q := json.loads(x))["question"] not in held
    ]
    docs = [json.loads(x) for x in (shared / "insuranceqa" / "docs.jsonl").read_text().splitlines()]
    text = {d["id"]: d["text"] for d in docs}
    ids = [d["id"] for d in docs]
    say(f"InsuranceQA: {len(questions)} questions not in answers_iqa; embedding {len(docs)} docs")
    embedder = SentenceTransformerEmbedder()
    doc_vectors = embedder.embed_documents([text[i] for i in ids])
    out: list[Pair] = []
    for q in questions:
        gold = set(q["gold_doc_ids"])
        ranked = np.argsort(-(doc_vectors @ embedder.embed_query(q["question"])))
        negatives = [ids[i] for i in ranked[:20] if ids[i] not in gold][:IQA_NEGATIVES]
        group = f"iqa:{q['id']}"
        out += [Pair(q["question"], text[g], 1, group, "insuranceqa") for g in sorted(gold)]
        out += [Pair(q["question"], text[n], 0, group, "insuranceqa") for n in negatives]
    rng.shuffle(out)
    return out


def split_by_group(
    rows: Sequence[Pair], fraction: float, seed: int
) -> tuple[list[Pair], list[Pair]]:
    """(fit, hold-out): whole groups go to the hold-out until it holds `fraction` of rows."""
    groups = sorted({r.group for r in rows})
    random.Random(seed).shuffle(groups)
    held_groups = set(groups[: int(round(len(groups) * fraction))])
    return (
        [r for r in rows if r.group not in held_groups],
        [r for r in rows if r.group in held_groups],
    )


def report(rows: Sequence[Pair], probs: F64, threshold: float) -> list[str]:
    """Per source: rows, AUC, accuracy at the threshold."""
    lines = []
    labels = np.asarray([r.label for r in rows], dtype=np.int64)
    for source in sorted({r.source for r in rows}) + ["all"]:
        mask = np.asarray([source in {"all", r.source} for r in rows])
        acc = float(np.mean((probs[mask] >= threshold) == (labels[mask] == 1)))
        area = roc_auc(list(labels[mask] == 1), list(probs[mask]))
        lines.append(f"  {source:<20} n={int(mask.sum()):>5}  AUC {area:.3f}  accuracy {acc:.3f}")
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m evals.train_verifier",
        description="Experiment: fine-tune an answer verifier (a low-rank adapter on the top "
        "layers of the bundled all-MiniLM-L6-v2 read as a cross-encoder, plus a head) and "
        "write a weights file; prints hold-out AUC and accuracy per source.",
    )
    parser.add_argument("--shared", type=Path, default=SHARED, help="the evaldata folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="weights file (.npz)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="hidden-state cache")
    parser.add_argument("--squad-rows", type=int, default=3000, help="SQuAD 2.0 rows used")
    parser.add_argument("--holdout", type=float, default=0.1, help="groups held out")
    add_recipe_arguments(parser, epochs=2, max_tokens=256, threads=2)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the pairs, cache, fine-tune, save, check the runtime reproduces it, report."""
    args = parse_args(argv)
    try:
        require_extra("torch", "train", "training the answer verifier")
    except MissingExtra as exc:
        raise SystemExit(f"error: {exc}") from None
    recipe_from(args, 1.0)  # checks the options before any work
    import torch

    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    rows = answerability_pairs(args.shared / "answerability", args.squad_rows, rng)
    rows += iqa_pairs(args.shared, rng)
    fit, held = split_by_group(rows, args.holdout, args.seed)
    fit_labels = np.asarray([r.label for r in fit], dtype=np.int64)
    held_labels = np.asarray([r.label for r in held], dtype=np.int64)
    say(
        f"pairs: fit {len(fit)} ({int(fit_labels.sum())} answer), hold-out {len(held)} "
        f"({int(held_labels.sum())})"
    )
    tokenizer, encoder = load_encoder()
    frozen = ENCODER_LAYERS - args.layers
    hidden = {
        name: frozen_hidden(
            [r.question for r in part],
            pairs=[r.passage for r in part],
            tokenizer=tokenizer,
            model=encoder,
            frozen=frozen,
            max_tokens=args.max_tokens,
            cache_dir=args.cache_dir,
            label=f"verifier-{name}",
        )
        for name, part in (("fit", fit), ("held", held))
    }
    positives = max(1, int(fit_labels.sum()))
    recipe = recipe_from(args, (len(fit_labels) - positives) / positives)
    say(f"fine-tuning: {recipe}")
    tuner = Tuner(encoder, recipe)
    started = time.perf_counter()
    tuner.fit(hidden["fit"], fit_labels, (hidden["held"], held_labels))
    say(f"trained in {time.perf_counter() - started:.0f}s")
    tuner.round_to_stored()
    p_held = tuner.predict(hidden["held"])
    threshold, f1 = best_threshold(held_labels, p_held)
    chosen = score(held_labels, p_held >= threshold)
    say(f"hold-out: F1 {f1:.4f} at {threshold:.3f}; {chosen.line()}")
    for line in report(held, p_held, threshold):
        say(line)
    meta: dict[str, Any] = {
        "meta_head": f"MiniLM-L6 cross-encoder, top-{args.layers} LoRA r{args.rank} + linear "
        f"head, {args.epochs} epochs",
        "meta_trained_at": dt.date.today().isoformat(),
        "meta_train_data": f"{len(fit)} pairs: doc2dial, ClapNQ, SQuAD 2.0 ({args.squad_rows} "
        "rows), InsuranceQA dev questions outside answers_iqa",
        "meta_holdout": "\n".join(report(held, p_held, threshold)),
        "meta_licence": "doc2dial CC BY 3.0; ClapNQ Apache-2.0 (NQ text CC BY-SA 3.0); "
        "SQuAD 2.0 CC BY-SA 4.0; InsuranceQA research use (Feng et al., ASRU 2015)",
    }
    arrays: dict[str, Any] = {
        "threshold": np.asarray(threshold),
        **tuner.arrays(args.max_tokens),
        **{key: np.asarray(value) for key, value in meta.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    say(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    runtime = AdaptedMiniLM.load(bundled_model_dir(), args.out, RETRAIN_HINT)
    sample = list(range(0, len(held), max(1, len(held) // 100)))
    got = np.asarray(
        runtime.pair_probabilities([(held[i].question, held[i].passage) for i in sample])
    )
    gap = float(np.max(np.abs(got - p_held[sample])))
    say(f"runtime vs training probabilities on {len(sample)} hold-out pairs: max gap {gap:.4f}")
    if gap > 0.02:
        raise SystemExit("the runtime verifier does not reproduce the trained model")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
