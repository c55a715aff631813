"""Safe HTML for articles: an allowlist sanitiser and a markdown renderer whose output passes it.

Used by the help-center page, the editor preview and import (issue #6): whatever an editor
writes or uploads, only formatting survives; scripts, styles, frames, event handlers and
`javascript:`/`data:` URLs never reach a browser.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

__all__ = ["ALLOWED_TAGS", "clean_html", "render_markdown"]

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
