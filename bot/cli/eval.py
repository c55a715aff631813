"""The `supportbot eval ...` commands: retrieval, escalation, answers, handoffs, all, gate."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.output import echo
from bot.settings import Settings


def _eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from evals.retrieval_eval import METRIC_NAMES, evaluate_retrieval
    from retrieval.factory import build_embedder
    from retrieval.retriever import MODES

    modes = list(MODES) if args.mode == "all" else [args.mode]
    results = evaluate_retrieval(
        Path(args.docs),
        Path(args.questions),
        build_embedder(settings.embedding, settings.data_dir),
        modes=modes,
        k=args.k,
        chunking=settings.chunking,
        search=settings.search,
    )
    if args.json:
        echo(json.dumps(results))
        return 0
    echo(f"{'mode':<8} " + " ".join(f"{name:>9}" for name in METRIC_NAMES))
    for mode, metrics in results.items():
        echo(f"{mode:<8} " + " ".join(f"{metrics[name]:>9g}" for name in METRIC_NAMES))
    return 0


def _eval_escalation(args: argparse.Namespace, settings: Settings) -> int:
    from evals.escalation_eval import evaluate_escalation
    from retrieval.factory import build_embedder

    metrics, cases = evaluate_escalation(
        Path(args.messages),
        build_embedder(settings.embedding, settings.data_dir),
        settings.escalation,
    )
    if args.json:
        echo(json.dumps({k: metrics[k] for k in ("precision", "recall", "f1", "accuracy", "n")}))
        return 0
    for key in ("precision", "recall", "f1", "accuracy", "n"):
        echo(f"{key:<10} {metrics[key]:g}")
    echo(
        f"confusion  tp={metrics['tp']:g} fp={metrics['fp']:g} fn={metrics['fn']:g} "
        f"tn={metrics['tn']:g}"
    )
    if args.show_errors:
        for case, reasons in cases:
            if case.escalate != bool(reasons):
                label = "missed" if case.escalate else "false alarm"
                echo(f"- {label}: {case.text[:100]!r} {'; '.join(reasons)}")
    return 0


def _eval_handoffs(args: argparse.Namespace, settings: Settings) -> int:
    from evals.handoffs_eval import evaluate_handoffs, failures
    from retrieval.factory import build_embedder

    metrics, outcomes = evaluate_handoffs(
        Path(args.dialogues), settings, build_embedder(settings.embedding), Path(args.kb)
    )
    if args.json:
        echo(json.dumps(metrics))
        return 0
    for key, value in metrics.items():
        echo(f"{key:<34} {value:g}")
    if args.show_failures:
        for outcome in outcomes:
            for line in failures(outcome):
                echo(f"- {line}")
    return 0


def _eval_answers(args: argparse.Namespace, settings: Settings) -> int:
    from evals.answers_eval import AnswerReport, evaluate_answers, without_coverage_check
    from evals.report import failure_line
    from retrieval.factory import build_embedder

    judge = args.judge and settings.llm.backend == "openai-compatible"
    if args.judge and not judge:
        echo("note: --judge needs llm.backend openai-compatible; judge metrics skipped", err=True)
    embedder = build_embedder(settings.embedding, settings.data_dir)

    def evaluate(config: Settings) -> AnswerReport:
        return evaluate_answers(
            config,
            embedder,
            [Path(q) for q in args.questions],
            docs=Path(args.docs) if args.docs else None,
            kb_dir=Path(args.kb) if args.kb else None,
            judge=judge,
        )

    report = evaluate(settings)
    # The same run without the coverage check: what the check itself changes.
    ablation = evaluate(without_coverage_check(settings)).summary if args.ablation else {}
    if args.json:
        echo(
            json.dumps(report.summary | ({"without_coverage_check": ablation} if ablation else {}))
        )
        return 0
    if ablation:
        echo(f"{'':<24} {'as configured':>14} {'no coverage check':>18}")
    for key, value in report.summary.items():
        other = f" {ablation[key]:>18g}" if key in ablation else ""
        echo(f"{key:<24} {value:>14g}{other}")
    if args.show_failures:
        for outcome in report.outcomes:
            if not outcome.correct:
                echo(
                    f"- {outcome.case.id}: {failure_line(outcome)}; "
                    f"cited {', '.join(outcome.cited) or '-'}; "
                    f"retrieved {', '.join(outcome.retrieved) or '-'}"
                )
    return 0


def _eval_all(args: argparse.Namespace, settings: Settings) -> int:
    from evals.report import recommendation
    from evals.run_all import default_out_dir, run_golden, write_all
    from retrieval.factory import build_embedder

    judge = args.judge and settings.llm.backend == "openai-compatible"
    results = run_golden(
        settings, build_embedder(settings.embedding, settings.data_dir), judge=judge
    )
    out = Path(args.out) if args.out else default_out_dir()
    for path in write_all(results, out):
        echo(f"wrote {path}")
    hybrid = results.retrieval["hybrid"]
    echo(f"retrieval hybrid recall@5 {hybrid['recall@5']:g}  mrr@10 {hybrid['mrr@10']:g}")
    for key in (
        "citation_accuracy",
        "answer_similarity",
        "grounded_ratio",
        "refusal_precision",
        "refusal_recall",
        "escalation_rate",
        "p50_ms",
        "p95_ms",
    ):
        echo(f"answers {key:<18} {results.answers.get(key, float('nan')):g}")
    echo(f"escalation detectors f1 {results.escalation['f1']:g}")
    echo(f"recommended: {recommendation(results)}")
    return 0


def _eval_gate(args: argparse.Namespace, settings: Settings) -> int:
    from evals.gate import DEFAULT_THRESHOLDS, check, load_thresholds
    from evals.report import recommendation
    from evals.run_all import run_golden
    from retrieval.factory import build_embedder

    thresholds = load_thresholds(Path(args.thresholds) if args.thresholds else DEFAULT_THRESHOLDS)
    # The gate measures the embedded stack, whatever LLM or embedding service is configured.
    embedded = settings.model_copy(
        update={"llm": type(settings.llm)(), "embedding": type(settings.embedding)()}
    )
    results = run_golden(
        embedded,
        build_embedder(embedded.embedding, embedded.data_dir),
        explain=False,
        cache_embeddings=True,
    )
    metrics = results.metrics()
    violations = check(metrics, thresholds)
    for name in [*thresholds.floors, *thresholds.ceilings]:
        if name in metrics:
            echo(f"{name:<45} {metrics[name]:g}")
    echo(f"({results.seconds:g} s; {recommendation(results)})")
    if violations:
        echo(f"quality gate FAILED: {len(violations)} metric(s) out of bounds", err=True)
        for violation in violations:
            echo(f"  - {violation}", err=True)
        return 1
    echo("quality gate passed")
    return 0


def add_eval_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `eval` and its subcommands."""
    evaluate = sub.add_parser("eval", help="measure retrieval, answers, escalation; the gate")
    eval_sub = evaluate.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    retrieval = eval_sub.add_parser(
        "retrieval",
        help="recall/MRR/nDCG of document ranking",
        description="Index DOCS in a throwaway folder and rank them for each question.",
    )
    retrieval.add_argument("--docs", required=True, help='JSONL rows {"id","title","text","url"?}')
    retrieval.add_argument(
        "--questions", required=True, help='JSONL rows {"id","question","gold_doc_ids",...}'
    )
    retrieval.add_argument(
        "--mode", choices=["hybrid", "dense", "lexical", "all"], default="hybrid"
    )
    retrieval.add_argument("--k", type=int, default=10, help="articles ranked per question")
    retrieval.add_argument("--json", action="store_true", help="print one JSON object by mode")
    retrieval.set_defaults(handler=_eval_retrieval)
    escalation = eval_sub.add_parser(
        "escalation",
        help="precision/recall of the escalation detectors",
        description="Run the message-level detectors (emotion, explicit request, sensitive "
        "topic) on each text as the first message of a conversation.",
    )
    escalation.add_argument("--messages", required=True, help='JSONL rows {"text","escalate"}')
    escalation.add_argument("--json", action="store_true", help="print one JSON object")
    escalation.add_argument("--show-errors", action="store_true", help="list misclassified texts")
    escalation.set_defaults(handler=_eval_escalation)
    answers = eval_sub.add_parser(
        "answers",
        help="citations, similarity, grounding, refusals, escalations of the full responder",
        description="Index DOCS (or a KB folder) in a throwaway folder and run each question "
        "through the configured responder in a fresh conversation.",
    )
    source = answers.add_mutually_exclusive_group(required=True)
    source.add_argument("--docs", help='JSONL rows {"id","title","text","url"?}')
    source.add_argument("--kb", help="a KB folder instead of --docs, e.g. kb_content")
    answers.add_argument(
        "--questions",
        required=True,
        action="append",
        help='JSONL rows {"id","question","gold_doc_ids"?,"answer"?,"answerable"?,"history"?}; '
        "repeat for several files",
    )
    answers.add_argument("--judge", action="store_true", help="LLM judge (openai-compatible)")
    answers.add_argument("--json", action="store_true", help="print one JSON object")
    answers.add_argument("--show-failures", action="store_true", help="list failing cases")
    answers.add_argument(
        "--ablation",
        action="store_true",
        help="run again without the coverage check and show both columns (twice the time)",
    )
    answers.set_defaults(handler=_eval_answers)
    handoffs = eval_sub.add_parser(
        "handoffs",
        help="multi-turn dialogues around a handoff: empathy, notice language, answers "
        "while waiting, no stranded customer (issue 17)",
        description="Play each dialogue through the responder, escalator and ticket desk on "
        "a throwaway copy of the KB (opening hours taken as always open).",
    )
    handoffs.add_argument(
        "--dialogues",
        default="evals/datasets/handoff_dialogues.jsonl",
        help='JSONL rows {"id","lang","page"?,"steps":[{"say"|"press"|"agent",...}]}',
    )
    handoffs.add_argument("--kb", default="kb_content", help="the KB folder")
    handoffs.add_argument("--json", action="store_true", help="print one JSON object")
    handoffs.add_argument("--show-failures", action="store_true", help="list what went wrong")
    handoffs.set_defaults(handler=_eval_handoffs)
    everything = eval_sub.add_parser(
        "all",
        help="every golden-set eval, with a Markdown/HTML report",
        description="Retrieval, answers and escalation on kb_content and evals/datasets; "
        "writes report.md, report.html and results.json.",
    )
    everything.add_argument("--out", help="report folder (default reports/<timestamp>)")
    everything.add_argument("--judge", action="store_true", help="LLM judge (openai-compatible)")
    everything.set_defaults(handler=_eval_all)
    gate = eval_sub.add_parser(
        "gate",
        help="fail (exit 1) when a golden-set metric is below its committed floor",
        description="Run the golden-set evals on the embedded stack and compare them with "
        "the thresholds file.",
    )
    gate.add_argument(
        "--thresholds", help="TOML file of [floors]/[ceilings] (default evals/thresholds.toml)"
    )
    gate.set_defaults(handler=_eval_gate)
