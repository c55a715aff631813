"""Does int8 cost the answers' calibration? fp32 and int8 embedders side by side (issue 18).

Each set runs through the full responder (`evals.answers_eval.evaluate_answers`) once per
embedder backend, same code, same settings otherwise: the golden set on `kb_content/`, and the
answers_iqa and LiveQA dev splits on their own documents. Printed per set and backend: right /
wrong / unanswerable answered, the answers' calibration error (ECE, 10 bins, as the gate) and
Brier score; then, over the questions both backends answered, the mean confidence difference
and right answers; and a paired bootstrap (questions resampled, 2,000 draws, seeded) of the
ECE difference, int8 minus fp32.

    .venv/bin/python benchmarks/calibration_by_backend.py            # ~8 min on 2 cores
    .venv/bin/python benchmarks/calibration_by_backend.py --sets golden
"""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Sequence
from pathlib import Path

from _common import emit, load, machine, table

from bot.settings import Settings
from evals.answers_eval import AnswerOutcome, answer_calibration_error, evaluate_answers
from evals.run_all import ANSWERABLE, DATASETS, DIALOGUES, KB_DIR, UNANSWERABLE
from retrieval.factory import build_embedder

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

BACKENDS = ("onnx", "onnx-int8")
SETS = ("golden", "answers_iqa", "liveqa_med")
DEFAULT_DATA = Path("/work/shared/evaldata")
DRAWS = 2000


def outcomes(settings: Settings, name: str, data: Path) -> list[AnswerOutcome]:
    """Every question of the set `name` through the responder."""
    embedder = build_embedder(settings.embedding, settings.data_dir)
    if name == "golden":
        paths = [DATASETS / f for f in (*ANSWERABLE, *UNANSWERABLE, *DIALOGUES)]
        report = evaluate_answers(settings, embedder, paths, kb_dir=KB_DIR)
    else:
        folder = data / name
        report = evaluate_answers(
            settings, embedder, [folder / "questions.jsonl"], docs=folder / "docs.jsonl"
        )
    return report.outcomes


def answered(rows: Sequence[AnswerOutcome]) -> list[AnswerOutcome]:
    return [o for o in rows if o.kind == "answer" and o.confidence is not None]


def brier(rows: Sequence[AnswerOutcome]) -> float:
    said = answered(rows)
    return sum(((o.confidence or 0.0) - o.correct) ** 2 for o in said) / max(len(said), 1)


def counts(rows: Sequence[AnswerOutcome]) -> str:
    right = sum(o.case.answerable and o.kind == "answer" and o.correct for o in rows)
    wrong = sum(o.case.answerable and o.wrong_answer for o in rows)
    gone = sum(not o.case.answerable and o.kind == "answer" for o in rows)
    return f"{right} / {wrong} / {gone}"


def bootstrap(fp32: Sequence[AnswerOutcome], int8: Sequence[AnswerOutcome]) -> tuple[float, float]:
    """The 2.5 and 97.5 percentiles of ECE(int8) - ECE(fp32) over resampled questions."""
    draw = random.Random(18)
    n = len(fp32)
    diffs = []
    for _ in range(DRAWS):
        pick = [draw.randrange(n) for _ in range(n)]
        diffs.append(
            answer_calibration_error([int8[k] for k in pick])
            - answer_calibration_error([fp32[k] for k in pick])
        )
    diffs.sort()
    return diffs[int(0.025 * DRAWS)], diffs[int(0.975 * DRAWS) - 1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared evaldata")
    args = parser.parse_args(argv)
    emit(f"machine: {machine()}")
    base = Settings()
    rows = []
    for name in args.sets:
        runs = {}
        for backend in BACKENDS:
            settings = base.model_copy(
                update={"embedding": base.embedding.model_copy(update={"backend": backend})}
            )
            runs[backend] = sorted(outcomes(settings, name, args.data), key=lambda o: o.case.id)
            emit(f"  {name} {backend} done | {load()}")
        fp32, int8 = runs["onnx"], runs["onnx-int8"]
        both = [
            (a, b)
            for a, b in zip(fp32, int8, strict=True)
            if a.kind == b.kind == "answer" and a.confidence is not None
        ]
        shift = sum((b.confidence or 0.0) - (a.confidence or 0.0) for a, b in both)
        low, high = bootstrap(fp32, int8)
        for backend, run in runs.items():
            rows.append(
                [f"{name} {backend}", counts(run), answer_calibration_error(run), brier(run), ""]
            )
        rows.append(
            [
                f"{name} int8 - fp32",
                f"both answered {len(both)}: right {sum(a.correct for a, _ in both)}"
                f" -> {sum(b.correct for _, b in both)},"
                f" confidence {shift / max(len(both), 1):+.4f}",
                f"{answer_calibration_error(int8) - answer_calibration_error(fp32):+.4f}",
                f"{brier(int8) - brier(fp32):+.4f}",
                f"[{low:+.4f}, {high:+.4f}]",
            ]
        )
    headers = ["set", "right / wrong / unanswerable answered", "ECE", "Brier", "ECE diff 95%"]
    emit("\n# Results")
    emit(table(headers, rows))
    emit(f"finished: {machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
