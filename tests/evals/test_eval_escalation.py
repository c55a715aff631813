"""`supportbot eval escalation` on a tiny labelled set, and the binary metrics."""

from __future__ import annotations

import json

import pytest

from bot.cli.main import main
from evals.escalation_eval import binary_metrics
from tests.conftest import FIXTURES


def test_binary_metrics_by_hand() -> None:
    metrics = binary_metrics([True, True, False, False, True], [True, False, True, False, True])
    assert (metrics["tp"], metrics["fp"], metrics["fn"], metrics["tn"]) == (2, 1, 1, 1)
    assert metrics["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["accuracy"] == 0.6


def test_eval_escalation_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "eval" / "escalation.jsonl"
    assert main(["eval", "escalation", "--messages", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"precision", "recall", "f1", "accuracy", "n"}
    assert report["n"] == 4 and report["accuracy"] == 1.0
