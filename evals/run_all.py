"""The golden-set evaluation: retrieval, answers and escalation on the shipped sample KB.

`supportbot eval all` runs it and writes a report; `supportbot eval gate` runs it and compares
the figures with `evals/thresholds.toml`. One throwaway index of `kb_content/` serves both the
retrieval modes and the responder, so the KB is embedded once; a second one holds the
InsuranceQA sample (`datasets/iqa_sample`, answers `answers.iqa.*`), whose figures stay out of
the golden totals.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.settings import Settings
from evals.answers_eval import (
    AnswerCase,
    AnswerOutcome,
    answer_calibration_error,
    ingest_sources,
    load_answer_cases,
    run_cases,
    summarise_answers,
    throwaway_services,
)
from evals.cases import RetrievalCase
from evals.escalation_eval import EscalationCase, evaluate_escalation
from evals.judge import Judge
from evals.metrics import escalation_tradeoff, recommend_threshold
from evals.metrics import mean as mean_of
from evals.retrieval_eval import RankedCase, rank_cases, summarise
from retrieval.cached_embedder import CachedEmbedder
from retrieval.interfaces import Embedder
from retrieval.retriever import MODES

ROOT = Path(__file__).resolve().parent.parent
DATASETS = Path(__file__).resolve().parent / "datasets"
KB_DIR = ROOT / "kb_content"
ANSWERABLE = ("kb_questions.jsonl", "kb_questions_extra.jsonl")
UNANSWERABLE = ("unanswerable.jsonl",)
DIALOGUES = ("dialogues.jsonl",)
# Real customers' questions, half of whose answers are gone (InsuranceQA; see its README).
IQA_SAMPLE = "iqa_sample"
ESCALATION = "escalation.jsonl"
RETRIEVAL_K = 10
CATEGORY_K = 5
# A wrong answer sent costs this many escalations when choosing the threshold.
WRONG_ANSWER_COST = 3.0
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(0, 20))  # 0.00 .. 0.95


@dataclass(frozen=True, slots=True)
class RetrievalMiss:
    """A golden question whose gold article is not in the hybrid top k."""

    id: str
    question: str
    gold: tuple[str, ...]
    ranked: tuple[str, ...]


@dataclass(slots=True)
class GoldenResults:
    """Everything the golden-set run measured."""

    retrieval: dict[str, dict[str, float]]
    retrieval_by_category: dict[str, float]
    retrieval_misses: list[RetrievalMiss]
    answers: dict[str, float]
    answers_by_set: dict[str, dict[str, float]]
    answers_by_category: dict[str, float]
    outcomes: list[AnswerOutcome]
    escalation: dict[str, float]
    escalation_errors: list[tuple[EscalationCase, list[str]]]
    tradeoff: list[tuple[float, float, float]]
    recommended_threshold: float
    current_threshold: float
    calibration_error: float
    seconds: float
    started_at: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """Flat `section.name` metrics (what the gate and results.json compare)."""
        flat: dict[str, float] = {}
        for mode, values in self.retrieval.items():
            flat.update({f"retrieval.{mode}.{k}": v for k, v in values.items()})
        flat.update({f"answers.{k}": v for k, v in self.answers.items()})
        for name, values in self.answers_by_set.items():
            flat.update({f"answers.{name}.{k}": v for k, v in values.items()})
        flat.update({f"escalation.{k}": v for k, v in self.escalation.items()})
        flat["calibration.ece"] = round(self.calibration_error, 4)
        flat["calibration.recommended_low_confidence"] = self.recommended_threshold
        return flat


def retrieval_cases(cases: Sequence[AnswerCase]) -> list[RetrievalCase]:
    """The cases that have gold documents, as retrieval cases."""
    return [
        RetrievalCase(c.id, c.question, c.gold_doc_ids, c.history) for c in cases if c.gold_doc_ids
    ]


def by_category(values: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Mean value per category, categories sorted."""
    grouped: dict[str, list[float]] = {}
    for category, value in values:
        grouped.setdefault(category or "uncategorised", []).append(value)
    return {c: round(mean_of(v), 4) for c, v in sorted(grouped.items())}


def tradeoff_of(
    outcomes: Sequence[AnswerOutcome], thresholds: Sequence[float] = THRESHOLDS
) -> list[tuple[float, float, float]]:
    """Wrong answers sent vs escalations as the low-confidence threshold varies."""
    return escalation_tradeoff(
        [o.gradable_confidence for o in outcomes],
        [o.wrong_answer for o in outcomes],
        [o.escalated_anyway for o in outcomes],
        thresholds,
    )


