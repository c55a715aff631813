"""`supportbot eval retrieval` on a tiny labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import FIXTURES

EVAL = FIXTURES / "eval"
KEYS = {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "n", "p50_ms", "p95_ms"}


def test_json_report_per_mode(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "eval",
        "retrieval",
        "--docs",
        str(EVAL / "docs.jsonl"),
        "--questions",
        str(EVAL / "questions.jsonl"),
        "--mode",
        "all",
        "--json",
    ]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"hybrid", "dense", "lexical"}
    for metrics in report.values():
        assert set(metrics) == KEYS
        assert metrics["n"] == 4
        assert metrics["p50_ms"] > 0
    assert report["hybrid"]["recall@5"] == 1.0
    assert report["hybrid"]["mrr@10"] >= 0.75


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "eval",
        "retrieval",
        "--docs",
        str(EVAL / "docs.jsonl"),
        "--questions",
        str(EVAL / "questions.jsonl"),
    ]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["mode", "recall@1", "recall@5"]
    assert lines[1].startswith("hybrid")


def test_malformed_dataset_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "q1", "question": "x", "gold_doc_ids": ["d1"]}\n{not json\n')
    args = ["eval", "retrieval", "--docs", str(EVAL / "docs.jsonl"), "--questions", str(bad)]
    assert main(args) == 2
    assert f"{bad}:2: invalid JSON" in capsys.readouterr().err
