"""Safe HTML for articles: an allowlist sanitiser and a markdown renderer whose output passes it.

Used by the help-center page, the editor preview and import (issue #6): whatever an editor
writes or uploads, only formatting survives; scripts, styles, frames, event handlers and
`javascript:`/`data:` URLs never reach a browser.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

__all__ = ["ALLOWED_TAGS", "clean_html", "clean_markdown", "clean_text", "render_markdown"]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "samp", "small",
        "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "u", "ul",
    }
)  # fmt: skip

_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "code": {"class"},  # markdown fences: class="language-x", filtered below
}

_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+-]{1,40}")
_OPEN_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")
_CLOSE_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_MAX_PASSES = 3

# Removed together with their content (the text of a script is not article text).
_DROPPED_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}
)

# Relative URLs (no scheme) pass through; `javascript:`, `data:`, `vbscript:` ... are removed.
_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})


def clean_html(html: str) -> str:
    """Return `html` with only allowlisted tags, attributes and URL schemes kept."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=set(_URL_SCHEMES),
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
    )


def clean_text(text: str) -> str:
    """Plain text (a title) with any markup removed and whitespace collapsed."""
    while True:
        stripped = nh3.clean(text, tags=set(), clean_content_tags=set(_DROPPED_WITH_CONTENT))
        # nh3 escapes what it keeps; plain text is escaped again wherever it is shown. An
        # unescaped "&lt;b&gt;" is markup again, so repeat until nothing changes (idempotent).
        cleaned = " ".join(html.unescape(stripped).split())
        if cleaned == text:
            return cleaned
        text = cleaned


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    # Only a fence's language class survives: page CSS classes could hide or restyle content.
    if name == "class":
        return value if _LANGUAGE_CLASS.fullmatch(value) else None
    return value


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def render_markdown(md: str) -> str:
    """Render markdown (raw HTML allowed in the source) to sanitised HTML."""
    return clean_html(_markdown().render(md))


def _clean_tag(tag: str) -> str:
    """One inline HTML tag of markdown (open, close, comment...) in its clean form, or ''."""
    closing = _CLOSE_TAG.fullmatch(tag)
    if closing:
        name = closing.group(1).lower()
        return f"</{name}>" if name in ALLOWED_TAGS else ""
    opening = _OPEN_TAG.match(tag)
    if not opening or opening.group(1).lower() not in ALLOWED_TAGS:
        return ""  # comments, declarations, processing instructions, disallowed tags
    # nh3 closes the lone open tag it is given; the markdown keeps its own closing tag.
    return clean_html(tag).removesuffix(f"</{opening.group(1).lower()}>")


def _block_lines(lines: list[str], start: int, cleaned: str, first: str) -> list[str]:
    # Keep the container prefix ("> ", list indent) that markdown-it stripped from the block.
    at = lines[start].find(first.lstrip()) if first.strip() else -1
    prefix = lines[start][:at] if at > 0 else ""
    rest = re.sub(r"[^>\s]", " ", prefix)
    out = [(prefix if i == 0 else rest) + line for i, line in enumerate(cleaned.splitlines())]
    return [line + "\n" for line in out] or [prefix.rstrip() + "\n"]


def _html_edits(md: str) -> dict[tuple[int, int], list[str]]:
    """New source lines for each line range whose raw HTML is not clean yet."""
    lines = md.splitlines(keepends=True)
    edits: dict[tuple[int, int], list[str]] = {}
    for token in _markdown().parse(md):
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "html_block":
            cleaned = clean_html(token.content.strip())
            if cleaned != token.content.strip():
                first = token.content.splitlines()[0]
                edits[(start, end)] = _block_lines(lines, start, cleaned, first)
        elif token.type == "inline":
            region = edits.get((start, end)) or lines[start:end]
            text = "".join(region)
            for child in token.children or []:
                if child.type == "html_inline" and _clean_tag(child.content) != child.content:
                    # Every copy in this paragraph (or table row) is replaced: the same raw
                    # tag inside a code span there is cleaned too, never left executable.
                    text = text.replace(child.content, _clean_tag(child.content))
            if text != "".join(lines[start:end]):
                edits[(start, end)] = text.splitlines(keepends=True)
    return edits


def clean_markdown(md: str) -> str:
    """Markdown whose raw HTML fragments are replaced by their clean_html form; all else kept."""
    for _ in range(_MAX_PASSES):
        edits = _html_edits(md)
        if not edits:
            return md
        lines = md.splitlines(keepends=True)
        for (start, end), new in sorted(edits.items(), reverse=True):
            lines[start:end] = new
        md = "".join(lines)
    # Cleaning exposed new markup (a removed comment joined two halves of a tag): keep the
    # rendered, cleaned HTML, which markdown passes through unchanged.
    return render_markdown(md) if _html_edits(md) else md
