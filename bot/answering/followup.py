"""Turns a follow-up question into a standalone search query (heuristic; the LLM does better)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.conversations.models import Role, Turn
from retrieval.stopwords import content_terms

_CONNECTOR = re.compile(
    r"^(and|also|but|so|what about|how about|what if|ok and|okay and|then|same for|y|pero|"
    r"también|tambien|y si|qué pasa si|entonces)\b",
    re.IGNORECASE,
)
# "ok, and ...", "yeah my card expired": a reply to the bot's last answer, which it continues.
_ACKNOWLEDGES = re.compile(
    r"^(ok|okay|alright|all right|cool|yeah|yep|got it|i see|hmm|oh|ah|vale|bueno|ya)\b[\s,.!:;-]*",
    re.IGNORECASE,
)
_ANAPHORA = re.compile(
    r"\b(it|its|that|this|those|these|they|them|there|one|ones|the same|he|she|him|her|his|"
    r"hers|eso|esto|ese|esa|lo|la|él|ella)\b",
    re.IGNORECASE,
)
# A question with a pronoun and at most this many content words leans on the earlier ones.
_ANAPHORA_TERMS = 4


def opens_with_connector(question: str) -> bool:
    """The question opens like "and ...", "what about ...", "¿y ...?" (after an "ok," or
    "yeah"): it continues the last one."""
    text = question.strip().lstrip("¿¡").lstrip()
    return bool(_CONNECTOR.match(_ACKNOWLEDGES.sub("", text, count=1).lstrip("¿¡")))


def acknowledges(question: str) -> bool:
    """The message opens by taking in the bot's last answer ("ok did that but ...")."""
    return bool(_ACKNOWLEDGES.match(question.strip().lstrip("¿¡").lstrip()))


def needs_context(question: str) -> bool:
    """True when the question leans on earlier turns (a connector or an "ok", a pronoun, very
    few words)."""
    terms = content_terms(question)
    if opens_with_connector(question) or acknowledges(question):
        return True
    if len(terms) <= 1:
        return True
    return bool(_ANAPHORA.search(question)) and len(terms) <= _ANAPHORA_TERMS


def last_topic(earlier: Sequence[Turn]) -> str:
    """The title of the article the bot's latest answer cited first ("" when it cited none).

    A follow-up usually continues that topic, which the customer's own words may not name
    ("how long to Canada?" answered from the shipping article, then "and the cost?").
    """
    for turn in reversed(earlier):
        if turn.role is Role.BOT:
            return turn.citations[0].title if turn.citations else ""
        if turn.role is Role.AGENT:  # a person answered since: the bot's topic is stale
            return ""
    return ""


def standalone_query(
    question: str, earlier_customer_messages: Sequence[str], topic: str = ""
) -> str:
    """The question, prefixed with the latest earlier customer message and the topic of the
    bot's last answer when it needs context."""
    if earlier_customer_messages and needs_context(question):
        prefix = earlier_customer_messages[-1]
        if topic and not set(content_terms(topic)) <= set(content_terms(prefix)):
            prefix = f"{prefix} {topic}"
        return f"{prefix} {question}"
    return question
