"""Follow-ups on the shipped help center (kb_content/): a subject it does not cover is refused
honestly, covered ones are answered (issue 16). Real embedder, Chroma and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from bot.settings import Settings
from bot.wiring import Services, build_services
from retrieval.interfaces import Embedder
from tests.bot.test_responder import ask

KB_CONTENT = Path(__file__).parents[2] / "kb_content"
CANADA = "how long does shipping to Canada take?"
PAYMENT = "which payment methods do you accept?"


@pytest.fixture(scope="module")
def services(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    built = build_services(Settings(data_dir=tmp_path_factory.mktemp("sample")), embedder=embedder)
    built.kb.ingest_path(KB_CONTENT)
    yield built
    anyio.run(built.aclose)


@pytest.mark.parametrize(
    ("first", "follow_up", "subject"),
    [(CANADA, "what about Spain?", "Spain"), (PAYMENT, "and Klarna?", "Klarna")],
)
def test_an_uncovered_subject_is_refused_not_answered_with_a_neighbour(
    services: Services, first: str, follow_up: str, subject: str
) -> None:
    _, turn = ask(services, first, follow_up)
    assert turn.kind == "refusal" and turn.meta["uncovered"] == [subject]
    assert f"couldn't find anything about {subject} in the Brightcart help center" in turn.text
    assert "Mexico" not in turn.text and "$" not in turn.text and not turn.citations


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"),
    [
        (CANADA, "what about Mexico?", "7–14 business days"),
        (CANADA, "and how much does it cost?", "CA$14.99"),
        (PAYMENT, "what about PayPal?", "PayPal"),
    ],
)
def test_covered_follow_ups_are_answered(
    services: Services, first: str, follow_up: str, expected: str
) -> None:
    _, turn = ask(services, first, follow_up)
    assert turn.kind == "answer" and expected in turn.text
