"""`supportbot eval answers`, the answer metrics, the judge and the report on tiny data."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.cli.main import main
from bot.errors import LLMError
from bot.settings import Settings
from evals.answers_eval import (
    AnswerCase,
    AnswerOutcome,
    evaluate_answers,
    load_answer_cases,
    summarise_answers,
)
from evals.errors import DatasetError
from evals.judge import Judge, Source, parse_verdict, render_prompt
from evals.metrics import (
    calibration_bins,
    citation_hit,
    cosine,
    escalation_tradeoff,
    expected_calibration_error,
    mean,
    precision_recall,
    recommend_threshold,
)
from retrieval.cached_embedder import CachedEmbedder
from retrieval.interfaces import Embedder, Vectors
from tests.conftest import FIXTURES, KB_FIXTURE
from tests.fakes import ScriptedLLM

EVAL = FIXTURES / "eval"
QUESTIONS: list[dict[str, object]] = [
    {
        "id": "a1",
        "question": "I forgot my password, how do I get a reset link?",
        "gold_doc_ids": ["reset-password"],
        "answer": "Use 'Forgot password?' on the sign-in page to get a reset link by email.",
        "category": "account",
    },
    {
        "id": "a2",
        "question": "how long does standard shipping take?",
        "gold_doc_ids": ["shipping-times"],
        "answer": "Standard shipping takes a few business days.",
        "category": "shipping",
    },
    {
        "id": "d1",
        "history": ["how do I return an item?"],
        "question": "and when will I get my money back?",
        "gold_doc_ids": ["refund-timing"],
        "category": "returns",
    },
    {
        "id": "u1",
        "question": "do you price match walmart if I send a screenshot?",
        "answerable": False,
        "gold_doc_ids": [],
        "category": "unanswerable",
    },
    {
        "id": "u2",
        "question": "what is the capital of mongolia",
        "answerable": False,
        "category": "unanswerable",
    },
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)


@pytest.fixture
def shared_embedder(monkeypatch: pytest.MonkeyPatch, embedder: Embedder) -> Iterator[Embedder]:
    """The CLI builds its embedder; hand it the session's instead of loading another."""
    monkeypatch.setattr("retrieval.factory.build_embedder", lambda *_: embedder)
    yield embedder


# -- pure metrics against hand-computed values ------------------------------------------


