"""`supportbot eval escalation`: the message-level detectors on labelled messages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.wiring import build_detectors
from escalation.config import EscalationConfig
from escalation.types import Signals
from evals.cases import rows_of
from evals.errors import DatasetError
from retrieval.interfaces import Embedder


@dataclass(frozen=True, slots=True)
class EscalationCase:
    """A message and whether it must reach a person."""

    text: str
    escalate: bool
    reason: str = ""


def load_escalation_cases(path: Path) -> list[EscalationCase]:
    """Rows `{"text", "escalate": bool}` (other keys ignored)."""
    cases = []
    for where, row in rows_of(path):
        text, label = row.get("text"), row.get("escalate")
        if not isinstance(text, str) or not text.strip() or not isinstance(label, bool):
            raise DatasetError(f"{where}: needs 'text' (non-empty) and 'escalate' (true/false)")
        cases.append(EscalationCase(text, label, str(row.get("reason") or "")))
    return cases


def binary_metrics(truth: list[bool], predicted: list[bool]) -> dict[str, float]:
    """Precision, recall, F1, accuracy, n and the confusion counts."""
    counts = Counter(zip(truth, predicted, strict=True))
    tp, fp, fn, tn = (
        counts[True, True],
        counts[False, True],
        counts[True, False],
        counts[False, False],
    )
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "accuracy": round((tp + tn) / len(truth), 4) if truth else 0.0,
        "n": len(truth),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def evaluate_escalation(
    path: Path, embedder: Embedder, config: EscalationConfig
) -> tuple[dict[str, float], list[tuple[EscalationCase, list[str]]]]:
    """Metrics, and each case with the reasons found (for listing mistakes)."""
    cases = load_escalation_cases(path)
    detectors = build_detectors(config, embedder)
    vectors = embedder.embed_documents([c.text for c in cases])
    found = []
    for case, vector in zip(cases, vectors, strict=True):
        findings = detectors.message_findings(Signals(text=case.text, vector=vector))
        found.append((case, [f.detail for f in findings]))
    metrics = binary_metrics([c.escalate for c in cases], [bool(r) for _, r in found])
    return metrics, found
