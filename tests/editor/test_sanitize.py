"""clean_html, clean_markdown and render_markdown against real XSS payloads (issue #6)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bot.helpcenter.sanitize import (
    ALLOWED_TAGS,
    clean_html,
    clean_markdown,
    clean_text,
    render_markdown,
)

# Payloads from the OWASP XSS filter evasion cheat sheet and common scanner lists.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<style>@import 'http://xss.example/xss.css';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onmouseover="alert(1)">hover</p>',
    "<details open ontoggle=alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<input autofocus onfocus=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="http://xss.example/x.css">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    "<<script>alert(1)//<</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<a href="java\nscript:alert(1)">x</a>',
]

_SAFE_URL = re.compile(r"(https?:|mailto:|[^:]*$)", re.IGNORECASE)


class _Audit(HTMLParser):
    """Collects what a browser would build from the markup: tags, attributes, URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                self.problems.append(f"attribute {name}")
            if name in {"href", "src", "action", "xlink:href"} and not _SAFE_URL.match(
                (value or "").strip()
            ):
                self.problems.append(f"url {value}")


def assert_safe(html: str) -> None:
    """Fail when `html` would give a browser a script, handler, style or unsafe URL."""
    audit = _Audit()
    audit.feed(html)
    audit.close()
    assert not audit.problems, (audit.problems, html)
    assert "<script" not in html.lower()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_clean_html_neutralises_payload(payload: str) -> None:
    cleaned = clean_html(payload)
    assert_safe(cleaned)
    # Sanitising is idempotent: a second pass changes nothing.
    assert clean_html(cleaned) == cleaned


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_markdown_neutralises_raw_html(payload: str) -> None:
    html = render_markdown(f"# Title\n\nSome text.\n\n{payload}\n\nMore *text* {payload}\n")
    assert_safe(html)
    assert "<h1>Title</h1>" in html


def test_formatting_is_kept() -> None:
    html = (
        "<h2>Steps</h2><p><strong>Bold</strong>, <em>it</em>, <code>x</code></p>"
        '<ul><li>one</li></ul><ol start="3"><li>three</li></ol>'
        '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td colspan="2">1</td></tr>'
        "</tbody></table><blockquote>q</blockquote><pre><code>c</code></pre>"
    )
    assert clean_html(html) == html


@pytest.mark.parametrize(
    "href",
    ["https://brightcart.example/returns", "http://x.example/", "mailto:help@x.example",
     "/help/returns", "returns#window", "#top"],
)  # fmt: skip
def test_safe_links_are_kept(href: str) -> None:
    cleaned = clean_html(f'<a href="{href}" target="_blank">x</a>')
    assert f'href="{href}"' in cleaned
    assert "target" not in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned


def test_images_keep_http_sources_only() -> None:
    assert clean_html('<img src="https://cdn.example/a.png" alt="A">') == (
        '<img src="https://cdn.example/a.png" alt="A">'
    )
    assert clean_html('<img src="/static/a.png">') == '<img src="/static/a.png">'
    assert "src" not in clean_html('<img src="data:image/png;base64,AAAA">')


def test_classes_only_for_code_languages() -> None:
    assert clean_html('<p class="hidden">x</p>') == "<p>x</p>"
    assert clean_html('<code class="language-bash">ls</code>') == (
        '<code class="language-bash">ls</code>'
    )
    assert clean_html('<code class="language-x hidden">ls</code>') == "<code>ls</code>"


def test_script_text_is_removed_not_shown() -> None:
    assert clean_html("<p>a</p><script>steal()</script><style>p{}</style>") == "<p>a</p>"


def test_render_markdown_formats() -> None:
    html = render_markdown(
        "## Refunds\n\n1. Open **Orders**\n2. Click [Return](/help/returns)\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n```bash\nls\n```\n"
    )
    assert "<h2>Refunds</h2>" in html
    assert "<li>Open <strong>Orders</strong></li>" in html
    assert '<a href="/help/returns" rel="noopener noreferrer nofollow">Return</a>' in html
    assert "<td>1</td>" in html
    assert "<s>old</s>" in html
    assert '<code class="language-bash">ls' in html


def test_render_markdown_refuses_javascript_links() -> None:
    html = render_markdown("[click](javascript:alert(1)) ![i](data:image/png;base64,AA)")
    assert_safe(html)
    assert "<a " not in html
    assert "data:" not in html


def test_render_markdown_escapes_plain_text() -> None:
    assert render_markdown("1 < 2 & 3 > 2") == "<p>1 &lt; 2 &amp; 3 &gt; 2</p>\n"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_clean_markdown_leaves_no_raw_html_to_render(payload: str) -> None:
    source = f"# Title\n\nText {payload} more.\n\n{payload}\n\n> {payload}\n\n- {payload}\n"
    stored = clean_markdown(source)
    # Even a renderer that trusts raw HTML (no second clean) produces safe markup.
    assert_safe(MarkdownIt("commonmark", {"html": True}).render(stored))
    assert clean_markdown(stored) == stored
    assert stored.startswith("# Title\n\nText ")


def test_clean_markdown_keeps_clean_sources_byte_for_byte() -> None:
    for path in sorted((Path(__file__).parents[2] / "kb_content").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert clean_markdown(text) == text, path


def test_clean_markdown_cleans_only_the_html() -> None:
    source = (
        "## Steps\n\nPress <kbd>Ctrl</kbd> then <b onclick='x()'>Save</b>.\n\n"
        "<script>\nsteal()\n</script>\n\n> <div onclick=1>quoted</div>\n\n"
        "| a | b |\n|---|---|\n| <i onmouseover=1>x</i> | `code` |\n"
    )
    assert clean_markdown(source) == (
        "## Steps\n\nPress <kbd>Ctrl</kbd> then <b>Save</b>.\n\n\n\n> <div>quoted</div>\n\n"
        "| a | b |\n|---|---|\n| <i>x</i> | `code` |\n"
    )


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Evil <script>alert(1)</script> title", "Evil title"),
        ("Returns &amp; refunds", "Returns & refunds"),
        ("Returns & refunds", "Returns & refunds"),
        ("a &lt;img src=x onerror=alert(1)&gt; b", "a b"),
        ("¿Cómo  devolver un pedido?", "¿Cómo devolver un pedido?"),
    ],
)
def test_clean_text_strips_markup_from_titles(title: str, expected: str) -> None:
    assert clean_text(title) == expected
    assert clean_text(expected) == expected
