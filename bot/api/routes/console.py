"""The agent console: the page at /agent and the static files under /static.

The page is a jinja2 template with plain ES modules and CSS (no build step). It talks to the agent
API (`/api/agent/...`) and the agent WebSocket (`/ws/agent`); everything a customer, the
bot or an agent wrote is rendered as text by the script, never as HTML.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response
from starlette.types import Scope

BOT_DIR = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = BOT_DIR / "web" / "templates"
STATIC_DIR = BOT_DIR / "web" / "static"
STATIC_PATH = "/static"
# The chat widget's message renderer (a markdown subset built as DOM nodes, never HTML): the
# console shows each message as the customer saw it (issue 17, item 5).
MESSAGE_RENDERER = BOT_DIR.parent / "web_widget" / "render.js"

# The page loads only its own scripts and style sheet; no inline code, no third parties.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

router = APIRouter(tags=["console"], include_in_schema=False)
_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


@lru_cache(maxsize=32)
def _fingerprint(name: str, mtime_ns: int) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def asset_url(name: str) -> str:
    """`/static/<name>?v=<content hash>`, so a new release is never served from a stale cache."""
    path = STATIC_DIR / name
    return f"{STATIC_PATH}/{name}?v={_fingerprint(name, path.stat().st_mtime_ns)}"


_templates.globals["asset_url"] = asset_url


def staff_page(request: Request, template: str, script: str, style: str) -> HTMLResponse:
    """A staff page (`template` extends staff.html) with its fingerprinted script and style."""
    services = getattr(request.app.state, "services", None)
    company = services.settings.answer.company_name if services is not None else "supportbot"
    page = _templates.get_template(template).render(
        company=company, script_url=asset_url(script), style_url=asset_url(style)
    )
    return HTMLResponse(page, headers=PAGE_HEADERS)


@router.get("/agent", response_class=HTMLResponse)
async def agent_console(request: Request) -> HTMLResponse:
    """The agent console (log in, live queue, ticket context, reply, notes)."""
    return staff_page(request, "agent.html", "agent/main.js", "agent.css")


@router.get("/agent/render.js")
async def message_renderer() -> FileResponse:
    """The widget's message renderer, imported by the console's module (revalidated on use)."""
    return FileResponse(
        MESSAGE_RENDERER,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


class StaffFiles(StaticFiles):
    """`bot/web/static`, revalidated on every use (ETag): a page's ES modules import each other by
    plain path, and only the entry carries a content fingerprint, so a module cached from an
    older release must never be mixed with a newer one."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_static(app: FastAPI) -> None:
    """Serve `bot/web/static` at /static (the router includes it already; for apps without it)."""
    if not any(getattr(route, "path", None) == STATIC_PATH for route in app.router.routes):
        app.mount(STATIC_PATH, StaffFiles(directory=STATIC_DIR), name="static")


router.mount(STATIC_PATH, StaffFiles(directory=STATIC_DIR), name="static")
