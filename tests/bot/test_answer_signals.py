"""The signals each turn records about its chances before answering (issue 16)."""

from __future__ import annotations

import pytest

from bot.answering.answer_signals import SIGNALS, signals
from bot.answering.coverage import coverage
from retrieval.types import SearchResult
from tests.fakes import search_result

RESET = search_result(
    "reset-password",
    0.9,
    title="Reset your password",
    text="The reset link is valid for 30 minutes and works once. Request a new link if it expired.",
)
CHANGE_EMAIL = search_result(
    "change-email",
    0.35,
    title="Change your email address",
    text="We send a confirmation link to the new address. The link is valid for 24 hours.",
)
GIFT_CARDS = search_result(
    "gift-cards",
    0.55,
    title="Gift cards",
    text="Gift cards never expire. You can check the balance of a gift card at checkout.",
)


def _signals(question: str, results: list[SearchResult]) -> dict[str, float]:
    return signals(question, results, coverage(question, results))


def test_a_clear_winner_that_mentions_the_question() -> None:
    heard = _signals("how long is my password reset link valid?", [RESET, CHANGE_EMAIL])
    assert tuple(heard) == SIGNALS
    assert heard["top_relevance"] == 0.9 and heard["relevance_gap"] == pytest.approx(0.55)
    assert heard["coverage"] == 1.0 and heard["top_coverage"] == 1.0
    assert heard["focus_terms"] == pytest.approx(4 / 8)  # password, reset, link, valid


def test_the_best_article_can_miss_what_the_others_mention() -> None:
    heard = _signals("is my gift card reset link still valid?", [GIFT_CARDS, RESET])
    assert heard["coverage"] == 1.0 and heard["top_coverage"] < 1.0


def test_no_results_give_nothing_to_answer_from() -> None:
    heard = _signals("do you offer gift wrapping?", [])
    assert heard["top_relevance"] == heard["top_cosine"] == heard["top_coverage"] == 0.0


def test_a_keyword_score_is_capped_like_a_cosine() -> None:
    heard = _signals("gift cards", [GIFT_CARDS])  # the fake's chunk score is 1
    assert heard["top_cosine"] == 1.0 and heard["cosine_gap"] == 1.0