def test_mean_cosine_and_citation_hit() -> None:
    assert mean([]) == 0.0
    assert mean([1.0, 2.0, 6.0]) == 3.0
    assert cosine([1.0, 0.0], [1.0, 0.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [0.0, 2.0]) == pytest.approx(0.0)
    assert cosine([1.0, 1.0], [1.0, 0.0]) == pytest.approx(1 / math.sqrt(2))
    assert cosine([0.0, 0.0], [1.0, 0.0]) == 0.0
    assert citation_hit(["a", "b"], {"b", "z"}) == 1.0
    assert citation_hit([], {"b"}) == 0.0


def test_precision_recall() -> None:
    truth = [True, True, False, False, True]
    predicted = [True, False, True, False, True]
    # tp=2, fp=1, fn=1
    assert precision_recall(truth, predicted) == pytest.approx((2 / 3, 2 / 3))
    assert precision_recall([False], [False]) == (0.0, 0.0)


def test_calibration_bins_and_ece() -> None:
    confidences = [0.1, 0.15, 0.55, 0.95, 1.0]
    correct = [False, True, True, True, False]
    bins = calibration_bins(confidences, correct, bins=2)
    assert bins == [
        pytest.approx((0.0, 0.5, 0.125, 0.5, 2)),
        pytest.approx((0.5, 1.0, 2.5 / 3, 2 / 3, 3)),
    ]
    expected = 2 / 5 * abs(0.5 - 0.125) + 3 / 5 * abs(2 / 3 - 2.5 / 3)
    assert expected_calibration_error(confidences, correct, bins=2) == pytest.approx(expected)
    assert expected_calibration_error([], []) == 0.0


def test_escalation_tradeoff_and_recommendation() -> None:
    confidences = [0.9, 0.5, 0.2, None, 0.1]
    wrong = [False, True, True, False, False]
    anyway = [False, False, False, True, False]
    curve = escalation_tradeoff(confidences, wrong, anyway, [0.0, 0.3, 0.6])
    # t=0.0: escalations = case 4 only; wrong sent = cases 2, 3
    # t=0.3: escalations = 3, 4, 5; wrong sent = case 2
    # t=0.6: escalations = 2, 3, 4, 5; wrong sent = none
    assert curve == [
        pytest.approx((0.0, 2 / 5, 1 / 5)),
        pytest.approx((0.3, 1 / 5, 3 / 5)),
        pytest.approx((0.6, 0.0, 4 / 5)),
    ]
    # costs with wrong_cost 3: 1.4, 1.2, 0.8 -> 0.6; with wrong_cost 1: 0.6, 0.8, 0.8 -> 0.0
    assert recommend_threshold(curve, 3.0) == pytest.approx((0.6, 0.8))
    assert recommend_threshold(curve, 1.0)[0] == 0.0
    with pytest.raises(ValueError):
        recommend_threshold([])


def _outcome(
    case: AnswerCase, kind: str, cited: tuple[str, ...] = (), **extra: object
) -> AnswerOutcome:
    values: dict[str, object] = {
        "text": "x",
        "confidence": 0.5,
        "grounded_ratio": None,
        "top_relevance": 0.5,
        "handoff": False,
        "handoff_before_answer": False,
        "handoff_reasons": (),
        "history_handoff": False,
        "ms": 10.0,
    }
    values.update(extra)
    return AnswerOutcome(case=case, kind=kind, cited=cited, **values)  # type: ignore[arg-type]


def test_summary_of_hand_made_outcomes() -> None:
    gold = AnswerCase("a", "q", gold_doc_ids=("g",), reference="r")
    other = AnswerCase("b", "q", gold_doc_ids=("g",))
    unanswerable = AnswerCase("u", "q", answerable=False)
    outcomes = [
        _outcome(gold, "answer", ("g", "x"), grounded_ratio=1.0, similarity=0.8, ms=10.0),
        _outcome(other, "answer", ("x",), grounded_ratio=0.5, ms=20.0),
        _outcome(other, "refusal", ms=30.0, handoff=True, handoff_reasons=("low_confidence",)),
        _outcome(unanswerable, "refusal", ms=40.0, handoff=True, handoff_reasons=("emotion",)),
        _outcome(unanswerable, "answer", ("x",), grounded_ratio=0.0, ms=50.0),
    ]
    summary = summarise_answers(outcomes)
    assert summary["n"] == 5
    assert summary["citation_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["answer_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["answer_similarity"] == pytest.approx(0.8)
    assert summary["grounded_ratio"] == pytest.approx(0.5)
    # refusals predicted: cases 3 and 4; truly unanswerable: 4 and 5
    assert summary["refusal_precision"] == pytest.approx(0.5)
    assert summary["refusal_recall"] == pytest.approx(0.5)
    assert summary["escalation_rate"] == pytest.approx(0.4)
    # wrong answers not escalated: case 2 (no gold cited) and case 5 (answered unanswerable)
    assert summary["wrong_answer_rate"] == pytest.approx(0.4)
    assert summary["wrong_answer_shown_rate"] == pytest.approx(0.4)  # neither was handed off
    shown_then_handed_off = replace(outcomes[1], handoff=True)
    after = summarise_answers([outcomes[0], shown_then_handed_off, *outcomes[2:]])
    assert after["wrong_answer_rate"] == pytest.approx(0.2)
    assert after["wrong_answer_shown_rate"] == pytest.approx(0.4)  # the customer still read it
    assert summary["p50_ms"] == 30.0
    assert summary["p95_ms"] == pytest.approx(48.0)
    assert outcomes[0].correct and not outcomes[1].correct and outcomes[3].correct
    assert outcomes[2].escalated_anyway is False  # low confidence only: threshold-driven
    assert outcomes[3].escalated_anyway is True  # emotion: whatever the threshold
    assert "judge_faithfulness" not in summary
    assert summary["citation_accuracy_answered"] == pytest.approx(0.5)  # cases 1 and 2
    only_unanswerable = summarise_answers(outcomes[3:])
    assert "refusal_precision" not in only_unanswerable  # nothing that should be answered
    assert "citation_accuracy" not in only_unanswerable and "answer_rate" not in only_unanswerable
    assert only_unanswerable["refusal_recall"] == 0.5


def test_caching_embedder_returns_the_models_vectors_once(embedder: Embedder) -> None:
    calls: list[int] = []

    class Counting:
        model_id = embedder.model_id
        dimension = embedder.dimension

        def embed_documents(self, texts: Sequence[str]) -> Vectors:
            calls.append(len(texts))
            return embedder.embed_documents(texts)

        def embed_query(self, text: str) -> Vectors:
            calls.append(1)
            return embedder.embed_query(text)

    cached = CachedEmbedder(Counting(), max_texts=None)
    first = cached.embed_documents(["refund", "shipping", "refund"])
    again = cached.embed_documents(["shipping", "returns"])
    assert calls == [2, 1]  # distinct texts only, each once
    direct = embedder.embed_documents(["refund", "shipping", "returns"])
    assert np.allclose(first, direct[[0, 1, 0]], atol=1e-5)
    assert np.allclose(again, direct[[1, 2]], atol=1e-5)
    assert cached.embed_documents([]).shape == (0, embedder.dimension)
    query = cached.embed_query("where is my parcel")
    query[0] = 99.0  # callers cannot spoil the cache
    assert cached.embed_query("where is my parcel")[0] != 99.0
    assert calls == [2, 1, 1]
    assert cached.model_id == embedder.model_id


def test_load_answer_cases(tmp_path: Path, questions: Path) -> None:
    cases = load_answer_cases(questions)
    assert [c.id for c in cases] == ["a1", "a2", "d1", "u1", "u2"]
    assert cases[2].history == ("how do I return an item?",)
    assert cases[3].answerable is False and cases[3].gold_doc_ids == ()
    assert cases[0].reference.startswith("Use 'Forgot")
    assert cases[0].dataset == "questions"
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "x", "question": "q", "answerable": "no"}])
    with pytest.raises(DatasetError, match="answerable"):
        load_answer_cases(bad)


