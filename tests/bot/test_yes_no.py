"""Yes or no first, decided conservatively on hand-made sentences (issue #16)."""

from __future__ import annotations

import pytest

from bot.answering.yes_no import asks_yes_no, same_question, yes_or_no


@pytest.mark.parametrize(
    "question",
    [
        "can I return a gift card?",
        "do you ship to mexico",
        "is it free?",
        "are there fees?",
        "does Plus include returns?",
        "will my card be charged?",
        "hi, so do you ship to Canada?",
    ],
)
def test_yes_no_questions(question: str) -> None:
    assert asks_yes_no(question)


@pytest.mark.parametrize(
    "question",
    [
        "what's your return window?",
        "how do I reset my password?",
        "where is my order?",
        "is it standard or express?",
    ],
)
def test_other_questions(question: str) -> None:
    assert not asks_yes_no(question)


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("do you ship to mexico?", "Brightcart ships to the United States, Canada and Mexico."),
        ("can I pay with PayPal?", "We accept: Visa, Mastercard, PayPal and Apple Pay."),
        ("can I return an unopened kettle?", "Unopened kettles can be returned within 30 days."),
        # The condition is the question's own.
        (
            "is standard shipping free with plus?",
            "With Plus, standard shipping is free on every order.",
        ),
    ],
)
def test_yes_when_the_sentence_affirms_with_the_asked_terms(question: str, sentence: str) -> None:
    assert yes_or_no(question, sentence) == "Yes"


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("can I return a gift card?", "Gift cards can't be returned for a refund."),
        ("can I return gift cards?", "Items you can't return: perishable food, gift cards."),
        # Some of a kind, the asked one listed by name.
        (
            "can gift cards be returned?",
            "Some items can't be returned for hygiene, safety or legal reasons: Perishable "
            "food, Opened personal-care items, Gift cards.",
        ),
        ("do you ship to PO boxes?", "We don't ship to PO boxes."),
        ("can I return perishable items?", "Perishable items are not eligible for return."),
        ("will I get a refund?", "There are no partial refunds for unused months."),
        ("do you ship to Europe?", "We ship to the United States, Canada and Mexico only."),
        ("do you ship to Spain?", "Sorry. We only ship to addresses in these countries."),
        ("do you ship internationally?", "Sorry. We only ship to addresses in these countries."),
        (
            "is express shipping available to Mexico?",
            "Express shipping is not available to Mexico.",
        ),
    ],
)
def test_no_when_the_sentence_negates_what_is_asked(question: str, sentence: str) -> None:
    assert yes_or_no(question, sentence) == "No"


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        # The negation is about something narrower than what was asked.
        ("do you ship to mexico?", "Express and next-day shipping are not available to Mexico."),
        # A negation that does not touch the asked words ("still good" vs "never expire").
        ("is my gift card still good?", "Gift cards never expire."),
        # A condition is neither yes nor no.
        ("can I return an opened toaster?", "Opened toasters can be returned only if defective."),
        ("can I cancel my order?", "You can cancel unless the order has shipped."),
        (
            "can I change my address after ordering?",
            "If it's been less than 1 hour, you can change the address after ordering.",
        ),
        # A condition in other words: a leading clause of time, an order amount, a kind of
        # customer.
        (
            "can i change my shipping address?",
            "Once an order has shipped, we can't change its delivery address.",
        ),
        ("is shipping free", "Express shipping, free: for Plus members on orders over $25."),
        ("is standard shipping free?", "Free: on orders of $35 or more."),
        ("is standard shipping free?", "With Plus, standard shipping is free on every order."),
        # The sentence does not mention what was asked.
        ("do you ship to Europe?", "Brightcart ships to the United States, Canada and Mexico."),
        ("can I pay with bitcoin?", "We accept Visa, Mastercard and PayPal."),
        # "Only" said of something narrower than what was asked.
        (
            "do you ship on sundays?",
            "Perishable pantry items ship Monday to Wednesday only.",
        ),
        # "Only" of something else than the place ("with standard shipping only").
        (
            "do you deliver to canada?",
            "We deliver to PO boxes and to APO/FPO/DPO addresses with standard shipping only.",
        ),
        # "Only" about a word that is not the asked place.
        ("do you deliver to mexico?", "We ship to the United States, Canada and Mexico only."),
        # A negation about part of the kind asked: most opened items can be returned.
        (
            "can i return opened items",
            "Some items can't be returned for hygiene, safety or legal reasons: Perishable "
            "food, Opened personal-care items, Gift cards.",
        ),
        # The negation denies something else than what was asked (a charge, not cancelling):
        # "can I cancel my order?" got "No." before "You can change or cancel an order ...".
        (
            "can I cancel my order?",
            "You aren't charged for a cancelled order: your card is only charged when an order "
            "ships.",
        ),
        # A negative question: yes and no would be ambiguous.
        ("can't I return food?", "Perishable food can't be returned."),
        # Not a yes/no question.
        ("what cards do you take?", "We accept Visa and Mastercard."),
    ],
)
def test_unsure_gives_no_prefix(question: str, sentence: str) -> None:
    assert yes_or_no(question, sentence) == ""


def test_same_question_needs_every_faq_word() -> None:
    assert same_question("can I pick a delivery day?", "Can I pick a delivery day?")
    assert not same_question(
        "do you ship to mexico?", "Do you ship outside the US, Canada and Mexico?"
    )
