"""The help-center editor page at /editor (jinja2 template, plain JS and CSS in bot/web/static).

The page talks to the editor API (`/api/editor/...`) with an agent session of the editor or
admin role. Text from the server is rendered by the script as text; the only HTML it inserts
is the article preview, sanitised by the server (`bot/helpcenter/sanitize.py`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.api.routes.console import staff_page

router = APIRouter(tags=["editor"], include_in_schema=False)


@router.get("/editor", response_class=HTMLResponse)
async def editor_page(request: Request) -> HTMLResponse:
    """The editor: articles, live preview, try it, versions, import/export, gaps, stale."""
    return staff_page(request, "editor.html", "editor/main.js", "editor.css")
