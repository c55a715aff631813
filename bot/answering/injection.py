"""Recognises attempts to give the bot instructions instead of asking a question."""

from __future__ import annotations

import re

from bot.answering.grounding import split_sentences
from retrieval.stopwords import content_terms

_PATTERNS = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+|previous\s+|prior\s+|"
    r"above\s+|earlier\s+)*(instructions|rules|prompts?|guidelines)"
    r"|(system|hidden|initial|developer)\s+(prompt|message|instructions)"
    r"|(reveal|print|show|repeat|output)\s+(me\s+)?(your|the)\s+(instructions|prompt|rules)"
    r"|\b(you\s+are\s+now|from\s+now\s+on\s+you\s+are|pretend\s+(to\s+be|you\s+are)|"
    r"act\s+as\s+(a|an|my)|role-?play|jailbreak|DAN\s+mode|developer\s+mode)"
    r"|(other|another)\s+(customer|user|person)(s|'s|s')?\s+(data|orders?|emails?|details|"
    r"addresses|conversations?|accounts?)"
    r"|ignora\s+(las\s+)?instrucciones",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """True when the message tries to change the bot's rules or extract hidden data."""
    return bool(_PATTERNS.search(text))


def instructions_only(text: str) -> bool:
    """True when nothing but instruction-like sentences is left to answer."""
    return looks_like_injection(text) and len(content_terms(without_injection(text))) < 3


def without_injection(text: str) -> str:
    """The message without its instruction-like sentences (what is left may be a question)."""
    kept = [s for s in split_sentences(text) if not looks_like_injection(s)]
    return " ".join(kept)
