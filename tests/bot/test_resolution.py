"""The phrases that say an answer missed, or helped (English and Spanish)."""

from __future__ import annotations

import pytest

from bot.reporting.resolution import complains, normalised, says_it_helped


@pytest.mark.parametrize(
    "text",
    [
        "That's not what I asked",
        "this doesn't help",
        "wrong answer",
        "useless",
        "you didn't read my question",
        "no es lo que pregunté",
        "no me sirve",
        "eso no es",
        "thanks, but that's not what I asked",
    ],
)
def test_complaints(text: str) -> None:
    assert complains(text)
    assert not says_it_helped(text)


@pytest.mark.parametrize(
    "text", ["Thanks, that worked!", "thank you", "perfect", "¡Gracias!", "me sirvió, gracias"]
)
def test_it_helped(text: str) -> None:
    assert says_it_helped(text)
    assert not complains(text)


@pytest.mark.parametrize(
    "text", ["How do I reset my password?", "what does the warranty not cover?", "no tracking yet"]
)
def test_questions_are_neither(text: str) -> None:
    assert not complains(text) and not says_it_helped(text)


def test_normalised_ignores_case_spacing_and_punctuation() -> None:
    assert normalised("Do you ship to  Canada?") == normalised("do you ship to canada")
