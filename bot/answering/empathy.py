"""One sentence that acknowledges how the customer feels, in their language (issue 17).

`read_feeling` tells which feeling a message shows (anger or frustration, sadness or
disappointment, worry or fear, urgency) from its words (escalation.emotion.FEELING_WORDS, which
the emotion detector reads too), and whether the customer says the
mistake was their own; `acknowledgement` words it. A customer's own mistake never gets an
apology ("sorry we messed up" would be false): it gets reassurance instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from escalation.emotion import FEELING_WORDS, cues


class Feeling(StrEnum):
    """The kinds of feeling the bot acknowledges."""

    ANGER = "anger"  # and frustration
    SADNESS = "sadness"  # and disappointment
    WORRY = "worry"  # and fear
    URGENCY = "urgency"


@dataclass(frozen=True, slots=True)
class Reading:
    """The feeling a message shows and whether the customer blames themselves."""

    feeling: Feeling
    own_mistake: bool = False


_LEXICON: dict[Feeling, re.Pattern[str]] = {Feeling(k): p for k, p in FEELING_WORDS.items()}

_OWN_MISTAKE = re.compile(
    r"(?<!\w)(?:"
    r"my (?:own )?(?:fault|mistake|bad|typo)"
    r"|i (?:accidentally|mistakenly|wrongly)"
    r"|(?:by|my) mistake"
    r"|i (?:typed|entered|put|wrote|chose|picked|selected|ordered|clicked|used|gave) "
    r"(?:in )?(?:the |a |an )?wrong"
    r"|i (?:made a mistake|messed up|screwed up|forgot to)"
    r"|(?:fue )?(?:mi culpa|culpa m[ií]a|error m[ií]o)"
    r"|me equivoqu[eé]"
    r"|por error"
    r"|sin querer"
    r"|(?:puse|escrib[ií]|eleg[ií]|ped[ií]|di) mal"
    r"|(?:puse|escrib[ií]|eleg[ií]) (?:la |el |una |un )?\w+ equivocad[oa]"
    r"|(?:me )?olvid[eé]"
    r")(?!\w)",
    re.IGNORECASE,
)

# First listed wins a tie: anger is the likeliest feeling of a charged support message.
_ORDER = (Feeling.ANGER, Feeling.WORRY, Feeling.SADNESS, Feeling.URGENCY)

_SAID: dict[str, dict[Feeling, str]] = {
    "en": {
        Feeling.ANGER: "I'm sorry this has been so frustrating; let's get it sorted.",
        Feeling.SADNESS: "I'm sorry to hear that, I can see how disappointing this is.",
        Feeling.WORRY: "I understand this is worrying; let's look at it together.",
        Feeling.URGENCY: "I understand this is urgent, so let's get straight to it.",
    },
    "es": {
        Feeling.ANGER: "Siento mucho que esto esté siendo tan frustrante; vamos a resolverlo.",
        Feeling.SADNESS: "Siento mucho oír eso; entiendo lo decepcionante que es.",
        Feeling.WORRY: "Entiendo que esto te preocupe; vamos a verlo juntos.",
        Feeling.URGENCY: "Entiendo que es urgente, así que vamos directo al grano.",
    },
}
# The customer's own mistake: reassurance, no apology.
_OWN: dict[str, dict[Feeling, str]] = {
    "en": {
        Feeling.ANGER: "No worries, that can happen to anyone; let's get it sorted.",
        Feeling.SADNESS: "No worries, that can happen to anyone; let's see what we can do.",
        Feeling.WORRY: "No worries, that can happen to anyone; let's look at it together.",
        Feeling.URGENCY: "No worries, that can happen to anyone; let's fix it right away.",
    },
    "es": {
        Feeling.ANGER: "No te preocupes, le puede pasar a cualquiera; vamos a resolverlo.",
        Feeling.SADNESS: "No te preocupes, le puede pasar a cualquiera; veamos qué podemos hacer.",
        Feeling.WORRY: "No te preocupes, le puede pasar a cualquiera; vamos a verlo juntos.",
        Feeling.URGENCY: "No te preocupes, le puede pasar a cualquiera; vamos a arreglarlo ya.",
    },
}


def read_feeling(text: str, *, charged: bool = False) -> Reading | None:
    """The feeling to acknowledge in `text`: the one its words name most, else anger when the
    emotion detector found the message charged or it swears or shouts; None when calm."""
    text = text.replace("\u2019", "'")
    counts = {feeling: len(pattern.findall(text)) for feeling, pattern in _LEXICON.items()}
    best = max(_ORDER, key=lambda feeling: counts[feeling])
    if not counts[best]:
        found = cues(text)
        if not (charged or found.profanity or found.shouting):
            return None
        best = Feeling.SADNESS if found.distress and not found.profanity else Feeling.ANGER
    return Reading(best, own_mistake=bool(_OWN_MISTAKE.search(text)))


def acknowledgement(reading: Reading, locale: str) -> str:
    """The one sentence for `reading` in `locale` (English when the locale has no wording)."""
    tables = _OWN if reading.own_mistake else _SAID
    return tables.get(locale.split("-")[0].lower(), tables["en"])[reading.feeling]
