"""Recognises messages that are only small talk (greetings, "how are you?", thanks, goodbyes,
a sum to work out)."""

from __future__ import annotations

import re
from typing import Literal

SmallTalk = Literal["greeting", "thanks", "goodbye", "off_topic"]

_PATTERNS: dict[SmallTalk, re.Pattern[str]] = {
    "greeting": re.compile(
        r"^((hi+|hello|hey+|hiya|yo|good (morning|afternoon|evening)|howdy|hola|buenas( tardes| "
        r"noches)?|buenos d[ií]as|hi there|hello there)( there)?( (team|bot|all))?)?"
        r"( ?(how are (you|u)( doing)?( today)?|how'?s it going|how do you do|qu[eé] tal|"
        r"c[oó]mo est[aá]s))?$"
    ),
    "thanks": re.compile(
        r"^((ok(ay)?|great|perfect|cool|awesome|got it|perfecto|vale|genial),? )?"
        r"(thanks?( you)?( so much| a lot)?|thx|ty|cheers|many thanks|that helps|that helped|"
        r"muchas gracias|gracias)( for (the|your) help)?$"
    ),
    "goodbye": re.compile(r"^(bye|goodbye|bye bye|see you|that'?s all|adi[oó]s|hasta luego|chao)$"),
}


# "what's 2+2?", "calculate 15% of 80", "cuánto es 3 por 4": testing the bot, not a question about
# the shop. It was answered from the two-step verification article ("2SV"), with confidence.
_NUMBER = r"\d{1,6}(?:[.,]\d+)?%?"
_ARITHMETIC = re.compile(
    r"^(?:(?:what'?s|whats|what is|how much is|calculate|compute|solve|cu[aá]nto es)\s*)?"
    rf"\(?{_NUMBER}\)?(?:\s*(?:[+*/×÷^x]|plus|minus|times|divided by|of|m[aá]s|menos|por|entre)"
    rf"\s*\(?{_NUMBER}\)?)+\s*=?\s*\??$"
)


def classify(text: str) -> SmallTalk | None:
    """The kind of small talk when the whole message is small talk, else None."""
    if _ARITHMETIC.match(text.lower().strip().lstrip("¿¡")):
        return "off_topic"
    cleaned = re.sub(r"[^\w\s']", " ", text.lower())
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned or len(cleaned) > 60:
        return None
    for kind, pattern in _PATTERNS.items():
        if pattern.match(cleaned):
            return kind
    return None
