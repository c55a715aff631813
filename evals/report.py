"""The golden-set report: Markdown, and HTML with matplotlib charts embedded as PNGs.

Charts: score distributions, confidence-vs-correctness calibration, per-category recall, and
the trade-off of wrong answers sent vs escalations as the low-confidence threshold varies.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from evals.errors import require_extra
from evals.metrics import calibration_bins

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from evals.answers_eval import AnswerOutcome
    from evals.run_all import GoldenResults

ENV_NAME = "SUPPORTBOT_ESCALATION__LOW_CONFIDENCE"
MAX_TEXT = 220


def _short(text: str, limit: int = MAX_TEXT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def failing(results: GoldenResults) -> list[AnswerOutcome]:
    """The answer cases that went wrong, in dataset order."""
    return [o for o in results.outcomes if not o.correct]


def failure_line(outcome: AnswerOutcome) -> str:
    """Why an answer case failed, in words."""
    case = outcome.case
    if not case.answerable:
        return "answered an unanswerable question"
    if outcome.kind == "":
        if outcome.history_handoff:
            return "escalated during the earlier turns"
        return "escalated before answering" if outcome.handoff else "no bot turn"
    if outcome.kind != "answer":
        return f"{outcome.kind} instead of an answer"
    return "no gold article cited"


def recommendation(results: GoldenResults) -> str:
    """The recommended threshold as the env setting to use."""
    return f"{ENV_NAME}={results.recommended_threshold:g}"


def _headline_rows(results: GoldenResults) -> list[tuple[str, object]]:
    answers = results.answers
    rows: list[tuple[str, object]] = [
        ("retrieval hybrid recall@5", results.retrieval["hybrid"]["recall@5"]),
        ("retrieval hybrid MRR@10", results.retrieval["hybrid"]["mrr@10"]),
        ("citation accuracy", answers.get("citation_accuracy", "n/a")),
        ("answer similarity", answers.get("answer_similarity", "n/a")),
        ("grounded ratio", answers.get("grounded_ratio", "n/a")),
        ("refusal precision", answers.get("refusal_precision", "n/a")),
        ("refusal recall", answers.get("refusal_recall", "n/a")),
        ("escalation rate (answers eval)", answers["escalation_rate"]),
        ("wrong answers sent (not handed off)", answers["wrong_answer_rate"]),
        ("wrong answers shown (handed off or not)", answers["wrong_answer_shown_rate"]),
        ("escalation detector F1", results.escalation["f1"]),
        ("latency p50 / p95 ms", f"{answers['p50_ms']:g} / {answers['p95_ms']:g}"),
    ]
    if "judge_faithfulness" in answers:
        rows.append(("judge faithfulness (1-5)", answers["judge_faithfulness"]))
        rows.append(("judge relevance (1-5)", answers["judge_relevance"]))
    return rows


def render_markdown(results: GoldenResults) -> str:
    """The report as Markdown."""
    parts = [
        "# supportbot golden-set report",
        f"Run {results.started_at} in {results.seconds:g} s; "
        + ", ".join(f"{k}={v}" for k, v in results.config.items()),
        "## Headline",
        markdown_table(["metric", "value"], _headline_rows(results)),
        "## Retrieval (kb_content, golden questions)",
        markdown_table(
            ["mode", *next(iter(results.retrieval.values())).keys()],
            [[mode, *values.values()] for mode, values in results.retrieval.items()],
        ),
        "### Per category (hybrid recall@5; answer correctness)",
        markdown_table(
            ["category", "recall@5", "answers correct"],
            [
                [c, r, results.answers_by_category.get(c, "")]
                for c, r in results.retrieval_by_category.items()
            ],
        ),
        "## Answers",
        markdown_table(
            ["set", *results.answers.keys()],
            [
                [name, *(values.get(k, "") for k in results.answers)]
                for name, values in {"all": results.answers, **results.answers_by_set}.items()
            ],
        ),
        "## Escalation detectors (escalation.jsonl)",
        markdown_table(["metric", "value"], list(results.escalation.items())),
        "## Confidence threshold for escalation",
        f"Recommended: `{recommendation(results)}` (current {results.current_threshold:g}); "
        f"it minimises {results.config.get('wrong_answer_cost', 3.0):g} x wrong-answer rate "
        "+ escalation rate. "
        f"Expected calibration error {results.calibration_error:.3f}.",
        markdown_table(
            ["low_confidence", "wrong answers sent", "escalations"],
            [[t, w, e] for t, w, e in results.tradeoff],
        ),
        "## Failing cases",
        f"### Answers ({len(failing(results))})",
        markdown_table(
            ["id", "question", "why", "gold", "cited", "retrieved", "conf", "answer"],
            [
                [
                    o.case.id,
                    _short(" / ".join([*o.case.history, o.case.question]), 140),
                    failure_line(o),
                    ", ".join(o.case.gold_doc_ids) or "-",
                    ", ".join(o.cited) or "-",
                    ", ".join(o.retrieved) or "-",
                    "" if o.confidence is None else round(o.confidence, 3),
                    _short(o.text) or "-",
                ]
                for o in failing(results)
            ],
        ),
        f"### Retrieval misses, hybrid top 5 ({len(results.retrieval_misses)})",
        markdown_table(
            ["id", "question", "gold", "retrieved"],
            [
                [m.id, _short(m.question, 140), ", ".join(m.gold), ", ".join(m.ranked)]
                for m in results.retrieval_misses
            ],
        ),
        f"### Escalation detector mistakes ({len(results.escalation_errors)})",
        markdown_table(
            ["expected", "label", "text", "found"],
            [
                [
                    "escalate" if c.escalate else "answer",
                    c.reason,
                    _short(c.text, 140),
                    "; ".join(r) or "-",
                ]
                for c, r in results.escalation_errors
            ],
        ),
    ]
    return "\n\n".join(parts) + "\n"


# -- charts ------------------------------------------------------------------------------


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float = 6.4, height: float = 4.0) -> Figure:
    require_extra("matplotlib", "report", "the report's charts")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def chart_distributions(results: GoldenResults) -> str:
    """Histograms: answer confidence (correct vs wrong), top relevance (answerable or not)."""
    figure = _figure(10, 3.8)
    left, right = figure.subplots(1, 2)
    answered = [o for o in results.outcomes if o.kind == "answer" and o.confidence is not None]
    bins = [i / 20 for i in range(21)]
    left.hist(
        [
            [o.confidence or 0.0 for o in answered if o.correct],
            [o.confidence or 0.0 for o in answered if not o.correct],
        ],
        bins=bins,
        stacked=True,
        label=["correct", "wrong"],
        color=["#2a9d8f", "#e76f51"],
    )
    left.set_title("Answer confidence")
    left.set_xlabel("confidence")
    left.set_ylabel("answers")
    left.legend()
    relevance = [o for o in results.outcomes if o.top_relevance is not None]
    right.hist(
        [
            [o.top_relevance or 0.0 for o in relevance if o.case.answerable],
            [o.top_relevance or 0.0 for o in relevance if not o.case.answerable],
        ],
        bins=bins,
        label=["answerable", "unanswerable"],
        color=["#264653", "#f4a261"],
        alpha=0.8,
    )
    right.set_title("Top retrieval relevance")
    right.set_xlabel("relevance")
    right.legend()
    return _png(figure)


def chart_calibration(results: GoldenResults) -> str:
    """Accuracy per confidence bin against the diagonal."""
    figure = _figure(5, 4.2)
    axes = figure.subplots()
    answered = [o for o in results.outcomes if o.kind == "answer" and o.confidence is not None]
    points = calibration_bins(
        [o.confidence or 0.0 for o in answered], [o.correct for o in answered], bins=10
    )
    axes.plot([0, 1], [0, 1], linestyle="--", color="#999999", label="perfect")
    axes.plot(
        [p[2] for p in points],
        [p[3] for p in points],
        marker="o",
        color="#264653",
        label="supportbot",
    )
    for _, _, conf, accuracy, n in points:
        axes.annotate(
            str(n), (conf, accuracy), textcoords="offset points", xytext=(4, -10), fontsize=8
        )
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.05)
    axes.set_xlabel("confidence (bin mean)")
    axes.set_ylabel("share correct")
    axes.set_title(f"Answers: calibration (ECE {results.calibration_error:.3f})")
    axes.legend(loc="lower right")
    return _png(figure)


def chart_categories(results: GoldenResults) -> str:
    """Hybrid recall@5 and answer correctness per category."""
    names = list(results.retrieval_by_category)
    figure = _figure(max(6.0, 0.9 * len(names) + 2), 4.0)
    axes = figure.subplots()
    xs = range(len(names))
    axes.bar(
        [x - 0.2 for x in xs],
        [results.retrieval_by_category[n] for n in names],
        0.4,
        label="retrieval recall@5",
        color="#264653",
    )
    axes.bar(
        [x + 0.2 for x in xs],
        [results.answers_by_category.get(n, 0.0) for n in names],
        0.4,
        label="answer correct",
        color="#2a9d8f",
    )
    axes.set_xticks(list(xs))
    axes.set_xticklabels(names, rotation=30, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_title("Per category")
    axes.legend(loc="lower right")
    return _png(figure)


def chart_tradeoff(results: GoldenResults) -> str:
    """Wrong answers sent vs escalations as the threshold varies, recommended one marked."""
    figure = _figure(6, 4.4)
    axes = figure.subplots()
    curve = results.tradeoff
    axes.plot([e for _, _, e in curve], [w for _, w, _ in curve], marker="o", color="#264653")
    shown: set[tuple[float, float]] = set()
    for t, w, e in curve:  # label a threshold where the curve moves (not on top of another)
        if (w, e) not in shown:
            shown.add((w, e))
            axes.annotate(f"{t:g}", (e, w), textcoords="offset points", xytext=(4, 4), fontsize=7)
    for threshold, label, color in (
        (results.recommended_threshold, "recommended", "#e76f51"),
        (results.current_threshold, "current", "#f4a261"),
    ):
        point = min(curve, key=lambda p: abs(p[0] - threshold))
        axes.scatter(
            [point[2]],
            [point[1]],
            s=120,
            facecolors="none",
            edgecolors=color,
            linewidths=2,
            label=f"{label} {threshold:g}",
            zorder=3,
        )
    axes.set_xlabel("escalation rate")
    axes.set_ylabel("wrong answers sent (rate)")
    axes.set_title("Low-confidence threshold: wrong answers vs escalations")
    axes.legend()
    return _png(figure)


def charts(results: GoldenResults) -> dict[str, str]:
    """Title -> base64 PNG of every chart."""
    return {
        "Score distributions": chart_distributions(results),
        "Calibration: confidence vs correctness": chart_calibration(results),
        "Per-category recall": chart_categories(results),
        "Escalation threshold trade-off": chart_tradeoff(results),
    }


def _html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
  padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} img{max-width:100%} code{background:#f4f4f4;padding:1px 4px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}
figure{margin:0} figcaption{font-weight:600;margin-bottom:.25rem}
"""


