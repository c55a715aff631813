"""Grounding: invented numbers, quantities and policies are caught; paraphrases pass."""

from __future__ import annotations

import pytest

from bot.answering.grounding import GroundingChecker, split_sentences, strip_markers
from bot.settings import GroundingConfig
from retrieval.interfaces import Embedder

PASSAGES = [
    "Select **Forgot password?** on the sign-in page and enter your email. "
    "The reset link is valid for 30 minutes and works once.",
    "Standard shipping takes 3-5 business days and costs $5.99; it is free on orders of $35 "
    "or more.",
]


@pytest.fixture(scope="module")
def checker(embedder: Embedder) -> GroundingChecker:
    return GroundingChecker(embedder, GroundingConfig())


@pytest.mark.parametrize(
    ("sentence", "passage"),
    [
        ("The reset link works for 30 minutes [1].", 0),
        ("You can reset your password from the sign-in page with Forgot password.", 0),
        ("Shipping is free on orders of $35 or more [2].", 1),
    ],
)
def test_supported_sentences_pass(checker: GroundingChecker, sentence: str, passage: int) -> None:
    verdict = checker.check(sentence, checker.prepare(PASSAGES))
    assert verdict.supported, verdict
    assert verdict.passage == passage


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("The reset link is valid for 30 days [1].", "quantity not in sources: 30 day"),
        ("Standard shipping costs $7.99.", "number not in sources: 7.99"),
        ("Returns are accepted within 90 days of purchase.", "number not in sources: 90"),
        ("We offer free overnight shipping to all customers.", "not supported"),
        ("Your account is protected by our lifetime fraud guarantee.", "not supported"),
    ],
)
def test_invented_facts_are_caught(checker: GroundingChecker, sentence: str, reason: str) -> None:
    verdict = checker.check(sentence, checker.prepare(PASSAGES))
    assert not verdict.supported
    assert reason in verdict.reason


def test_filler_is_neither_claim_nor_error(checker: GroundingChecker) -> None:
    verdict = checker.check("Sure!", checker.prepare(PASSAGES))
    assert verdict.supported and verdict.reason == "filler" and verdict.passage is None


def test_sentence_splitting_keeps_list_numbers() -> None:
    assert split_sentences("1. Open Settings. 2. Select Security.\n- Done now.") == [
        "1. Open Settings.",
        "2. Select Security.",
        "- Done now.",
    ]
    assert strip_markers("It works once [1] [3].") == ("It works once.", [1, 3])


def test_list_numbers_are_not_claims(checker: GroundingChecker) -> None:
    verdict = checker.check("1. Select Forgot password on the sign-in page.",
                            checker.prepare(PASSAGES))
    assert verdict.supported, verdict
