"""Experiment (issue 16): can a small model over the responder's cheap signals tell when to
refuse, and give a calibrated confidence? Measured; not shipped (figures below).

    python -m evals.train_answerability               # collect, fit, measure (~15 min, 2 cores)
    python -m evals.train_answerability --no-measure  # skip the judged sets' figures

What it does, all seeded and deterministic:

1. Collects rows by running the full responder (refusals off, so every question gets an
   answer) on questions that the judged sets do not use: the InsuranceQA dev questions left
   out of `answers_iqa`, and the LiveQA dev split. Each set runs twice over its bank, once
   with the gold answers of one half removed (with those of near-duplicate questions, token
   Jaccard >= 0.5, as `answers_iqa` was built) and once with the other half's: every
   question is seen answerable and answer-gone. A row is the responder's `signals` and
   whether its answer cited a right article.
2. Fits a logistic regression (numpy, Newton steps, small L2) on standardised signals, and
   picks the refusal threshold on out-of-fold probabilities (5 folds by question) where a
   wrong answer costs `--wrong-cost` refusals of a right one.
3. Measures (never trains on) the judged sets, `answers_iqa` and the golden set: AUC of each
   signal and of the model for answerable against answer-gone, and for a right answer.

Rows are cached in `--cache` (JSON) so refitting does not run the responder again; the model
(coefficients, scaling, threshold) goes to `--out`, outside the package.

Measured on 2026-12-05 (signals of `bot/answering/answer_signals.py`; AUC for answerable against
answer-gone / for an answer citing a right article, every question answered):

    signal               training (out of fold)   answers_iqa     golden (160+50)
    top_relevance            0.54 / 0.49          0.61 / 0.62     0.89 / 0.78
    top_cosine               0.57 / 0.49          0.64 / 0.77     0.89 / 0.78
    cosine_gap               0.59 / 0.61          0.57 / 0.71     0.66 / 0.71
    coverage                 0.50 / 0.44          0.56 / 0.56     0.86 / 0.74
    top_coverage             0.51 / 0.42          0.60 / 0.64     0.83 / 0.74
    confidence (today)       0.52 / 0.45          0.64 / 0.66     0.91 / 0.80
    model                    0.56 / 0.61          0.52 / 0.69     0.87 / 0.79

242 training rows (100 InsuranceQA and 23 LiveQA questions, each answerable once and gone
once; 46 right answers). At its chosen threshold (0.41) the model refuses 97 % of answers_iqa's
answerable questions and 75 % of the golden set's, so it was not wired in. Why it cannot work
on InsuranceQA: relevance saturates at 1 for 74-81 % of its questions (cosine above
`relevance_ceiling`), and when a question's gold answers are removed the best cosine does not
move for the median question (46 of 70 paired questions change by under 0.02): a sibling
answer is as close to the question as the gold one. Even fitted in-domain on answers_iqa
(5-fold, an upper bound that trains on the judged set) these signals reach AUC 0.62 for
answerable; no cosine threshold gives refusal precision 0.85 with recall above 0.08. On the
golden set today's confidence already separates best (0.91; in-domain logistic 0.92).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.answering.answer_signals import SIGNALS
from bot.settings import Settings
from evals.adapter_tuning import say
from evals.answers_eval import (
    AnswerCase,
    AnswerOutcome,
    ingest_sources,
    load_answer_cases,
    run_cases,
    throwaway_services,
)
from evals.cases import load_docs
from evals.metrics import citation_hit, expected_calibration_error, roc_auc
from evals.run_all import ANSWERABLE, DATASETS, KB_DIR, UNANSWERABLE
from retrieval.cached_embedder import CachedEmbedder
from retrieval.factory import build_embedder
from retrieval.interfaces import Embedder
from retrieval.types import Article

F64 = npt.NDArray[np.float64]
SHARED = Path("/work/shared/evaldata")
DEFAULT_CACHE = Path("/tmp/supportbot-answerability-rows.json")
DEFAULT_OUT = Path("/tmp/supportbot-answerability.json")
NEAR_DUPLICATE = 0.5  # token Jaccard at which two questions share their answers
FOLDS = 5
L2 = 1.0
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Row:
    """One question run through the responder with its bank as `answerable` says."""

    source: str
    id: str
    answerable: bool
    right: bool  # it answered and cited a gold article
    kind: str
    confidence: float
    signals: dict[str, float]


@dataclass(frozen=True, slots=True)
class AnswerabilityModel:
    """Standardised signals, a weight each, a bias; refuse under `threshold`."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, values: dict[str, float]) -> float:
        """P(an answer now cites a right article), in (0, 1)."""
        z = self.bias + sum(
            w * (values[name] - m) / s
            for name, m, s, w in zip(SIGNALS, self.mean, self.scale, self.weights, strict=True)
        )
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower()))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def gone_ids(cases: Sequence[AnswerCase], gone: Sequence[AnswerCase]) -> set[str]:
    """The gold documents of `gone` and of every case that nearly repeats one of them."""
    removed = {g for case in gone for g in case.gold_doc_ids}
    words = [_tokens(c.question) for c in gone]
    for case in cases:
        mine = _tokens(case.question)
        if any(_jaccard(mine, w) >= NEAR_DUPLICATE for w in words):
            removed |= set(case.gold_doc_ids)
    return removed


