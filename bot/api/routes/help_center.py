"""The public help-center page of one article: `GET /help/{article_id}` (HTML).

Bot citations link here. The published version is rendered from markdown through the
sanitiser; an unpublished or deleted article answers 410 and an unknown one 404, both as
pages a customer can act on (never a raw error).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.api.deps import ServicesDep
from bot.api.routes.console import TEMPLATES_DIR
from bot.articles import ArticleStatus
from bot.errors import NotFound
from bot.sanitize import render_markdown

router = APIRouter(tags=["help center"], include_in_schema=False)
_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)
# Article HTML is sanitised; the page still runs no script at all and loads images only.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src https: data:; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
GONE = "This article is no longer available. It may have been replaced or retired."
MISSING = "We could not find this article. The link may be mistyped or out of date."


def _page(status: int, company: str, **context: Any) -> HTMLResponse:
    html = _templates.get_template("help_article.html").render(
        status=status, company=company, **{"article": None, "locale": "en", **context}
    )
    headers = {**PAGE_HEADERS, "Cache-Control": "no-cache" if status == 200 else "no-store"}
    return HTMLResponse(html, status_code=status, headers=headers)


@router.get("/help/{article_id}", response_class=HTMLResponse)
async def help_article(article_id: str, services: ServicesDep) -> HTMLResponse:
    """The published version of the article, or a 410 / 404 page."""
    company = services.settings.answer.company_name
    try:
        article = await services.editor.get(article_id)
    except NotFound:
        return _page(404, company, title="Article not found", message=MISSING)
    number = article.published_version
    if article.status is not ArticleStatus.PUBLISHED or number is None:
        if article.status is ArticleStatus.DRAFT:
            return _page(404, company, title="Article not found", message=MISSING)
        return _page(410, company, title="Article no longer available", message=GONE)
    live = await services.editor.version(article_id, number)
    return _page(
        200,
        company,
        title=live.content.title,
        locale=live.content.locale,
        article=live.content,
        body_html=Markup(render_markdown(live.content.body)),  # sanitised by render_markdown
        updated=live.created_at.date().isoformat(),
    )