# -- the judge ----------------------------------------------------------------------------


def test_judge_prompt_renders_and_parses() -> None:
    prompt = render_prompt("q?", "an answer [1]", [Source(1, "Title", "passage")], "ref")
    assert "QUESTION:\nq?" in prompt and "[1] Title\npassage" in prompt and "REFERENCE" in prompt
    assert "REFERENCE" not in render_prompt("q?", "a", [], "")
    assert "(no sources were cited)" in render_prompt("q?", "a", [], "")
    verdict = parse_verdict('Sure: {"faithfulness": 4, "relevance": 5, "reason": "ok"}')
    assert verdict is not None and (verdict.faithfulness, verdict.relevance) == (4, 5)
    assert parse_verdict("no json") is None
    assert parse_verdict('{"faithfulness": 9, "relevance": 5}') is None


def test_judge_scores_with_a_scripted_model() -> None:
    import anyio

    model = ScriptedLLM('{"faithfulness": 5, "relevance": 3, "reason": "partial"}', LLMError("x"))
    judge = Judge(model)
    first = anyio.run(judge.score, "q", "a", [Source(1, "T", "p")], "")
    assert first is not None and first.relevance == 3 and first.reason == "partial"
    assert anyio.run(judge.score, "q", "a", [], "") is None


# -- the command on tiny data ---------------------------------------------------------------


def test_evaluate_answers_on_the_fixture_kb(embedder: Embedder, questions: Path) -> None:
    report = evaluate_answers(Settings(), embedder, [questions], kb_dir=KB_FIXTURE)
    summary = report.summary
    assert summary["n"] == 5 and summary["answerable_n"] == 3 and summary["unanswerable_n"] == 2
    by_id = {o.case.id: o for o in report.outcomes}
    assert by_id["a1"].kind == "answer" and "reset-password" in by_id["a1"].cited
    assert by_id["a1"].similarity is not None and by_id["a1"].similarity > 0.5
    assert by_id["a1"].grounded_ratio is not None
    assert by_id["u2"].refused
    assert summary["citation_accuracy"] >= 2 / 3
    assert summary["refusal_recall"] >= 0.5
    for key in ("answer_similarity", "grounded_ratio", "escalation_rate", "refusal_precision"):
        assert 0.0 <= summary[key] <= 1.0
    assert summary["p95_ms"] >= summary["p50_ms"] > 0
    for outcome in report.outcomes:
        if not outcome.correct:
            assert outcome.retrieved, "failing cases carry what was retrieved"


def test_cli_answers_json_with_docs(
    shared_embedder: Embedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[dict[str, object]] = [
        {
            "id": "q1",
            # Calm wording: the emotion scorer reads "my head pounds ... hurts" as distress.
            "question": "what is a throbbing one-sided headache with sensitivity to light",
            "gold_doc_ids": ["d3"],
            "answer": "It sounds like a migraine: a throbbing one-sided headache.",
        },
        {"id": "q2", "question": "who won the football world cup in 1954", "answerable": False},
    ]
    qs = write_jsonl(tmp_path / "q.jsonl", rows)
    args = ["eval", "answers", "--docs", str(EVAL / "docs.jsonl"), "--questions", str(qs)]
    assert main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 2 and summary["citation_accuracy"] == 1.0
    assert {"refusal_precision", "refusal_recall", "p50_ms", "escalation_rate"} <= set(summary)


def test_cli_answers_table_with_kb_and_judge_note(
    shared_embedder: Embedder, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", "answers", "--kb", str(KB_FIXTURE), "--questions", str(questions)]
    assert main([*args, "--judge", "--show-failures"]) == 0
    captured = capsys.readouterr()
    assert "judge metrics skipped" in captured.err
    assert captured.out.splitlines()[0].split()[0] == "n"
    assert "citation_accuracy" in captured.out


def test_cli_answers_needs_one_source(capsys: pytest.CaptureFixture[str], questions: Path) -> None:
    with pytest.raises(SystemExit):
        main(["eval", "answers", "--questions", str(questions)])
    assert "--docs" in capsys.readouterr().err


def test_cli_answers_missing_kb_is_a_clear_error(
    shared_embedder: Embedder, tmp_path: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", "answers", "--kb", str(tmp_path / "nope"), "--questions", str(questions)]
    assert main(args) == 2
    assert "no such KB folder" in capsys.readouterr().err
