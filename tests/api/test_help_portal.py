"""The self-service help center (issue 20) on a live server with the shipped sample KB synced
into the article store (real embedder, Chroma, SQLite, uvicorn): home, categories, article
pages, search, sitemap, votes, withdrawn articles and hostile content; and, on the same shop,
the chat's answers to the questions its articles declare (issue 16)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest

from bot.api.app import create_app
from bot.errors import InvalidInput
from bot.helpcenter.articles import IndexState
from bot.helpcenter.editor import check_id
from bot.wiring import Services, build_services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from retrieval.loader import load_kb
from tests.api.conftest import PASSWORD, Chat, api_settings, log_in
from tests.conftest import ROOT
from tests.live_server import LiveServer
from tests.waiting import WAIT_S

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass
class Site:
    url: str
    services: Services
    editor: dict[str, str]


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = api_settings(
        tmp_path_factory.mktemp("help-portal"),
        api={"rate_limit_per_ip": 100_000},
        escalation={"business_hours": ""},
    )
    services = build_services(settings, embedder=embedder)
    articles, problems = load_kb(ROOT / "kb_content", settings.chunking.max_file_bytes)
    report = anyio.run(lambda: services.editor.sync_files(articles, problems))
    assert report.ok, report.problems
    anyio.run(services.escalator.agents.add, "erin", PASSWORD, AgentRole.EDITOR, "Erin")
    with LiveServer(create_app(settings, services)) as live:
        yield Site(live.url, services, log_in(live.url, "erin"))
    anyio.run(services.aclose)


@pytest.fixture
def http(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=WAIT_S) as client:
        yield client


def publish(site: Site, http: httpx.Client, article_id: str, **fields: Any) -> None:
    body = {"id": article_id, "title": f"Title of {article_id}", "body": "Some text.", **fields}
    created = http.post("/api/editor/articles", json=body, headers=site.editor)
    assert created.status_code == 201, created.text
    published = http.post(f"/api/editor/articles/{article_id}/publish", headers=site.editor)
    assert published.status_code == 202, published.text
    article = anyio.run(site.services.editor.wait_indexed, article_id, WAIT_S)
    assert article.index_state is IndexState.INDEXED, article.index_error


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', html)


def test_home_shows_categories_popular_articles_and_a_search_form(
    site: Site, http: httpx.Client
) -> None:
    # First in this module: the popular list is cached for minutes once read.
    reply = Chat(http).ask("how do I reset my password?")
    cited = [c["url"] for c in reply["citations"]]  # type: ignore[attr-defined]
    assert cited
    home = http.get("/help")
    assert home.status_code == 200
    html = home.text
    assert html.count("<h1") == 1 and '<main id="main">' in html
    assert '<meta name="viewport"' in html and '<html lang="en">' in html
    assert '<form class="search" role="search" action="/help/search" method="get">' in html
    assert '<label for="q">' in html
    assert "/help/c/account-login" in links(html) and "/help/c/orders-shipping" in links(html)
    popular = html.split("Popular articles", 1)[1].split("</section>", 1)[0]
    assert links(popular) == cited[:5]
    assert f'<link rel="canonical" href="{site.url}/help">' in html
    assert "<script" not in html
    policy = home.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "form-action 'self'" in policy


def test_pages_are_cacheable_and_revalidate_by_etag(http: httpx.Client) -> None:
    for path in ("/help", "/help/c/account-login", "/help/reset-password"):
        first = http.get(path)
        assert first.headers["cache-control"] == "public, max-age=60"
        again = http.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    assert "last-modified" in http.get("/help/reset-password").headers


def test_home_in_another_language(http: httpx.Client) -> None:
    spanish = http.get("/help", params={"lang": "es"}).text
    assert '<html lang="es">' in spanish
    assert "/help/c/account-login?lang=es" in links(spanish)
    category = http.get("/help/c/account-login", params={"lang": "es"}).text
    assert "/help/restablecer-contrasena-es" in links(category)
    assert "/help/reset-password" not in links(category)
    unknown = http.get("/help", params={"lang": "<xx>"})
    assert unknown.status_code == 200 and '<html lang="en">' in unknown.text


def test_category_page_lists_its_articles_and_an_unknown_one_is_a_404_page(
    http: httpx.Client,
) -> None:
    page = http.get("/help/c/account-login")
    assert page.status_code == 200
    assert "<h1>Account login</h1>" in page.text
    assert "/help/reset-password" in links(page.text)
    assert "/help/track-your-order" not in links(page.text)
    for path in ("/help/c/no-such-topic", "/help/c/%3Cscript%3Ealert(1)%3C%2Fscript%3E"):
        missing = http.get(path)
        assert missing.status_code == 404, path
        assert "could not find this category" in missing.text
        assert missing.headers["cache-control"] == "no-store"
        assert "<script>" not in missing.text
        assert "/help/c/account-login" in links(missing.text)


def test_article_page_has_contents_date_related_articles_and_a_vote_form(
    site: Site, http: httpx.Client
) -> None:
    page = http.get("/help/reset-password")
    assert page.status_code == 200
    html = page.text
    assert "<h1>How to reset your password</h1>" in html and html.count("<h1") == 1
    assert re.search(r"Last updated <time datetime=\"\d{4}-\d\d-\d\d\">", html)
    assert '<a href="#request-a-reset-link">Request a reset link</a>' in html
    assert '<h2 id="request-a-reset-link">Request a reset link</h2>' in html
    related = html.split('id="related-heading"', 1)[1]
    assert "/help/account-locked-failed-sign-ins" in links(related)
    assert "/help/reset-password" not in links(related)
    assert '<form method="post" action="/help/reset-password/vote">' in html
    assert '<button type="submit" name="helpful" value="yes">Yes</button>' in html
    assert f'<link rel="canonical" href="{site.url}/help/reset-password">' in html
    assert "/help/restablecer-contrasena-es" in links(html)  # the language switcher


@pytest.mark.parametrize(
    ("question", "article_id", "within"),
    [
        ("how do i get my mony back", "refund-timing", 1),
        ("cancel plus memberhsip", "cancel-plus-refunds", 1),
        ("i forgot my pasword and cant log in", "reset-password", 2),
        # Fourth, after the delivered-but-missing, tracking and split-shipment articles.
        ("wheres my package it never came", "late-or-lost-package", 4),
        ("olvidé mi contraseña", "restablecer-contrasena-es", 1),
    ],
)
def test_search_finds_the_article_for_customer_wording(
    http: httpx.Client, question: str, article_id: str, within: int
) -> None:
    page = http.get("/help/search", params={"q": question})
    assert page.status_code == 200
    results = page.text.split('<ol class="results">', 1)[1]
    assert f"/help/{article_id}" in links(results)[:within], links(results)
    assert 'class="snippet"' in results
    assert "Chat with us" in page.text


def test_search_explains_empty_long_hostile_and_unmatched_queries(http: httpx.Client) -> None:
    empty = http.get("/help/search", params={"q": "   "})
    assert empty.status_code == 200 and "Type a few words" in empty.text
    long = http.get("/help/search", params={"q": "refund " * 100})
    assert long.status_code == 400 and "too long" in long.text
    assert long.headers["cache-control"] == "no-store"
    hostile = http.get("/help/search", params={"q": '"><script>alert(1)</script>\x00'})
    assert hostile.status_code == 200
    assert "<script>alert" not in hostile.text and "&lt;script&gt;" in hostile.text
    nothing = http.get("/help/search", params={"q": "xkcd qwerty zzzz"})
    assert nothing.status_code == 200 and "We found no article" in nothing.text
    assert http.get("/help/search").status_code == 200


def test_sitemap_lists_home_categories_and_articles_with_lastmod(
    site: Site, http: httpx.Client
) -> None:
    response = http.get("/help/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    urls = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in ET.fromstring(response.content).iter(f"{SITEMAP}url")
    }
    for path in ("/help", "/help?lang=es", "/help/c/account-login", "/help/reset-password"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", urls[site.url + path] or ""), path


def test_a_plan_only_article_is_unlisted_but_opens_from_a_citation(
    site: Site, http: httpx.Client
) -> None:
    # kb_content's Plus priority line has `audience: [plus]`: visitors are anonymous.
    plus = "/help/plus-priority-support"
    found = http.get("/help/search", params={"q": "priority support phone line for plus members"})
    assert found.status_code == 200 and plus not in links(found.text)
    for page in ("/help", "/help/c/billing-plans"):
        assert plus not in links(http.get(page).text), page
    assert site.url + plus not in http.get("/help/sitemap.xml").text
    opened = http.get(plus)  # the link a verified Plus customer was given
    assert opened.status_code == 200 and "Priority support for Plus members" in opened.text


def test_votes_are_stored_once_per_visitor_and_counted(site: Site, http: httpx.Client) -> None:
    path = "/help/track-your-order/vote"
    first = http.post(path, data={"helpful": "no"}, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/help/track-your-order?voted=no#helpful"
    assert "sb_help_visitor=" in first.headers["set-cookie"]
    thanks = http.get(first.headers["location"])
    assert "Thanks for your feedback" in thanks.text and "<form method" not in thanks.text
    assert thanks.headers["cache-control"] == "no-store"
    changed = http.post(path, data={"helpful": "yes"}, follow_redirects=False)  # same cookie
    assert changed.status_code == 303 and "set-cookie" not in changed.headers
    with httpx.Client(base_url=site.url, follow_redirects=True) as other_visitor:
        assert other_visitor.post(path, data={"helpful": "no"}).status_code == 200
    counts = http.get("/api/editor/helpful", headers=site.editor).json()["articles"]
    assert {"article_id": "track-your-order", "helpful": 1, "not_helpful": 1} in counts
    assert http.get("/api/editor/helpful").status_code == 401


def test_bad_votes_get_a_4xx_page_never_a_5xx(http: httpx.Client) -> None:
    path = "/help/track-your-order/vote"
    for data in ({"helpful": "maybe"}, {}, {"helpful": "yes" * 1000}):
        bad = http.post(path, data=data)
        assert bad.status_code == 400 and "Choose" in bad.text, data
    as_json = http.post(path, json={"helpful": "yes"})
    assert as_json.status_code == 400
    unknown = http.post("/help/no-such-article/vote", data={"helpful": "yes"})
    assert unknown.status_code == 404
    cross_site = http.post(
        path, data={"helpful": "yes"}, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403


def test_withdrawn_article_is_a_410_page_with_suggestions(site: Site, http: httpx.Client) -> None:
    publish(site, http, "gift-card-balance-old", title="Check your gift card balance",
            body="Open **Account > Gift cards** to see the balance of each gift card.",
            category="getting-started")  # fmt: skip
    assert http.get("/help/gift-card-balance-old").status_code == 200
    gone = http.post("/api/editor/articles/gift-card-balance-old/unpublish", headers=site.editor)
    assert gone.status_code == 200, gone.text
    page = http.get("/help/gift-card-balance-old")
    assert page.status_code == 410 and "no longer available" in page.text
    assert page.headers["cache-control"] == "no-store"
    suggestions = page.text.split("These articles may help", 1)[1]
    assert "/help/gift-cards" in links(suggestions)
    assert "/help/gift-card-balance-old" not in links(suggestions)
    vote = http.post("/help/gift-card-balance-old/vote", data={"helpful": "yes"})
    assert vote.status_code == 410
    assert "/help/gift-card-balance-old" not in http.get("/help/c/getting-started").text


def test_hostile_article_renders_inert(site: Site, http: httpx.Client) -> None:
    body = (
        "Hello <script>alert(1)</script><img src=x onerror=alert(2)>\n\n"
        "## <span onclick=alert(3)>Steps</span>\n\n"
        "[click](javascript:alert(4)) <a href='JaVaScRiPt:alert(5)'>x</a> <iframe src=/></iframe>"
    )
    publish(site, http, "hostile-page", title="<script>alert(6)</script> Hostile", body=body,
            category="troubleshooting")  # fmt: skip
    for path in ("/help/hostile-page", "/help/c/troubleshooting", "/help/sitemap.xml"):
        html = http.get(path).text
        assert "<script" not in html.replace("&lt;script", ""), path
        assert not re.search(r"<[^>]*\son\w+\s*=|<iframe", html, re.IGNORECASE), path
        assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE), path
    page = http.get("/help/hostile-page").text
    assert "Hello" in page and "&lt;script&gt;alert(6)&lt;/script&gt; Hostile" in page
    assert '<h2 id="steps">' in page


def test_search_is_a_reserved_article_id() -> None:
    with pytest.raises(InvalidInput, match="reserved"):
        check_id("search")
    assert check_id("searching") == "searching"


def switcher(html: str) -> str:
    return html.split('<nav class="languages"', 1)[1].split("</nav>", 1)[0]


def test_article_pages_link_their_translations_both_ways(site: Site, http: httpx.Client) -> None:
    english = http.get("/help/reset-password").text
    assert (
        '<a href="/help/restablecer-contrasena-es" hreflang="es" lang="es" class="translation">'
        "Cómo restablecer tu contraseña (Español)</a>"
    ) in switcher(english)
    for code, path in (("en", "reset-password"), ("es", "restablecer-contrasena-es")):
        assert f'<link rel="alternate" hreflang="{code}" href="{site.url}/help/{path}">' in english
    assert f'<link rel="canonical" href="{site.url}/help/reset-password">' in english
    spanish = http.get("/help/restablecer-contrasena-es").text
    assert '<html lang="es">' in spanish
    assert '<a href="/help/reset-password" hreflang="en" lang="en"' in switcher(spanish)
    assert '<link rel="alternate" hreflang="en" href="' in spanish
    assert f'<link rel="canonical" href="{site.url}/help/restablecer-contrasena-es">' in spanish


def test_an_article_without_translation_links_the_locale_home(http: httpx.Client) -> None:
    html = http.get("/help/close-account").text
    assert links(switcher(html)) == ["/help?lang=es"]
    assert 'rel="alternate"' not in html


def test_sitemap_lists_translations_as_alternates(site: Site, http: httpx.Client) -> None:
    root = ET.fromstring(http.get("/help/sitemap.xml").content)
    alternates = {
        url.findtext(f"{SITEMAP}loc"): {
            link.get("hreflang"): link.get("href")
            for link in url.iter("{http://www.w3.org/1999/xhtml}link")
        }
        for url in root.iter(f"{SITEMAP}url")
    }
    pair = {
        "en": f"{site.url}/help/reset-password",
        "es": f"{site.url}/help/restablecer-contrasena-es",
    }
    assert alternates[pair["en"]] == alternates[pair["es"]] == pair
    assert alternates[f"{site.url}/help/close-account"] == {}


def test_an_unpublished_translation_is_never_linked(site: Site, http: httpx.Client) -> None:
    publish(site, http, "gift-wrap", title="Gift wrap an order", body="Tick **Gift wrap**.")
    draft = {"id": "envolver-regalo", "title": "Envolver para regalo", "body": "Marca la casilla.",
             "locale": "es", "translation_of": "gift-wrap"}  # fmt: skip
    created = http.post("/api/editor/articles", json=draft, headers=site.editor)
    assert created.status_code == 201, created.text
    assert links(switcher(http.get("/help/gift-wrap").text)) == ["/help?lang=es"]
    published = http.post("/api/editor/articles/envolver-regalo/publish", headers=site.editor)
    assert published.status_code == 202, published.text
    assert links(switcher(http.get("/help/gift-wrap").text)) == ["/help/envolver-regalo"]
    withdrawn = http.post("/api/editor/articles/envolver-regalo/unpublish", headers=site.editor)
    assert withdrawn.status_code == 200, withdrawn.text
    html = http.get("/help/gift-wrap").text
    assert links(switcher(html)) == ["/help?lang=es"] and "envolver-regalo" not in html


def cited(reply: dict[str, object]) -> list[str]:
    citations = reply["citations"]
    assert isinstance(citations, list)
    return [c["article_id"] for c in citations]


def test_every_suggested_question_is_answered_from_its_article(http: httpx.Client) -> None:
    # A question an article declares (front matter `questions:`, which the widget suggests) is
    # answered from that article.
    articles, _ = load_kb(ROOT / "kb_content", 10**7)
    declared = [(q, a.id) for a in articles for q in a.questions]
    assert len(declared) >= 10
    for question, article_id in declared:
        reply = Chat(http).ask(question)
        assert reply["kind"] == "answer" and cited(reply) == [article_id], (question, reply)


def test_the_same_question_in_a_customers_words(http: httpx.Client) -> None:
    # The search ranks the non-returnable items article first ("... follow the normal return
    # policy"); the return policy declares the question.
    reply = Chat(http).ask("whats the return policy")
    assert cited(reply) == ["return-policy"], reply
    assert "Most items" in str(reply["text"]), reply
    # The return-window table opens the article but is not what the search found for it.
    assert "30 days" in str(reply["text"]) and "60 days" in str(reply["text"]), reply
    why = Chat(http).ask("why was my payment declined")
    assert str(why["text"]).startswith("If your payment is declined"), why  # its opening
