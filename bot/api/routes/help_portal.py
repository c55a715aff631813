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
from bot.api.help_pages import absolute, category_url, chosen_locale, in_language, page
from bot.errors import NotFound
from bot.helpcenter.help_portal import DEFAULT_LOCALE, MAX_QUERY_CHARS, clean_query

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
    portal = services.help_portal
    locales = await portal.locales()
    locale = chosen_locale(lang, locales)
    popular, by_citations = await portal.popular(locale)
    categories = await portal.categories(locale)
    uncategorised = [a for a in await portal.published() if a.locale == locale and not a.category]
    return page(
        request,
        "help_home.html",
        title="Help center",
        locale=locale,
        lang=locale,
        locales=locales,
        categories=categories,
        popular=popular,
        by_citations=by_citations,
        uncategorised=uncategorised,
        canonical=absolute(request, in_language("/help", locale)),
    )


@router.get("/help/search", dependencies=[Depends(limit_ip)])
async def help_search(
    request: Request, services: ServicesDep, q: str = "", lang: str = ""
) -> Response:
    """Articles for the visitor's words (the bot's retriever), or why there are none."""
    portal = services.help_portal
    locales = await portal.locales()
    locale = chosen_locale(lang, locales) if lang else None
    query = clean_query(q)
    context: dict[str, Any] = {
        "title": "Search the help center",
        "query": query[:MAX_QUERY_CHARS],
        "lang": locale or "",
        "locale": locale or DEFAULT_LOCALE,
        "hits": [],
        "message": "",
    }
    if len(query) > MAX_QUERY_CHARS:
        return page(request, "help_search.html", status=400, **context | {"message": LONG_QUERY})
    if not query:
        return page(request, "help_search.html", cache=False, **context | {"message": EMPTY_QUERY})
    hits = await portal.search(query, locale)
    return page(request, "help_search.html", cache=False, **context | {"hits": hits})


@router.get("/help/c/{category:path}")  # a category may hold "/" (quoted in its links)
async def help_category(
    category: str, request: Request, services: ServicesDep, lang: str = ""
) -> Response:
    """The published articles of one category, or a 404 page listing the categories."""
    portal = services.help_portal
    locales = await portal.locales()
    locale = chosen_locale(lang, locales)
    try:
        found = await portal.category(category, locale)
    except NotFound:
        return page(
            request,
            "help_message.html",
            status=404,
            title="Category not found",
            message=NO_CATEGORY,
            suggestions=[],
            categories=await portal.categories(locale),
        )
    shown = found.articles[0].locale
    return page(
        request,
        "help_category.html",
        title=found.name,
        locale=shown,
        lang=shown,
        category=found,
        canonical=absolute(request, category_url(found.slug, shown)),
    )


@router.get("/help/sitemap.xml")
async def help_sitemap(request: Request, services: ServicesDep) -> Response:
    """Every public help-center page with its last change (sitemaps.org protocol); an
    article with published translations lists each language's version as an alternate."""
    portal = services.help_portal
    published = await portal.published()
    pages: list[tuple[str, str]] = []
    groups: dict[str, dict[str, str]] = {}
    for article in sorted(published, key=lambda a: a.id):
        groups.setdefault(article.original, {}).setdefault(article.locale, article.url)
    alternates = {
        absolute(request, path): _alternate_links(request, group)
        for group in groups.values()
        if len(group) > 1
        for path in group.values()
    }
    for locale in await portal.locales():
        mine = [a for a in published if a.locale == locale]
        pages.append((absolute(request, in_language("/help", locale)), mine[0].updated.isoformat()))
        for found in await portal.categories(locale):
            url = absolute(request, category_url(found.slug, locale))
            pages.append((url, found.updated.isoformat()))
    pages += [(absolute(request, a.url), a.updated.isoformat()) for a in published]
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
