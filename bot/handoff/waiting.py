"""While a customer waits for a person: does this message take the request back, and is it
a general question the bot may answer meanwhile? (issue 17)"""

from __future__ import annotations

import re

MAX_WORDS = 14  # a longer message is a question or a story, not "never mind"

_CANCEL = re.compile(
    r"(?<!\w)(?:"
    r"never ?mind|nvm|no need(?: anymore)?"
    r"|(?:the bot|you|the assistant|it) (?:already )?(?:solved|answered|fixed|sorted) (?:it|this)"
    r"|(?:it'?s|it is|that'?s|problem|issue|all) (?:already |now )?"
    r"(?:solved|sorted|resolved|fixed|good now)"
    r"|i (?:have |'ve )?(?:already )?(?:sorted|figured|worked) it out"
    r"|i (?:found|got) (?:it|the answer)"
    r"|(?:i )?(?:no longer|don'?t|do not) need (?:a person|an agent|a human|someone|help|"
    r"anyone)(?: anymore)?"
    r"|cancel (?:the |my |this )?(?:request|handoff|wait(?:ing)?)"
    r"|ya (?:est[aá] )?(?:resuelto|solucionado|arreglado)"
    r"|ya lo (?:resolv[ií]|solucion[eé]|arregl[eé]|encontr[eé])"
    r"|(?:el bot|el asistente) (?:ya )?(?:lo )?(?:resolvi[oó]|solucion[oó]|respondi[oó])"
    r"|ya no (?:hace falta|lo necesito|necesito (?:ayuda|a nadie|una persona|un agente))"
    r"|no hace falta(?: ya)?|da igual"
    r"|cancela(?:r)? (?:la |mi )?(?:solicitud|petici[oó]n|espera)"
    r")(?!\w)",
    re.IGNORECASE,
)
# "No thanks" to the bot's "Would you like me to connect you with a person?" (a refusal's):
# the whole message, so "no, I want a person" never counts.
_DECLINES = re.compile(
    r"(?:no|nope|nah|not now|not right now|no gracias|ahora no)"
    r"(?:\W+(?:thanks|thank you|thx|ty|gracias|i'?m (?:good|fine|ok|okay)|all good"
    r"|(?:it'?s|that'?s) (?:ok|okay|fine|alright)|estoy bien|est[aá] bien))*",
    re.IGNORECASE,
)
# "Yes" to the same question, when no handoff followed it: the whole message, so "yes, but
# how do I ..." is a question of its own.
_ACCEPTS = re.compile(
    r"(?:yes|yeah|yep|yup|sure|ok|okay|please|please do|go ahead|s[ií]|claro|vale|por favor)"
    r"(?:\W+(?:please|please do|thanks|thank you|go ahead|that would be great|por favor|"
    r"gracias))*",
    re.IGNORECASE,
)
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_QUESTION = re.compile(r"\?\s*$")
_ASKS = re.compile(
    r"\?|^\W*(?:how|what|when|where|which|who|why|can|could|do|does|is|are|will|would|should|"
    r"c[oó]mo|qu[eé]|cu[aá]ndo|d[oó]nde|cu[aá]l|cu[aá]nto|cu[aá]ntos|cu[aá]nta|puedo|se puede|"
    r"hay)\b",
    re.IGNORECASE,
)
# An order, tracking or account number: only a person can look it up.
_OWN_CASE = re.compile(r"#\s*\d+|\d[\d-]{2,}\d")


def wants_to_cancel(text: str) -> bool:
    """The customer says they no longer need a person ("never mind, the bot solved it",
    "ya está resuelto"); a question or a long message never counts."""
    cleaned = text.replace("\u2019", "'").strip()
    if _QUESTION.search(cleaned) or len(cleaned.split()) > MAX_WORDS:
        return False
    return bool(_CANCEL.search(cleaned))


def declines_offer(text: str) -> bool:
    """The whole message turns down an offer ("no thanks", "nope, I'm good", "no gracias");
    a question ("no?") never does."""
    return _whole_answer(_DECLINES, text)


def accepts_offer(text: str) -> bool:
    """The whole message takes up an offer ("yes please", "sure", "sí, por favor")."""
    return _whole_answer(_ACCEPTS, text)


def _whole_answer(answer: re.Pattern[str], text: str) -> bool:
    """The whole message, punctuation aside, is `answer`; a question never is."""
    cleaned = text.replace("\u2019", "'").strip()
    return not _QUESTION.search(cleaned) and bool(answer.fullmatch(_EDGES.sub("", cleaned)))


def general_question(text: str) -> bool:
    """The message asks something the help center can answer for anyone ("can I pay with
    PayPal?"), not about the customer's own order ("order 88123 was left at the wrong door")
    or a detail for the person ("my order number is 55-1093")."""
    return bool(_ASKS.search(text.strip())) and not _OWN_CASE.search(text)
