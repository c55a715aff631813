"""The embeddable chat widget (`/widget.js`) and the demo host page (`/`).

`web_widget/` holds plain ES modules (importable by `node --test`) and `widget.css`. The browser
gets one classic script: the modules concatenated in dependency order inside one closure, their
`import` lines dropped and `export` keywords removed, with the CSS inlined as `WIDGET_CSS`. So
top-level names must be unique across the modules (declared at the start of a line, which the
bundler checks), and only `export function|const|class` forms are used. Whole-line comments
(`/** ... */` blocks and `// ...` lines) are dropped to stay within the size budget, so no string
or template literal may have a line starting with them. The bundle is rebuilt when a source file
changes and cached otherwise.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

WIDGET_DIR = Path(__file__).resolve().parents[3] / "web_widget"
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")

# Dependency order: every module comes after the modules it imports.
MODULES = (
    "sse.js",
    "api.js",
    "store.js",
    "render.js",
    "i18n.js",
    "theme.js",
    "config.js",
    "socket.js",
    "session.js",
    "view.js",
    "suggestions.js",
    "nps.js",
    "widget.js",
    "loader.js",
)
STYLESHEET = "widget.css"

_IMPORT = re.compile(r"^import\s*\{[^}]*\}\s*from\s*'\./([\w-]+\.js)';[ \t]*\n", re.MULTILINE)
_EXPORT = re.compile(r"^export (?=(?:async )?function|const |class )", re.MULTILINE)
_LEFTOVER = re.compile(r"^\s*(?:import|export)\b", re.MULTILINE)
_TOP_LEVEL_NAME = re.compile(
    r"^(?:(?:async )?function\*?|const|let|class)\s+([\w$]+)", re.MULTILINE
)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_JS_COMMENT_LINES = re.compile(
    r"^[ \t]*(?:/\*\*(?:(?!\*/).)*\*/|//[^\n]*)[ \t]*\n", re.DOTALL | re.MULTILINE
)

router = APIRouter(include_in_schema=False)


class BundleError(ValueError):
    """A widget source file breaks the bundling conventions (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class Bundle:
    """The served script: plain and gzip-compressed bytes, and its ETag."""

    body: bytes
    gzipped: bytes
    etag: str


def _module(name: str, source: str, before: set[str], names: dict[str, str]) -> str:
    for dependency in _IMPORT.findall(source):
        if dependency not in before:
            raise BundleError(f"{name} imports {dependency}, which must come earlier in MODULES")
    code = _JS_COMMENT_LINES.sub("", _EXPORT.sub("", _IMPORT.sub("", source)))
    if leftover := _LEFTOVER.search(code):
        line = code.count("\n", 0, leftover.start()) + 1
        raise BundleError(f"{name}:{line}: unsupported import/export form for the bundler")
    # In one closure a second `function x` would silently replace the first.
    for declared in _TOP_LEVEL_NAME.findall(code):
        if declared in names:
            raise BundleError(
                f"{name} declares {declared!r}, already declared in {names[declared]}"
            )
        names[declared] = name
    return f"// ---- {name} ----\n{code}"


def bundle_source(widget_dir: Path = WIDGET_DIR) -> str:
    """The widget as one script (text)."""
    css = " ".join(_CSS_COMMENT.sub("", (widget_dir / STYLESHEET).read_text("utf-8")).split())
    parts = ["(() => {", "'use strict';", f"const WIDGET_CSS = {json.dumps(css)};"]
    before: set[str] = set()
    names: dict[str, str] = {"WIDGET_CSS": "the bundler"}
    for name in MODULES:
        parts.append(_module(name, (widget_dir / name).read_text("utf-8"), before, names))
        before.add(name)
    parts.append("})();\n")
    return "\n".join(parts)


@lru_cache(maxsize=1)
def _build(widget_dir: Path, stamp: tuple[tuple[str, int, int], ...]) -> Bundle:
    body = bundle_source(widget_dir).encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:20]
    header = f"/*! supportbot widget {digest} */\n".encode()
    return Bundle(header + body, gzip.compress(header + body, mtime=0), f'"{digest}"')


def current_bundle(widget_dir: Path = WIDGET_DIR) -> Bundle:
    """The bundle, rebuilt only when a source file changed (mtime or size)."""
    stamp = tuple(
        (name, stat.st_mtime_ns, stat.st_size)
        for name in (*MODULES, STYLESHEET)
        for stat in [(widget_dir / name).stat()]
    )
    return _build(widget_dir, stamp)


@router.get("/widget.js")
def widget_script(request: Request) -> Response:
    """The embeddable widget (one script, CSS inlined), gzip-encoded when the client accepts it."""
    bundle = current_bundle()
    headers = {
        "ETag": bundle.etag,
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.headers.get("if-none-match") == bundle.etag:
        return Response(status_code=304, headers=headers)
    body = bundle.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = bundle.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/", response_class=HTMLResponse)
def demo_page(request: Request) -> HTMLResponse:
    """The Brightcart demo store, embedding the widget exactly as a customer site would."""
    return _demo(request, "home")


@router.get("/demo/checkout", response_class=HTMLResponse)
def demo_checkout(request: Request) -> HTMLResponse:
    """The demo store's checkout: the widget suggests checkout questions there (issue 21)."""
    return _demo(request, "checkout")


def _demo(request: Request, page: str) -> HTMLResponse:
    base_url = str(request.base_url).rstrip("/")
    return TEMPLATES.TemplateResponse(request, "demo.html", {"base_url": base_url, "page": page})
