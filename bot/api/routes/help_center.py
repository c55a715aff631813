"""The public page of one article, `GET /help/{article_id}`, and its "Was this helpful?" form,
`POST /help/{article_id}/vote` (issue 20).

Bot citations link here. The published version is rendered from markdown through the
sanitiser, with heading anchors, a table of contents and related articles. An unpublished or
deleted article answers 410 and an unknown one 404, both as pages with suggestions (never a
raw error). Votes are plain form posts (no script): one per article and visitor cookie, a
later one replaces it, and the per-IP rate limit bounds the rest.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from bot.answering.passages import help_url
from bot.api.deps import ServicesDep, limit_ip
from bot.api.help_pages import absolute, page
from bot.errors import Gone, NotFound
from bot.helpcenter.help_portal import Listed, category_name
from bot.helpcenter.help_votes import VISITOR_COOKIE, parse_vote, visitor_token
from bot.helpcenter.sanitize import render_markdown
from bot.helpcenter.toc import with_anchors
from bot.wiring import Services

router = APIRouter(tags=["help center"], include_in_schema=False)
GONE = "This article is no longer available. It may have been replaced or retired."
MISSING = "We could not find this article. The link may be mistyped or out of date."
BAD_VOTE = "Choose “Yes” or “No” to tell us whether the article helped."
CROSS_SITE = "Votes are only accepted from this help center's own pages."
VISITOR_MAX_AGE_S = 365 * 24 * 3600


def _notice(request: Request, status: int, title: str, message: str) -> Response:
    return page(request, "help_message.html", status=status, title=title, message=message)


async def _missing(
    request: Request, services: Services, article_id: str, error: NotFound
) -> Response:
    """The 410 (withdrawn) or 404 page, suggesting articles near what the link was about."""
    gone = isinstance(error, Gone)
    if gone:
        status, title, message = 410, "Article no longer available", GONE
    else:
        status, title, message = 404, "Article not found", MISSING
    suggestions = await services.help_portal.suggestions(article_id, gone=gone)
    return page(
        request,
        "help_message.html",
        status=status,
        title=title,
        message=message,
        suggestions=suggestions,
    )


def _alternates(
    request: Request, article_id: str, locale: str, translations: dict[str, Listed]
) -> dict[str, str]:
    """Absolute URLs of the article in each language, itself included (`hreflang` links);
    none when it has no published translation."""
    if not translations:
        return {}
    paths = {locale: help_url(article_id)} | {code: t.url for code, t in translations.items()}
    return {code: absolute(request, path) for code, path in sorted(paths.items())}


@router.get("/help/{article_id}")
async def help_article(
    article_id: str, request: Request, services: ServicesDep, voted: str = ""
) -> Response:
    """The published version of the article, or a 410 / 404 page with suggestions."""
    try:
        shown = await services.help_portal.article_page(article_id)
    except NotFound as error:
        return await _missing(request, services, article_id, error)
    live, content = shown.live, shown.live.content
    body, toc = with_anchors(render_markdown(content.body))
    vote = parse_vote(voted)
    return page(
        request,
        "help_article.html",
        updated=live.created_at,
        cache=vote is None,  # the thank-you variant is this visitor's own
        title=content.title,
        locale=content.locale,
        lang=content.locale,
        article=content,
        article_url=help_url(article_id),
        category_name=category_name(content.category),
        body_html=Markup(body),  # sanitised by render_markdown; anchors added by with_anchors
        toc=toc,
        updated_on=live.created_at.date().isoformat(),
        related=shown.related,
        locales=shown.locales,
        translations=shown.translations,
        alternates=_alternates(request, article_id, content.locale, shown.translations),
        voted=vote,
        canonical=absolute(request, help_url(article_id)),
    )


@router.post("/help/{article_id}/vote", dependencies=[Depends(limit_ip)])
async def help_vote(article_id: str, request: Request, services: ServicesDep) -> Response:
    """Store the visitor's "Was this helpful?" answer, then show the article again (303)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        return _notice(request, 403, "Vote not accepted", CROSS_SITE)
    try:
        await services.help_portal.article(article_id)
    except NotFound as error:
        return await _missing(request, services, article_id, error)
    helpful = parse_vote((await request.form()).get("helpful"))
    if helpful is None:
        return _notice(request, 400, "Vote not understood", BAD_VOTE)
    token, new = visitor_token(request.cookies.get(VISITOR_COOKIE))
    await services.help_portal.vote(article_id, token, helpful)
    answer = "yes" if helpful else "no"
    redirect = RedirectResponse(f"{help_url(article_id)}?voted={answer}#helpful", status_code=303)
    redirect.headers["Cache-Control"] = "no-store"
    if new:
        redirect.set_cookie(
            VISITOR_COOKIE,
            token,
            max_age=VISITOR_MAX_AGE_S,
            path="/help",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return redirect
