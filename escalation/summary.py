"""The extractive handoff summary: what the customer asks, what was tried, what they want.

Issue 17, item 5: agents read it at a glance, so every line is made of the customer's whole
sentences (never cut mid-sentence) and says the request, the customer's last message where it is
another one, what the bot answered from and what the customer said did not work, and what the
customer wants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

REQUEST_CHARS = 240  # whole sentences are added while the line stays this short
MAX_SENTENCE_CHARS = 400  # a longer single "sentence" (no punctuation) is cut at a word

# The reasons in the words agents read (the console's labels say the same).
REASON_WORDS = {
    "explicit_request": "asked for a person",
    "low_confidence": "low answer confidence",
    "weak_streak": "weak answers in a row",
    "emotion": "upset customer",
    "repeated_failure": "repeated failure",
    "sensitive_topic": "sensitive topic",
    "system_error": "system error",
}

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_DID_NOT_WORK = re.compile(
    r"\b(did ?n[o']?t (work|help|fix|solve)|does ?n[o']?t (work|help)|not working|still (not|no|"
    r"doesn|isn|can'?t|won'?t|broken|the same)|already (tried|did|done)|i tried|tried that|"
    r"no luck|that'?s not (it|what)|not what i|useless|wrong answer|no funciona|ya lo intent)",
    re.IGNORECASE,
)
_WANTS = re.compile(
    r"\b(i (want|need|would like|'d like|wish)|i'?d like|i'?m asking for|can (you|i|someone)|"
    r"could (you|i)|please|how (do|can) i|quiero|necesito|me gustar[ií]a)\b",
    re.IGNORECASE,
)
_ONLY_A_PERSON = re.compile(
    r"\b(person|human|agent|someone|somebody|representative|real people|operator|persona|"
    r"agente)\b",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """The sentences of `text`, whitespace collapsed."""
    parts = (" ".join(part.split()) for part in _SENTENCE_END.split(text))
    return [part for part in parts if part]


def _whole(sentence: str) -> str:
    """The sentence, or (only when it has no end in sight) its words up to the limit."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return sentence
    return sentence[:MAX_SENTENCE_CHARS].rsplit(" ", 1)[0] + " …"


def _lead(text: str, limit: int = REQUEST_CHARS) -> str:
    """The first sentences of `text`: at least one, more while they fit in `limit`."""
    said = sentences(text)
    if not said:
        return ""
    picked = [_whole(said[0])]
    for sentence in said[1:]:
        if len(" ".join([*picked, sentence])) > limit:
            break
        picked.append(sentence)
    return " ".join(picked)


def _quote(items: Sequence[str]) -> str:
    return "; ".join(f"“{item}”" for item in dict.fromkeys(items))


def _wants(customer_messages: Sequence[str], reasons: Sequence[str]) -> str:
    """The customer's latest sentence asking for something other than a person; else a person
    if they asked for one."""
    for message in reversed(customer_messages):
        for sentence in reversed(sentences(message)):
            if _WANTS.search(sentence) and not _asks_only_for_a_person(sentence):
                return f"“{_whole(sentence)}”"
    if "explicit_request" in reasons or any(
        _ONLY_A_PERSON.search(message) for message in customer_messages
    ):
        return "to talk to a person"
    return "not stated"


def _asks_only_for_a_person(sentence: str) -> bool:
    """True for "I want to talk to a person" (no other request in the sentence)."""
    if not _ONLY_A_PERSON.search(sentence):
        return False
    rest = _ONLY_A_PERSON.sub("", _WANTS.sub("", sentence))
    return not re.search(r"\b(refund|replace|cancel|exchange|order|money|return)\b", rest, re.I)


def _only_a_person(message: str) -> bool:
    """The whole message asks for a person and nothing else."""
    return _asks_only_for_a_person(" ".join(sentences(message)))


def extractive_summary(
    customer_messages: Sequence[str], tried_titles: Sequence[str], reasons: Sequence[str]
) -> str:
    """Request, what was tried, what the customer wants, why it was escalated; needs no model."""
    said = [message for message in customer_messages if message.strip()]
    request = next((m for m in said if not _only_a_person(m)), said[0] if said else "")
    lines = [f"Request: {_lead(request) or '(no message)'}"]
    last = said[-1] if said else ""
    if last != request and not _only_a_person(last):
        # A later question is often the one the bot could not answer ("what about spain?").
        lines.append(f"Last message: {_lead(last)}")
    tried = []
    if tried_titles:
        tried.append("the bot answered from " + _quote(tried_titles))
    else:
        tried.append("no help-center article matched")
    failed = [
        _whole(sentence)
        for message in said
        for sentence in sentences(message)
        if _DID_NOT_WORK.search(sentence)
    ]
    if failed:
        tried.append("the customer said " + _quote(failed))
    lines.append(f"Tried: {'; '.join(tried)}")
    lines.append(f"Wants: {_wants(said, reasons)}")
    lines.append("Escalated because: " + ", ".join(REASON_WORDS.get(r, r) for r in reasons))
    return "\n".join(lines)
