"""Replies an agent can insert with one click, made from the articles the bot answered from.

Issue 17, item 5: each suggestion is the article's title, a short passage in whole sentences
and the link to its help-center page; the console puts the text in the reply box, it never
sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.grounding import split_sentences
from bot.answering.passages import help_url
from bot.conversations.models import Role, Turn

MAX_SUGGESTIONS = 3
PASSAGE_CHARS = 320


@dataclass(frozen=True, slots=True)
class SuggestedReply:
    """A reply built from one cited article."""

    article_id: str
    title: str
    passage: str
    url: str
    text: str


def _passage(snippet: str) -> str:
    """Whole sentences of the snippet, as many as fit (a cut-off last sentence is dropped)."""
    said = [s for s in split_sentences(snippet) if not s.endswith(("…", "..."))]
    picked: list[str] = []
    for sentence in said:
        if picked and len(" ".join([*picked, sentence])) > PASSAGE_CHARS:
            break
        picked.append(sentence)
    return " ".join(picked)


def suggested_replies(turns: Sequence[Turn], base_url: str) -> list[SuggestedReply]:
    """One suggestion per article the bot cited, most recently cited first; `base_url` makes
    the help-center link absolute (the customer's widget runs on another site)."""
    seen: dict[str, SuggestedReply] = {}
    for turn in reversed(turns):
        if turn.role is not Role.BOT:
            continue
        for citation in turn.citations:
            passage = _passage(citation.snippet)
            if citation.article_id in seen or not passage:
                continue
            url = base_url.rstrip("/") + help_url(citation.article_id)
            text = f"{passage}\n\nMore in our help center: {citation.title} – {url}"
            seen[citation.article_id] = SuggestedReply(
                citation.article_id, citation.title, passage, url, text
            )
    return list(seen.values())[:MAX_SUGGESTIONS]
