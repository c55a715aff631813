"""The quality gate and `supportbot eval all` on a tiny golden set over the fixture KB."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.settings import Settings
from evals import run_all
from evals.errors import DatasetError
from evals.gate import DEFAULT_THRESHOLDS, Thresholds, Violation, check, load_thresholds
from evals.run_all import GoldenResults, run_golden
from retrieval.interfaces import Embedder
from tests.conftest import KB_FIXTURE

TINY: dict[str, list[dict[str, object]]] = {
    "kb_questions.jsonl": [
        {
            "id": "k1",
            "question": "I forgot my password, how do I get a reset link?",
            "gold_doc_ids": ["reset-password"],
            "answer": "Use 'Forgot password?' on the sign-in page to get a reset link.",
            "category": "account",
        },
        {
            "id": "k2",
            "question": "how long does standard shipping take?",
            "gold_doc_ids": ["shipping-times"],
            "answer": "Standard shipping takes a few business days.",
            "category": "shipping",
        },
    ],
    "kb_questions_extra.jsonl": [
        {
            "id": "k3",
            "question": "when do I get my refund after returning something?",
            "gold_doc_ids": ["refund-timing"],
            "category": "returns",
        }
    ],
    "unanswerable.jsonl": [
        {"id": "u1", "question": "what is the capital of mongolia", "answerable": False},
    ],
    "dialogues.jsonl": [
        {
            "id": "d1",
            "history": ["how do I turn on two-step verification?"],
            "question": "and if I lose my phone?",
            "gold_doc_ids": ["two-step-verification"],
        }
    ],
    "iqa_sample/docs.jsonl": [
        {
            "id": "A1",
            "title": "",
            "url": "",
            "text": "Term life insurance covers you for a set "
            "number of years; whole life covers you for life and builds cash value.",
        },
        {
            "id": "A2",
            "title": "",
            "url": "",
            "text": "Renters insurance covers your belongings "
            "against theft and fire, not the building itself.",
        },
    ],
    "iqa_sample/questions.jsonl": [
        {
            "id": "q1",
            "question": "what is the difference between term and whole life insurance",
            "gold_doc_ids": ["A1"],
            "answerable": True,
        },
        {
            "id": "q2",
            "question": "does renters insurance cover my dog biting someone",
            "gold_doc_ids": [],
            "answerable": False,
        },
    ],
    "escalation.jsonl": [
        {"text": "where is my parcel?", "escalate": False, "reason": "none"},
        {"text": "let me talk to a real person now", "escalate": True, "reason": "explicit"},
    ],
}


@pytest.fixture(scope="module")
def tiny_datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("golden")
    for name, rows in TINY.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


@pytest.fixture(scope="module")
def results(embedder: Embedder, tiny_datasets: Path) -> GoldenResults:
    return run_golden(Settings(), embedder, datasets=tiny_datasets, kb_dir=KB_FIXTURE)


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, embedder: Embedder, results: GoldenResults
) -> Iterator[None]:
    """The CLI on the measured tiny results (no second run, no second model load)."""
    monkeypatch.setattr("retrieval.factory.build_embedder", lambda *_: embedder)
    monkeypatch.setattr(run_all, "run_golden", lambda *a, **k: results)
    yield


def test_golden_run_measures_every_section(results: GoldenResults) -> None:
    metrics = results.metrics()
    assert set(results.retrieval) == {"hybrid", "dense", "lexical"}
    assert metrics["retrieval.hybrid.n"] == 4  # 3 questions + 1 dialogue with gold ids
    assert metrics["answers.n"] == 5
    assert metrics["answers.answerable.n"] == 3
    assert metrics["answers.unanswerable.refusal_recall"] == 1.0
    assert (metrics["answers.iqa.answerable_n"], metrics["answers.iqa.unanswerable_n"]) == (1, 1)
    assert metrics["escalation.n"] == 2
    assert set(results.retrieval_by_category) == {"account", "shipping", "returns"}
    assert [t for t, _, _ in results.tradeoff] == list(run_all.THRESHOLDS)
    assert results.recommended_threshold in run_all.THRESHOLDS
    assert 0.0 <= metrics["calibration.ece"] <= 1.0


def test_load_thresholds_and_check(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[floors]\n"a.b" = 0.5\nc = 1\n[ceilings]\nlatency = 100\n')
    thresholds = load_thresholds(path)
    assert thresholds.floors == {"a.b": 0.5, "c": 1.0}
    assert thresholds.ceilings == {"latency": 100.0}
    found = check({"a.b": 0.4, "c": 1.0, "latency": 150.0}, thresholds)
    assert found == [
        Violation("a.b", 0.4, 0.5, "floor"),
        Violation("latency", 150.0, 100.0, "ceiling"),
    ]
    assert str(found[0]) == "a.b: 0.4, must be >= 0.5"
    missing = check({}, Thresholds({"x": 0.1}, {}))
    assert str(missing[0]) == "x: not measured (threshold 0.1)"
    for bad in ('[floors]\nx = "high"\n', "[other]\nx = 1\n", "", "[floors\n"):
        path.write_text(bad)
        with pytest.raises(DatasetError):
            load_thresholds(path)


def test_committed_thresholds_name_real_metrics(results: GoldenResults) -> None:
    thresholds = load_thresholds(DEFAULT_THRESHOLDS)
    known = set(results.metrics())
    assert set(thresholds.floors) | set(thresholds.ceilings) <= known
    assert len(thresholds.floors) >= 8


def test_gate_passes_below_and_fails_above_the_measured_value(
    cli: None, results: GoldenResults, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = results.metrics()
    names = ["retrieval.hybrid.recall@5", "answers.citation_accuracy", "escalation.f1"]
    passing = tmp_path / "pass.toml"
    passing.write_text(
        "[floors]\n" + "".join(f'"{n}" = {max(0.0, metrics[n] - 0.03):.4f}\n' for n in names)
    )
    assert main(["eval", "gate", "--thresholds", str(passing)]) == 0
    assert "quality gate passed" in capsys.readouterr().out

    raised = tmp_path / "raised.toml"
    raised.write_text(
        "[floors]\n"
        + "".join(f'"{n}" = {metrics[n] + 0.01:.4f}\n' for n in names)
        + '"answers.refusal_recall" = 0.0\n'
        + '[ceilings]\n"answers.p50_ms" = 0.001\n'
    )
    assert main(["eval", "gate", "--thresholds", str(raised)]) == 1
    err = capsys.readouterr().err
    assert "4 metric(s) out of bounds" in err
    for name in [*names, "answers.p50_ms"]:
        assert f"- {name}: " in err
    assert "refusal_recall" not in err


def test_eval_all_writes_the_report(
    cli: None, results: GoldenResults, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    assert main(["eval", "all", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"SUPPORTBOT_ESCALATION__LOW_CONFIDENCE={results.recommended_threshold:g}" in printed
    data = json.loads((out / "results.json").read_text())
    assert data["metrics"] == pytest.approx(results.metrics())
    assert len(data["cases"]) == 5 and len(data["tradeoff"]) == len(run_all.THRESHOLDS)
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4
    markdown = (out / "report.md").read_text()
    assert "## Failing cases" in markdown and "recommended" in markdown.lower()
    for outcome in results.outcomes:
        if not outcome.correct:
            assert outcome.case.id in markdown and outcome.case.id in page


def test_eval_all_end_to_end(
    monkeypatch: pytest.MonkeyPatch,
    embedder: Embedder,
    tiny_datasets: Path,
    tmp_path: Path,
) -> None:
    """The real run through the CLI (tiny datasets in place of the golden ones)."""
    monkeypatch.setattr("retrieval.factory.build_embedder", lambda *_: embedder)
    monkeypatch.setattr(
        run_all,
        "run_golden",
        functools.partial(run_golden, datasets=tiny_datasets, kb_dir=KB_FIXTURE),
    )
    assert main(["eval", "all", "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.html").stat().st_size > 10_000
