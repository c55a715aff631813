"""The help-center editor page at /editor (jinja2 template, plain JS and CSS in bot/static).

The page talks to the editor API (`/api/editor/...`) with an agent session of the editor or
admin role. Text from the server is rendered by the script as text; the only HTML it inserts
is the article preview, sanitised by the server (`bot/sanitize.py`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.api.routes.console import PAGE_HEADERS, TEMPLATES_DIR, asset_url

router = APIRouter(tags=["editor"], include_in_schema=False)
_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"])
)


@router.get("/editor", response_class=HTMLResponse)
async def editor_page(request: Request) -> HTMLResponse:
    """The editor: articles, live preview, try it, versions, import/export, gaps, stale."""
    services = getattr(request.app.state, "services", None)
    company = services.settings.answer.company_name if services is not None else "supportbot"
    page = _templates.get_template("editor.html").render(
        company=company, script_url=asset_url("editor.js"), style_url=asset_url("editor.css")
    )
    return HTMLResponse(page, headers=PAGE_HEADERS)
