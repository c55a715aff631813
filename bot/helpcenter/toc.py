"""Anchors and a table of contents for an article's sanitised HTML (help-center pages).

Runs on `render_markdown` output, whose headings carry no attributes (the sanitiser allows
none on them). A `#` heading in a body becomes `<h2>`: the page's title is its only `<h1>`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

_HEADING = re.compile(r"<h([1-3])>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Ids the page itself uses; a heading never takes one of them.
PAGE_IDS: frozenset[str] = frozenset({"main", "toc", "related", "helpful", "search", "q"})


@dataclass(frozen=True, slots=True)
class Heading:
    """One entry of the table of contents: level 2 or 3, its text and its anchor."""

    level: int
    text: str
    anchor: str


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:60].strip("-") or "section"


def with_anchors(body_html: str) -> tuple[str, list[Heading]]:
    """The HTML with an `id` on every h1-h3 (h1 demoted to h2), and its headings in order."""
    taken = set(PAGE_IDS)
    headings: list[Heading] = []

    def anchor(match: re.Match[str]) -> str:
        level = max(2, int(match.group(1)))
        inner = match.group(2)
        text = " ".join(html.unescape(_TAG.sub("", inner)).split())
        base = _slug(text)
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        if text:
            headings.append(Heading(level, text, name))
        return f'<h{level} id="{name}">{inner}</h{level}>'

    return _HEADING.sub(anchor, body_html), headings
