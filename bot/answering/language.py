"""Guesses the language of a customer message (stop-word counts; short texts give None)."""

from __future__ import annotations

import re

_MARKERS = {
    "en": "the and is are you your my i to of it do does how what can not with for this "
    "that".split(),
    "es": "el la los las que de y es mi mis por para como cómo qué no con un una tengo puedo "
    "quiero dónde cuándo está pedido hola gracias cuánto cuánta cuántos cuesta cuestan envío "
    "envían necesito hay pero también ayuda tienen".split(),
    "fr": "le la les et est je mon ma mes pour avec une un pas comment quoi où vous suis".split(),
    "de": "der die das und ist ich mein meine nicht wie was wo mit für ein eine sie bin".split(),
    "pt": "o a os as e é meu minha não com para um uma como onde você está eu".split(),
    "it": "il lo la gli le e è mio mia non con per un una come dove sono che".split(),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Only Spanish opens a question or an exclamation with "¿" or "¡": as telling as two words.
_SPANISH_MARKS = re.compile(r"[¿¡]")
MARK_WEIGHT = 2


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the likely language, or None when the text is too short to tell."""
    words = _WORD.findall(text.lower())
    if len(words) < 2:
        return None
    scores = {lang: sum(w in markers for w in words) for lang, markers in _MARKERS.items()}
    if _SPANISH_MARKS.search(text):
        scores["es"] += MARK_WEIGHT
    best = max(scores, key=lambda lang: scores[lang])
    runner_up = max(v for lang, v in scores.items() if lang != best)
    if scores[best] < 2 or scores[best] <= runner_up:
        return None
    return best