def render_html(results: GoldenResults) -> str:
    """The report as one self-contained HTML page (charts inline as data: URLs)."""
    figures = "".join(
        f"<figure><figcaption>{html.escape(title)}</figcaption>"
        f'<img alt="{html.escape(title)}" src="data:image/png;base64,{png}"></figure>'
        for title, png in charts(results).items()
    )
    fails = failing(results)
    sections = [
        "<h1>supportbot golden-set report</h1>",
        f"<p>Run {html.escape(results.started_at)} in {results.seconds:g} s; "
        + html.escape(", ".join(f"{k}={v}" for k, v in results.config.items()))
        + "</p>",
        "<h2>Headline</h2>",
        _html_table(["metric", "value"], _headline_rows(results)),
        f"<p>Recommended escalation threshold: <code>{html.escape(recommendation(results))}"
        f"</code> (current {results.current_threshold:g}).</p>",
        f'<h2>Charts</h2><div class="charts">{figures}</div>',
        "<h2>Retrieval</h2>",
        _html_table(
            ["mode", *next(iter(results.retrieval.values())).keys()],
            [[mode, *values.values()] for mode, values in results.retrieval.items()],
        ),
        "<h2>Answers</h2>",
        _html_table(
            ["set", *results.answers.keys()],
            [
                [name, *(values.get(k, "") for k in results.answers)]
                for name, values in {"all": results.answers, **results.answers_by_set}.items()
            ],
        ),
        "<h2>Escalation detectors</h2>",
        _html_table(["metric", "value"], list(results.escalation.items())),
        "<h2>Threshold trade-off</h2>",
        _html_table(
            ["low_confidence", "wrong answers sent", "escalations"],
            [[t, w, e] for t, w, e in results.tradeoff],
        ),
        f"<h2>Failing answer cases ({len(fails)})</h2>",
        _html_table(
            ["id", "question", "why", "gold", "cited", "retrieved", "conf", "answer"],
            [
                [
                    o.case.id,
                    " / ".join([*o.case.history, o.case.question]),
                    failure_line(o),
                    ", ".join(o.case.gold_doc_ids) or "-",
                    ", ".join(o.cited) or "-",
                    ", ".join(o.retrieved) or "-",
                    "" if o.confidence is None else round(o.confidence, 3),
                    o.text or "-",
                ]
                for o in fails
            ],
        ),
        f"<h2>Retrieval misses, hybrid top 5 ({len(results.retrieval_misses)})</h2>",
        _html_table(
            ["id", "question", "gold", "retrieved"],
            [
                [m.id, m.question, ", ".join(m.gold), ", ".join(m.ranked)]
                for m in results.retrieval_misses
            ],
        ),
        f"<h2>Escalation detector mistakes ({len(results.escalation_errors)})</h2>",
        _html_table(
            ["expected", "label", "text", "found"],
            [
                ["escalate" if c.escalate else "answer", c.reason, c.text, "; ".join(r) or "-"]
                for c, r in results.escalation_errors
            ],
        ),
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>supportbot golden-set report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>\n"
    )
