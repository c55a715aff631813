"""Urgent safety (medical emergency, self-harm, threats of violence) always reaches a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.handoff.escalator import meaning_detectors
from escalation.config import EscalationConfig
from escalation.detectors import MeaningDetectors
from escalation.rules import load_rules
from escalation.types import Priority, Reason, Signals
from retrieval.interfaces import Embedder

# Written for this test (none is in evals/datasets/): 51 phrasings in five languages.
CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "urgent_safety.jsonl").read_text().splitlines()
    if line.strip()
]

# Ordinary support messages that share words with the urgent rules.
ORDINARY = [
    "my parcel was left at the hospital reception where I work",
    "does the knife block come with a sharpener?",
    "the tent collapsed in the first bit of wind",
    "your agent cut me off in the middle of the call",
    "these shipping prices are killing me",
    "can I return the first aid kit if it's unopened?",
    "do Life Insurance pay for accidental overdose",
    "I'll be home after 5, can the driver come then?",
]


@pytest.fixture(scope="module")
def detectors(embedder: Embedder) -> MeaningDetectors:
    topics = load_rules()
    return meaning_detectors(EscalationConfig(), embedder, topics)


def test_the_list_is_varied() -> None:
    assert len(CASES) >= 40
    assert {c["kind"] for c in CASES} == {"medical", "self_harm", "violence"}
    assert {c["lang"] for c in CASES} >= {"en", "es", "fr", "de", "pt"}
    assert len({c["text"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_every_urgent_phrasing_is_caught(
    detectors: MeaningDetectors, embedder: Embedder, case: dict[str, str]
) -> None:
    text = case["text"]
    finding = detectors.sensitive(Signals(text=text, vector=embedder.embed_query(text)))
    assert finding is not None, text
    assert finding.reason is Reason.SENSITIVE_TOPIC
    assert finding.priority is Priority.URGENT, finding.detail


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_are_not_urgent(
    detectors: MeaningDetectors, embedder: Embedder, text: str
) -> None:
    finding = detectors.sensitive(Signals(text=text, vector=embedder.embed_query(text)))
    assert finding is None or finding.priority is not Priority.URGENT, finding.detail