def rows_of(source: str, outcomes: Sequence[AnswerOutcome], bank: set[str]) -> list[Row]:
    """Rows of the outcomes that reached retrieval; a case is answerable when a gold
    document is in `bank` (empty `bank`: as the case says)."""
    rows = []
    for o in outcomes:
        if not o.signals:
            continue  # handed off before any search
        gold = o.case.gold_doc_ids
        answerable = bool(set(gold) & bank) if bank else o.case.answerable
        right = o.kind == "answer" and answerable and bool(citation_hit(o.cited, gold))
        rows.append(
            Row(source, o.case.id, answerable, right, o.kind, o.confidence or 0.0, o.signals)
        )
    return rows


def collect_halves(
    settings: Settings, embedder: Embedder, source: str, folder: Path, seed: int
) -> list[Row]:
    """Every case of `folder` (minus the judged `answers_iqa` ones) over its bank twice,
    each half's answers gone once."""
    judged = {c.id for c in load_answer_cases(SHARED / "answers_iqa" / "questions.jsonl")}
    cases = [c for c in load_answer_cases(folder / "questions.jsonl") if c.id not in judged]
    random.Random(seed).shuffle(cases)
    halves = (cases[: len(cases) // 2], cases[len(cases) // 2 :])
    docs: list[Article] = load_docs(folder / "docs.jsonl")
    rows = []
    with throwaway_services(settings, embedder) as services:
        for n, gone in enumerate(halves):
            removed = gone_ids(cases, gone)
            kept = [d for d in docs if d.id not in removed]
            say(f"{source} half {n + 1}: {len(kept)} documents, {len(removed)} gone")
            services.kb.ingest(kept)
            outcomes = run_cases(services, cases, explain=False)
            rows += rows_of(source, outcomes, {d.id for d in kept})
    return rows


def collect_judged(settings: Settings, embedder: Embedder) -> list[Row]:
    """Rows of the judged sets (measured, never trained on)."""
    iqa = SHARED / "answers_iqa"
    golden = [
        c for name in (*ANSWERABLE, *UNANSWERABLE) for c in load_answer_cases(DATASETS / name)
    ]
    rows = []
    for source, cases, docs, kb in (
        ("answers_iqa", load_answer_cases(iqa / "questions.jsonl"), iqa / "docs.jsonl", None),
        ("golden", golden, None, KB_DIR),
    ):
        say(f"{source}: {len(cases)} questions")
        with throwaway_services(settings, embedder) as services:
            ingest_sources(services, docs=docs, kb_dir=kb)
            rows += rows_of(source, run_cases(services, cases, explain=False), set())
    return rows


def matrix(rows: Sequence[Row]) -> F64:
    """The rows' signals in SIGNALS order."""
    return np.asarray([[r.signals[f] for f in SIGNALS] for r in rows], dtype=np.float64)


def fit(x: F64, y: F64, threshold: float = 0.5) -> AnswerabilityModel:
    """L2-regularised logistic regression on standardised columns (Newton steps)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * L2
    penalty[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return AnswerabilityModel(
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in w[1:]),
        bias=float(w[0]),
        threshold=threshold,
    )


def probabilities(model: AnswerabilityModel, rows: Sequence[Row]) -> list[float]:
    """The model's probability for each row."""
    return [model.probability(r.signals) for r in rows]


def out_of_fold(rows: Sequence[Row], seed: int) -> list[float]:
    """Each row's probability from a model fitted without its question (FOLDS folds)."""
    ids = sorted({r.id for r in rows})
    random.Random(seed).shuffle(ids)
    fold = {q: n % FOLDS for n, q in enumerate(ids)}
    out = [0.0] * len(rows)
    for k in range(FOLDS):
        train = [r for r in rows if fold[r.id] != k]
        model = fit(matrix(train), np.asarray([r.right for r in train], dtype=np.float64))
        for i, r in enumerate(rows):
            if fold[r.id] == k:
                out[i] = model.probability(r.signals)
    return out


def best_threshold(rows: Sequence[Row], probs: Sequence[float], wrong_cost: float) -> float:
    """The refusal threshold with the least cost: a wrong answer sent costs `wrong_cost`,
    a right answer refused costs 1."""
    grid = [round(0.01 * i, 2) for i in range(5, 96)]

    def cost(t: float) -> float:
        sent = [r for r, p in zip(rows, probs, strict=True) if p >= t]
        refused_right = sum(1 for r, p in zip(rows, probs, strict=True) if p < t and r.right)
        return wrong_cost * sum(1 for r in sent if not r.right) + refused_right

    return min(grid, key=cost)


def decision_figures(rows: Sequence[Row], probs: Sequence[float], t: float) -> dict[str, float]:
    """What refusing under `t` does: refusal precision/recall on answer-gone questions,
    answerable questions refused, wrong answers sent, ECE of the probabilities sent."""
    refused = [p < t for p in probs]
    gone = [not r.answerable for r in rows]
    hits = sum(1 for g, f in zip(gone, refused, strict=True) if g and f)
    sent = [(p, r.right) for r, p, f in zip(rows, probs, refused, strict=True) if not f]
    answerable = sum(1 for g in gone if not g)
    return {
        "refusal_precision": hits / max(1, sum(refused)),
        "refusal_recall": hits / max(1, sum(gone)),
        "answerable_refused": sum(1 for g, f in zip(gone, refused, strict=True) if not g and f)
        / max(1, answerable),
        "wrong_answer_rate": sum(1 for _, right in sent if not right) / max(1, len(rows)),
        "ece": expected_calibration_error([p for p, _ in sent], [r for _, r in sent], bins=10),
    }


def signal_aucs(rows: Sequence[Row], probs: Sequence[float]) -> dict[str, dict[str, float]]:
    """AUC of each signal, the current confidence and the model: answerable vs gone, and
    right answer vs not."""
    columns: dict[str, list[float]] = {f: [r.signals[f] for r in rows] for f in SIGNALS}
    columns["confidence (today)"] = [r.confidence for r in rows]
    columns["model"] = list(probs)
    return {
        name: {
            "answerable": roc_auc([r.answerable for r in rows], values),
            "right": roc_auc([r.right for r in rows], values),
        }
        for name, values in columns.items()
    }


def _report(title: str, rows: Sequence[Row], probs: Sequence[float], t: float) -> None:
    aucs = signal_aucs(rows, probs)
    figures = decision_figures(rows, probs, t)
    say(
        f"{title}: {len(rows)} rows, {sum(r.answerable for r in rows)} answerable, "
        f"{sum(r.right for r in rows)} right when always answering"
    )
    say(f"  {'signal':<20} {'AUC answerable':>15} {'AUC right':>10}")
    for name, pair in aucs.items():
        say(f"  {name:<20} {pair['answerable']:>15.3f} {pair['right']:>10.3f}")
    say("  at threshold " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))


def load_rows(path: Path) -> list[Row]:
    """Cached rows."""
    return [Row(**row) for row in json.loads(path.read_text(encoding="utf-8"))]


def main(argv: Sequence[str] | None = None) -> int:
    """Collect (or reuse) rows, fit, measure, write the artefact."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--wrong-cost", type=float, default=1.0)
    parser.add_argument("--no-measure", action="store_true", help="skip the judged sets")
    args = parser.parse_args(argv)
    if args.cache.exists():
        rows = load_rows(args.cache)
        say(f"{len(rows)} rows from {args.cache}")
    else:
        settings = Settings()
        # Every question answered: the rows say how an answer would have fared.
        answer = settings.answer.model_copy(
            update={"refusal_relevance": 0.0, "min_coverage": 0.0, "answerability": False}
        )
        settings = settings.model_copy(update={"answer": answer})
        embedder = CachedEmbedder(build_embedder(settings.embedding, settings.data_dir), None)
        rows = [
            *collect_halves(settings, embedder, "insuranceqa", SHARED / "insuranceqa", args.seed),
            *collect_halves(settings, embedder, "liveqa", SHARED / "liveqa_med", args.seed),
        ]
        if not args.no_measure:
            rows += collect_judged(settings, embedder)
        args.cache.write_text(json.dumps([asdict(r) for r in rows]), encoding="utf-8")
    train = [r for r in rows if r.source in {"insuranceqa", "liveqa"}]
    labels = np.asarray([r.right for r in train], dtype=np.float64)
    folded = out_of_fold(train, args.seed)
    threshold = best_threshold(train, folded, args.wrong_cost)
    model = fit(matrix(train), labels, threshold)
    _report("training, out of fold", train, folded, threshold)
    for source in ("answers_iqa", "golden"):
        judged = [r for r in rows if r.source == source]
        if judged:
            _report(source, judged, probabilities(model, judged), threshold)
    say(
        "weights: "
        + ", ".join(f"{f} {w:+.3f}" for f, w in zip(SIGNALS, model.weights, strict=True))
    )
    say(f"bias {model.bias:+.3f}, threshold {threshold}")
    artefact = asdict(model) | {
        "signals": list(SIGNALS),
        "trained": dt.date.today().isoformat(),
        "rows": len(train),
        "seed": args.seed,
        "wrong_cost": args.wrong_cost,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(artefact, indent=1) + "\n", encoding="utf-8")
    say(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
