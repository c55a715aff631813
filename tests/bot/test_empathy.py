"""Which feeling a message shows, how it is acknowledged, and what takes a request back."""

from __future__ import annotations

import pytest

from bot.answering.empathy import Feeling, Reading, acknowledgement, read_feeling
from bot.handoff.waiting import (
    accepts_offer,
    declines_offer,
    general_question,
    wants_to_cancel,
)

APOLOGIES = ("sorry", "apolog", "siento", "lo lamento", "disculp", "perdón")


@pytest.mark.parametrize(
    ("text", "feeling"),
    [
        ("this is the THIRD time I ask, absolutely ridiculous", Feeling.ANGER),
        ("I'm so frustrated, the app keeps logging me out", Feeling.ANGER),
        ("estoy harta, nadie me contesta", Feeling.ANGER),
        ("WHERE IS MY ORDER, I PAID TWO WEEKS AGO", Feeling.ANGER),
        ("this is such crap", Feeling.ANGER),
        ("really disappointed, the gift for my mum arrived broken", Feeling.SADNESS),
        ("qué pena, el regalo llegó roto y era para el cumple de mi hija", Feeling.SADNESS),
        ("I'm worried someone used my card, there are charges I don't know", Feeling.WORRY),
        ("me preocupa que me hayan hackeado la cuenta", Feeling.WORRY),
        ("the tracking link says no information found. is this some kind of scam??", Feeling.WORRY),
        ("worst store ever, I hate this", Feeling.ANGER),
        ("I need this urgently, the wedding is on saturday", Feeling.URGENCY),
        ("es urgente, necesito cambiar la dirección hoy mismo", Feeling.URGENCY),
    ],
)
def test_the_feeling_comes_from_the_words(text: str, feeling: Feeling) -> None:
    reading = read_feeling(text)
    assert reading is not None and reading.feeling is feeling, reading


@pytest.mark.parametrize(
    "text",
    [
        "how long does express shipping take?",
        "¿cuánto tarda el envío a Canarias?",
        "I'm not worried, just wondering when the refund arrives",
        "no estoy enfadado, solo quiero saber dónde está mi pedido",
    ],
)
def test_a_calm_message_gets_no_acknowledgement(text: str) -> None:
    assert read_feeling(text) is None


def test_a_charged_message_without_feeling_words_is_acknowledged_as_frustration() -> None:
    reading = read_feeling("hello?? my order 5512 still nothing", charged=True)
    assert reading == Reading(Feeling.ANGER)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("I typed the wrong address and I'm so frustrated, can it still be changed??", "en"),
        ("my mistake, I ordered the wrong size, really disappointed", "en"),
        ("me equivoqué de talla y estoy muy frustrada", "es"),
        ("puse mal la dirección, es urgente", "es"),
    ],
)
def test_the_customers_own_mistake_gets_reassurance_not_an_apology(text: str, locale: str) -> None:
    reading = read_feeling(text)
    assert reading is not None and reading.own_mistake
    said = acknowledgement(reading, locale).lower()
    assert not any(word in said for word in APOLOGIES), said
    assert said.startswith("no worries" if locale == "en" else "no te preocupes"), said


def test_one_sentence_per_feeling_and_language() -> None:
    for feeling in Feeling:
        for own in (False, True):
            english = acknowledgement(Reading(feeling, own), "en")
            spanish = acknowledgement(Reading(feeling, own), "es-MX")
            assert english != spanish
            for said in (english, spanish):
                assert said.endswith(".") and said.count(".") == 1, said
    # A language without wording falls back to English rather than staying silent.
    assert acknowledgement(Reading(Feeling.WORRY), "fr") == acknowledgement(
        Reading(Feeling.WORRY), "en"
    )


@pytest.mark.parametrize(
    "text",
    [
        "never mind, the bot solved it",
        "nvm found it",
        "ok all good now thanks",
        "I figured it out, no need anymore",
        "ya está resuelto, gracias",
        "el bot ya lo resolvió",
        "ya no hace falta, gracias",
        "cancel the request please",
    ],
)
def test_cancel_phrases(text: str) -> None:
    assert wants_to_cancel(text)


@pytest.mark.parametrize(
    "text",
    [
        "cancel my order please",
        "is it solved?",
        "how do I cancel my subscription",
        "ya pagué pero el pedido no llegó",
        "never mind the address, the real problem is that I was charged twice for the same "
        "order and nobody answers my emails",
    ],
)
def test_not_cancel_phrases(text: str) -> None:
    assert not wants_to_cancel(text)


@pytest.mark.parametrize(
    ("text", "declines"),
    [
        ("no", True),
        ("No thanks!", True),
        ("no, thank you", True),
        ("nope, I’m good", True),
        ("nah that's fine", True),
        ("not now, thanks", True),
        ("no gracias", True),
        ("ahora no, estoy bien", True),
        ("no, I want a person", False),
        ("no thanks, I'll wait for the agent to tell me about my refund", False),
        ("no?", False),
        ("not sure", False),
        ("yes please", False),
    ],
)
def test_turning_down_the_offer_of_a_person(text: str, declines: bool) -> None:
    assert declines_offer(text) is declines


@pytest.mark.parametrize(
    ("text", "accepts"),
    [
        ("yes", True),
        ("Yes please!", True),
        ("sure, thanks", True),
        ("ok go ahead", True),
        ("yeah that would be great", True),
        ("sí, por favor", True),
        ("claro", True),
        ("yes?", False),
        ("yes, how long do refunds take", False),
        ("no thanks", False),
        ("ok so where is my order", False),
    ],
)
def test_taking_up_the_offer_of_a_person(text: str, accepts: bool) -> None:
    assert accepts_offer(text) is accepts


@pytest.mark.parametrize(
    ("text", "general"),
    [
        ("can I pay with paypal?", True),
        ("how long do refunds take to reach my card", True),
        ("¿cuántos días tengo para devolver algo?", True),
        ("se puede pagar con paypal", True),
        ("my order number is 55-1093 if that helps", False),
        ("the parcel for order 88123 was left at the wrong door, can you check?", False),
        ("mi pedido #4471 llegó abierto, me mandan otro?", False),
        ("thanks, I'll wait", False),
    ],
)
def test_what_the_bot_may_answer_while_a_customer_waits(text: str, general: bool) -> None:
    assert general_question(text) is general


def test_a_four_digit_order_number_is_the_customers_own_case() -> None:
    assert not general_question("mi pedido 4471 llegó abierto, me pueden mandar otro?")