def run_golden(
    settings: Settings,
    embedder: Embedder,
    *,
    datasets: Path = DATASETS,
    kb_dir: Path = KB_DIR,
    judge: bool = False,
    explain: bool = True,
    cache_embeddings: bool = False,
) -> GoldenResults:
    """Retrieval (every mode), answers and escalation on the golden sets.

    `explain` adds what was retrieved for each failing answer (for the report);
    `cache_embeddings` embeds each distinct text once (faster; latency figures then
    understate production). The gate skips the first and uses the second.
    """
    started = time.perf_counter()
    if cache_embeddings:
        embedder = CachedEmbedder(embedder, max_texts=None)
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    answerable = [c for name in ANSWERABLE for c in load_answer_cases(datasets / name)]
    unanswerable = [c for name in UNANSWERABLE for c in load_answer_cases(datasets / name)]
    dialogues = [c for name in DIALOGUES for c in load_answer_cases(datasets / name)]
    with throwaway_services(settings, embedder) as services:
        ingest_sources(services, docs=None, kb_dir=kb_dir)
        ranked_cases = retrieval_cases([*answerable, *dialogues])
        ranked: dict[str, list[RankedCase]] = {
            mode: rank_cases(services.kb, ranked_cases, mode, RETRIEVAL_K) for mode in MODES
        }
        grader = Judge(services.chat_model) if judge and services.chat_model else None
        outcomes = run_cases(
            services, [*answerable, *unanswerable, *dialogues], grader, explain=explain
        )
    iqa = datasets / IQA_SAMPLE
    with throwaway_services(settings, embedder) as services:
        ingest_sources(services, docs=iqa / "docs.jsonl", kb_dir=None)
        iqa_outcomes = run_cases(
            services, load_answer_cases(iqa / "questions.jsonl"), grader, explain=False
        )
    escalation, errors = evaluate_escalation(datasets / ESCALATION, embedder, settings.escalation)
    categories = {c.id: c.category for c in answerable}
    hybrid = ranked["hybrid"]
    sets = {
        "answerable": [o for o in outcomes if o.case.dataset in _stems(ANSWERABLE)],
        "unanswerable": [o for o in outcomes if o.case.dataset in _stems(UNANSWERABLE)],
        "dialogues": [o for o in outcomes if o.case.dataset in _stems(DIALOGUES)],
        "iqa": iqa_outcomes,
    }
    curve = tradeoff_of(outcomes)
    recommended, _ = recommend_threshold(curve, WRONG_ANSWER_COST)
    return GoldenResults(
        retrieval={mode: summarise(cases) for mode, cases in ranked.items()},
        retrieval_by_category=by_category(
            [
                (
                    categories[r.case.id],
                    1.0 if set(r.ranked[:CATEGORY_K]) & set(r.case.gold_doc_ids) else 0.0,
                )
                for r in hybrid
                if r.case.id in categories
            ]
        ),
        retrieval_misses=[
            RetrievalMiss(r.case.id, r.case.question, r.case.gold_doc_ids, r.ranked[:CATEGORY_K])
            for r in hybrid
            if not set(r.ranked[:CATEGORY_K]) & set(r.case.gold_doc_ids)
        ],
        answers=summarise_answers(outcomes),
        answers_by_set={name: summarise_answers(items) for name, items in sets.items() if items},
        answers_by_category=by_category(
            [(o.case.category, 1.0 if o.correct else 0.0) for o in sets["answerable"]]
        ),
        outcomes=outcomes,
        escalation={k: escalation[k] for k in ("precision", "recall", "f1", "accuracy", "n")},
        escalation_errors=[(c, r) for c, r in errors if c.escalate != bool(r)],
        tradeoff=curve,
        recommended_threshold=recommended,
        current_threshold=settings.escalation.low_confidence,
        calibration_error=answer_calibration_error(outcomes),
        seconds=round(time.perf_counter() - started, 1),
        started_at=started_at,
        config={
            "llm_backend": settings.llm.backend,
            "embedding_model": embedder.model_id,
            "low_confidence": settings.escalation.low_confidence,
            "escalation_enabled": settings.escalation.enabled,
            "refusal_relevance": settings.answer.refusal_relevance,
            "wrong_answer_cost": WRONG_ANSWER_COST,
            "cached_embeddings": cache_embeddings,
        },
    )


def _stems(names: Sequence[str]) -> set[str]:
    return {Path(n).stem for n in names}


def outcome_json(outcome: AnswerOutcome) -> dict[str, Any]:
    """One outcome as JSON (what results.json lists per case)."""
    row = asdict(outcome)
    row["case"] = asdict(outcome.case)
    row["correct"] = outcome.correct
    row.pop("sources", None)
    return row


def results_json(results: GoldenResults) -> dict[str, Any]:
    """The whole run as JSON-serialisable data."""
    return {
        "started_at": results.started_at,
        "seconds": results.seconds,
        "config": results.config,
        "metrics": results.metrics(),
        "retrieval": results.retrieval,
        "retrieval_by_category": results.retrieval_by_category,
        "retrieval_misses": [asdict(m) for m in results.retrieval_misses],
        "answers": results.answers,
        "answers_by_set": results.answers_by_set,
        "answers_by_category": results.answers_by_category,
        "escalation": results.escalation,
        "escalation_errors": [
            {"text": c.text, "expected": c.escalate, "label": c.reason, "found": r}
            for c, r in results.escalation_errors
        ],
        "tradeoff": [
            {"threshold": t, "wrong_answer_rate": w, "escalation_rate": e}
            for t, w, e in results.tradeoff
        ],
        "recommended_low_confidence": results.recommended_threshold,
        "current_low_confidence": results.current_threshold,
        "calibration_error": results.calibration_error,
        "cases": [outcome_json(o) for o in results.outcomes],
    }


def default_out_dir(root: Path = Path("reports")) -> Path:
    """reports/<UTC timestamp>."""
    return root / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def write_all(results: GoldenResults, out_dir: Path) -> list[Path]:
    """results.json, report.md and report.html in `out_dir` (created)."""
    from evals.report import render_html, render_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "results.json", out_dir / "report.md", out_dir / "report.html"]
    paths[0].write_text(json.dumps(results_json(results), indent=2, ensure_ascii=False) + "\n")
    paths[1].write_text(render_markdown(results))
    paths[2].write_text(render_html(results))
    return paths
