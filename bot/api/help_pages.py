"""Rendering shared by the public help-center pages: templates, headers, HTTP caching.

The pages run no script at all (CSP `script-src` is absent, so `default-src 'none'` forbids
every script) and load only their own style sheet; article HTML is sanitised before it gets
here and everything else is autoescaped by jinja2.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.api.routes.console import TEMPLATES_DIR, asset_url
from bot.helpcenter.help_portal import DEFAULT_LOCALE

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# Pages may be kept a minute by browsers and shared caches, then revalidated by ETag.
CACHE_OK = "public, max-age=60"
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "de": "Deutsch"}


def in_language(path: str, locale: str) -> str:
    """`path` for readers of `locale` (the default language needs no parameter)."""
    return path if locale == DEFAULT_LOCALE else f"{path}?lang={quote(locale)}"


def category_url(slug: str, locale: str = DEFAULT_LOCALE) -> str:
    """The page of a category in a language."""
    return in_language(f"/help/c/{quote(slug, safe='')}", locale)


templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)
templates.globals |= {
    "asset_url": asset_url,
    "category_url": category_url,
    "in_language": in_language,
}
templates.filters["language"] = lambda code: LANGUAGE_NAMES.get(code, code)


def absolute(request: Request, path: str) -> str:
    """`path` on this server as an absolute URL (canonical links and the sitemap)."""
    return str(request.base_url).rstrip("/") + path


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    updated: dt.datetime | None = None,
    cache: bool = True,
    **context: Any,
) -> Response:
    """The rendered page; a cacheable 200 gets an ETag (304 when it matches) and, given
    `updated`, Last-Modified; any other page is `no-store`."""
    services = request.app.state.services
    html = templates.get_template(template).render(
        status=status,
        company=services.settings.answer.company_name,
        **{"locale": DEFAULT_LOCALE, "lang": "", "query": "", "canonical": "", **context},
    )
    headers = dict(PAGE_HEADERS)
    if status != 200 or not cache:
        headers["Cache-Control"] = "no-store"
        return HTMLResponse(html, status_code=status, headers=headers)
    etag = '"' + hashlib.sha256(html.encode()).hexdigest()[:32] + '"'
    headers |= {"Cache-Control": CACHE_OK, "ETag": etag, "Vary": "Accept-Encoding"}
    if updated is not None:
        headers["Last-Modified"] = email.utils.format_datetime(updated.astimezone(dt.UTC), True)
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return HTMLResponse(html, headers=headers)
