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
_ANAPHORA = re.compile(
    r"\b(it|its|that|this|those|these|they|them|there|one|ones|the same|eso|esto|ese|esa|lo|la)\b",
    re.IGNORECASE,
)


def opens_with_connector(question: str) -> bool:
    """The question opens like "and ...", "what about ...", "¿y ...?": it continues the last one."""
    return bool(_CONNECTOR.match(question.strip().lstrip("¿¡").lstrip()))


def needs_context(question: str) -> bool:
    """True when the question leans on earlier turns (a connector, a pronoun, very few words)."""
    terms = content_terms(question)
    if opens_with_connector(question):
        return True
    if len(terms) <= 1:
        return True
    return bool(_ANAPHORA.search(question)) and len(terms) <= 3


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
