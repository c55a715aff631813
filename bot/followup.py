"""Turns a follow-up question into a standalone search query (heuristic; the LLM does better)."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def needs_context(question: str) -> bool:
    """True when the question leans on earlier turns (a connector, a pronoun, very few words)."""
    terms = content_terms(question)
    if _CONNECTOR.match(question.strip()):
        return True
    if len(terms) <= 1:
        return True
    return bool(_ANAPHORA.search(question)) and len(terms) <= 3


def standalone_query(question: str, earlier_customer_messages: Sequence[str]) -> str:
    """The question, prefixed with the latest earlier customer message when it needs context."""
    if earlier_customer_messages and needs_context(question):
        return f"{earlier_customer_messages[-1]} {question}"
    return question
