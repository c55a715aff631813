"""The customer's own item is read from where it stands in the message (issue 16)."""

from __future__ import annotations

import pytest

from bot.answering.items import item_words


@pytest.mark.parametrize(
    ("message", "words"),
    [
        (
            "my $15 spatula set came broken. do i seriously have to mail it back?",
            {"spatula", "set"},
        ),
        ("the glass mixing bowls came smashed to pieces", {"glass", "mixing", "bowls"}),
        ("bought a dutch oven, it arrived last week", {"dutch", "oven"}),
        ("want to return the engraved cutting board i got", {"engraved", "cutting", "board"}),
        ("got a set of wine glasses i never ordered", {"wine", "glasses"}),
        ("threw out the cardboard box the rug came in", {"rug"}),  # the nearest article's
        ("my mug is cracked", {"mug"}),
        ("compré una olla y no me gustó", {"olla"}),
    ],
)
def test_what_the_customer_bought_or_received_is_their_item(message: str, words: set[str]) -> None:
    assert item_words(message) == words


@pytest.mark.parametrize(
    "message",
    [
        "how long is the warranty on the vitamix blender i bought from you last year",
        "do you sell refurbished or open-box appliances for cheaper?",
        "can i get a price match",
        "how do i get a refund",
    ],
)
def test_a_thing_asked_about_is_no_item_of_the_customers(message: str) -> None:
    assert not item_words(message)
