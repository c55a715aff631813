"""Recognises messages that are only small talk (greetings, "how are you?", thanks, goodbyes)."""

from __future__ import annotations

import re
from typing import Literal

SmallTalk = Literal["greeting", "thanks", "goodbye"]

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


def classify(text: str) -> SmallTalk | None:
    """The kind of small talk when the whole message is small talk, else None."""
    cleaned = re.sub(r"[^\w\s']", " ", text.lower())
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned or len(cleaned) > 60:
        return None
    for kind, pattern in _PATTERNS.items():
        if pattern.match(cleaned):
            return kind
    return None
