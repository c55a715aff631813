"""The help center around the articles (issue 20): `GET /help` (home), `/help/c/{category}`,
`/help/search?q=` and `/help/sitemap.xml`.

Included before `help_center`'s `/help/{article_id}`, so these paths win; article ids cannot
contain "/" or ".", and `search` is a reserved id (`bot.helpcenter.editor.RESERVED_IDS`).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Request, Response

from bot.api.deps import ServicesDep, limit_ip
from bot.api.help_pages import absolute, category_url, in_language, page
from bot.helpcenter.help_portal import DEFAULT_LOCALE, MAX_QUERY_CHARS

router = APIRouter(tags=["help center"], include_in_schema=False)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"  # hreflang alternates (Google's sitemap extension)
_QUOTE = {'"': "&quot;"}
NO_CATEGORY = "We could not find this category. It may have been renamed or emptied."
EMPTY_QUERY = "Type a few words about your question, for example “reset my password”."
LONG_QUERY = f"Your search is too long. Please use at most {MAX_QUERY_CHARS} characters."


@router.get("/help")
async def help_home(request: Request, services: ServicesDep, lang: str = "") -> Response:
    """Categories, popular articles and the search box, in the chosen language."""
    home = await services.help_portal.home(lang)
    return page(
        request,
        "help_home.html",
        title="Help center",
        locale=home.locale,
        lang=home.locale,
        locales=home.locales,
        categories=home.categories,
        popular=home.popular,
        by_citations=home.by_citations,
        uncategorised=home.uncategorised,
        canonical=absolute(request, in_language("/help", home.locale)),
    )


@router.get("/help/search", dependencies=[Depends(limit_ip)])
async def help_search(
    request: Request, services: ServicesDep, q: str = "", lang: str = ""
) -> Response:
    """Articles for the visitor's words (the bot's retriever), or why there are none."""
    found = await services.help_portal.find(q, lang)
    context: dict[str, Any] = {
        "title": "Search the help center",
        "query": found.query,
        "lang": found.locale or "",
        "locale": found.locale or DEFAULT_LOCALE,
        "hits": found.hits,
        "message": "",
    }
    if found.too_long:
        return page(request, "help_search.html", status=400, **context | {"message": LONG_QUERY})
    if not found.query:
        return page(request, "help_search.html", cache=False, **context | {"message": EMPTY_QUERY})
    return page(request, "help_search.html", cache=False, **context)


@router.get("/help/c/{category:path}")  # a category may hold "/" (quoted in its links)
async def help_category(
    category: str, request: Request, services: ServicesDep, lang: str = ""
) -> Response:
    """The published articles of one category, or a 404 page listing the categories."""
    shown = await services.help_portal.category_page(category, lang)
    if shown.category is None:
        return page(
            request,
            "help_message.html",
            status=404,
            title="Category not found",
            message=NO_CATEGORY,
            suggestions=[],
            categories=shown.categories,
        )
    return page(
        request,
        "help_category.html",
        title=shown.category.name,
        locale=shown.locale,
        lang=shown.locale,
        category=shown.category,
        canonical=absolute(request, category_url(shown.category.slug, shown.locale)),
    )


@router.get("/help/sitemap.xml")
async def help_sitemap(request: Request, services: ServicesDep) -> Response:
    """Every public help-center page with its last change (sitemaps.org protocol); an
    article with published translations lists each language's version as an alternate."""
    site = await services.help_portal.sitemap()
    pages: list[tuple[str, str]] = []
    for shown in site.locales:
        home = absolute(request, in_language("/help", shown.locale))
        pages.append((home, shown.updated.isoformat()))
        pages += [
            (absolute(request, category_url(c.slug, shown.locale)), c.updated.isoformat())
            for c in shown.categories
        ]
    pages += [(absolute(request, a.url), a.updated.isoformat()) for a in site.articles]
    alternates = {
        absolute(request, url): _alternate_links(request, group)
        for url, group in site.alternates.items()
    }
    entries = "".join(
        f"  <url><loc>{escape(loc)}</loc><lastmod>{lastmod}</lastmod>"
        f"{alternates.get(loc, '')}</url>\n"
        for loc, lastmod in dict(pages).items()
    )
    namespaces = f'xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}"'
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {namespaces}>\n'
    xml = f"{head}{entries}</urlset>\n"
    return Response(
        xml,
        media_type="application/xml",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def _alternate_links(request: Request, paths: dict[str, str]) -> str:
    """`<xhtml:link>` alternates of one article group: its path in each locale."""
    return "".join(
        f'<xhtml:link rel="alternate" hreflang="{escape(code, _QUOTE)}" '
        f'href="{escape(absolute(request, path), _QUOTE)}"/>'
        for code, path in sorted(paths.items())
    )
