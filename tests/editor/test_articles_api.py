"""The editor API and the help-center page through a live server (real embedder, Chroma,
SQLite): CRUD, publishing into the bot's answers, versions, locking, auth, 404/410 pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest

from bot.helpcenter.articles import ArticleContent, IndexState, StoredArticle
from bot.helpcenter.editor import retrieval_article
from bot.wiring import Services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from retrieval.types import Chunk
from tests.api.conftest import PASSWORD, Chat, api_settings, log_in, start

SCALE_ID = "pair-smart-scale"
SCALE_TITLE = "Pair the Brightcart smart scale with the app"
SCALE_BODY = (
    "To pair the Brightcart smart scale, open the app, tap **Devices**, then hold the scale's "
    "sync button for five seconds until its display blinks blue.\n\n"
    "## If pairing fails\n"
    "Turn Bluetooth off and on, keep the phone within one metre of the scale and try again."
)
SCALE_QUESTION = "how do I pair my smart scale with the app?"


@dataclass
class Site:
    url: str
    services: Services
    erin: dict[str, str]
    eddie: dict[str, str]
    alan: dict[str, str]


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    services, live = start(api_settings(tmp_path_factory.mktemp("editor")), embedder)

    async def accounts() -> None:
        agents = services.escalator.agents
        await agents.add("erin", PASSWORD, AgentRole.EDITOR, "Erin Editor")
        await agents.add("eddie", PASSWORD, AgentRole.ADMIN, "Eddie Admin")
        await agents.add("alan", PASSWORD, AgentRole.AGENT, "Alan Agent")

    anyio.run(accounts)
    with live:
        url = live.url
        yield Site(url, services, log_in(url, "erin"), log_in(url, "eddie"), log_in(url, "alan"))
    anyio.run(services.aclose)


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=120, headers=site.erin) as http:
        yield http


def create(client: httpx.Client, article_id: str, **fields: Any) -> dict[str, Any]:
    body = {"id": article_id, "title": f"Title of {article_id}", "body": "Some text.", **fields}
    response = client.post("/api/editor/articles", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def publish_and_wait(site: Site, client: httpx.Client, article_id: str) -> dict[str, Any]:
    response = client.post(f"/api/editor/articles/{article_id}/publish")
    assert response.status_code == 202, response.text
    assert response.json()["index_state"] in ("pending", "indexing", "indexed")
    article = anyio.run(site.services.editor.wait_indexed, article_id, 120)
    assert article.index_state is IndexState.INDEXED, article.index_error
    got: dict[str, Any] = client.get(f"/api/editor/articles/{article_id}").json()
    return got


def cited(client: httpx.Client, question: str) -> list[str]:
    reply = Chat(client).ask(question)
    citations: list[dict[str, Any]] = reply["citations"]  # type: ignore[assignment]
    return [c["url"] for c in citations]


def test_auth_editor_or_admin_only(site: Site) -> None:
    with httpx.Client(base_url=site.url, timeout=60) as http:
        assert http.get("/api/editor/articles").status_code == 401
        bad = http.get("/api/editor/articles", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        refused = http.post(
            "/api/editor/articles", json={"id": "x", "title": "x"}, headers=site.alan
        )
        assert refused.status_code == 403
        assert refused.json() == {
            "error_code": "forbidden",
            "detail": "this needs the editor or admin role",
        }
        assert http.get("/api/editor/articles", headers=site.eddie).status_code == 200


def test_create_get_list_and_validation(client: httpx.Client) -> None:
    created = create(
        client, "shipping-to-mars", category="orders", locale="en", tags=["space", " space "]
    )
    assert created["status"] == "draft" and created["current_version"] == 1
    assert created["published_version"] is None and created["has_unpublished_changes"]
    assert created["tags"] == ["space"] and created["updated_by"] == "Erin Editor"
    assert created["source"] == "app"
    assert client.get("/api/editor/articles/shipping-to-mars").json() == created
    listed = client.get("/api/editor/articles", params={"q": "MARS"}).json()["articles"]
    assert [a["id"] for a in listed] == ["shipping-to-mars"]
    assert client.get("/api/editor/articles", params={"category": "nope"}).json() == {
        "articles": []
    }
    assert (
        client.get("/api/editor/articles", params={"status": "published", "q": "mars"}).json()[
            "articles"
        ]
        == []
    )

    again = client.post("/api/editor/articles", json={"id": "shipping-to-mars", "title": "t"})
    assert again.status_code == 409 and again.json()["error_code"] == "article_exists"
    for bad, code in (
        ({"id": "Bad Id!", "title": "t"}, "invalid_article_id"),
        ({"id": "no-title", "title": "  "}, "invalid_article"),
        ({"id": "bad-locale", "title": "t", "locale": "english!"}, "invalid_article"),
        ({"id": "bad-url", "title": "t", "url": "javascript:alert(1)"}, "invalid_article"),
        ({"id": "too-long", "title": "t", "body": "x" * 100_001}, "article_too_long"),
    ):
        response = client.post("/api/editor/articles", json=bad)
        assert response.status_code == 422, response.text
        assert response.json()["error_code"] == code
        assert response.json()["detail"]


def test_translation_of_round_trips_and_bad_links_are_refused(client: httpx.Client) -> None:
    create(client, "moon-delivery", title="Delivery to the Moon")
    created = create(client, "entrega-luna", locale="es", translation_of=" moon-delivery ")
    assert created["translation_of"] == "moon-delivery"
    assert client.get("/api/editor/articles/entrega-luna").json() == created
    saved = client.put(
        "/api/editor/articles/entrega-luna",
        json={"title": "Entrega en la Luna", "body": "Texto.", "locale": "es",
              "translation_of": "", "base_version": 1},
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert saved.json()["translation_of"] == "" and saved.json()["current_version"] == 2
    versions = client.get("/api/editor/articles/entrega-luna/versions").json()
    assert [v["translation_of"] for v in versions["versions"]] == ["moon-delivery", ""]
    for article_id, original, reason in (
        ("luna-self", "luna-self", "cannot be a translation of itself"),
        ("luna-lost", "no-such-article", "there is no such article"),
        ("luna-chain", "entrega-luna-2", "is itself a translation of 'moon-delivery'"),
    ):
        if original == "entrega-luna-2":
            create(client, original, locale="es", translation_of="moon-delivery")
        body = {"id": article_id, "title": "t", "locale": "es", "translation_of": original}
        refused = client.post("/api/editor/articles", json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error_code"] == "invalid_article"
        assert reason in refused.json()["detail"]


def test_an_articles_plans_round_trip_and_bad_ones_are_refused(client: httpx.Client) -> None:
    created = create(client, "plus-line", audience=[" Plus ", "business", "plus"])
    assert created["audience"] == ["business", "plus"]
    assert client.get("/api/editor/articles/plus-line").json() == created
    assert create(client, "for-everyone")["audience"] == []
    refused = client.post(
        "/api/editor/articles", json={"id": "bad-plan", "title": "t", "audience": ["a,b"]}
    )
    assert refused.status_code == 422 and "one plan per entry" in refused.json()["detail"]


def test_unknown_ids_are_404_everywhere(client: httpx.Client) -> None:
    save = {"title": "t", "base_version": 1}
    for method, path, body in (
        ("GET", "/api/editor/articles/ghost", None),
        ("PUT", "/api/editor/articles/ghost", save),
        ("DELETE", "/api/editor/articles/ghost", None),
        ("POST", "/api/editor/articles/ghost/publish", None),
        ("POST", "/api/editor/articles/ghost/unpublish", None),
        ("GET", "/api/editor/articles/ghost/versions", None),
        ("GET", "/api/editor/articles/ghost/versions/1", None),
        ("GET", "/api/editor/articles/ghost/diff?from=1&to=2", None),
        ("POST", "/api/editor/articles/ghost/restore", {"version": 1, "base_version": 1}),
    ):
        response = client.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error_code"] == "not_found"
    create(client, "has-one-version")
    missing = client.get("/api/editor/articles/has-one-version/versions/9")
    assert missing.status_code == 404 and "no version 9" in missing.json()["detail"]


def test_publish_is_cited_then_unpublish_and_delete_never_are(
    site: Site, client: httpx.Client
) -> None:
    assert f"/help/{SCALE_ID}" not in cited(client, SCALE_QUESTION)
    create(client, SCALE_ID, title=SCALE_TITLE, body=SCALE_BODY, category="devices")
    published = publish_and_wait(site, client, SCALE_ID)
    assert published["status"] == "published" and published["published_version"] == 1
    assert not published["has_unpublished_changes"]
    assert cited(client, SCALE_QUESTION)[0] == f"/help/{SCALE_ID}"

    page = httpx.get(f"{site.url}/help/{SCALE_ID}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<strong>Devices</strong>" in page.text
    assert '<h2 id="if-pairing-fails">If pairing fails</h2>' in page.text  # an anchor (issue 20)
    assert SCALE_TITLE in page.text

    unpublished = client.post(f"/api/editor/articles/{SCALE_ID}/unpublish")
    assert unpublished.status_code == 200 and unpublished.json()["status"] == "unpublished"
    assert f"/help/{SCALE_ID}" not in cited(client, SCALE_QUESTION)
    gone = httpx.get(f"{site.url}/help/{SCALE_ID}")
    assert gone.status_code == 410 and "no longer available" in gone.text
    assert 'href="/"' in gone.text

    publish_and_wait(site, client, SCALE_ID)
    assert cited(client, SCALE_QUESTION)[0] == f"/help/{SCALE_ID}"
    deleted = client.delete(f"/api/editor/articles/{SCALE_ID}")
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert f"/help/{SCALE_ID}" not in cited(client, SCALE_QUESTION)
    assert httpx.get(f"{site.url}/help/{SCALE_ID}").status_code == 410
    listed = client.get("/api/editor/articles", params={"q": SCALE_ID}).json()["articles"]
    assert listed == []
    in_bin = client.get("/api/editor/articles", params={"q": SCALE_ID, "status": "deleted"})
    assert [a["id"] for a in in_bin.json()["articles"]] == [SCALE_ID]


def test_help_pages_for_unknown_and_draft_articles_are_404_pages(
    site: Site, client: httpx.Client
) -> None:
    create(client, "secret-draft")
    for path in ("/help/no-such-article", "/help/secret-draft", "/help/%3Cscript%3E"):
        page = httpx.get(site.url + path)
        assert page.status_code == 404 and "could not find this article" in page.text
        assert "<script>" not in page.text


def test_published_html_is_sanitised(site: Site, client: httpx.Client) -> None:
    body = "Hello <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))"
    create(client, "xss-article", body=body)
    publish_and_wait(site, client, "xss-article")
    page = httpx.get(f"{site.url}/help/xss-article").text
    assert "<script>" not in page
    assert "onerror" not in page
    assert 'href="javascript' not in page
    assert "Hello" in page


def test_versions_diff_and_restore(site: Site, client: httpx.Client) -> None:
    create(client, "gift-wrap", title="Gift wrap", body="We wrap gifts for 4 euros.")
    saved = client.put(
        "/api/editor/articles/gift-wrap",
        json={"title": "Gift wrapping", "body": "We wrap gifts for 5 euros.", "base_version": 1},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["current_version"] == 2
    versions = client.get("/api/editor/articles/gift-wrap/versions").json()["versions"]
    assert [(v["version"], v["author"]) for v in versions] == [
        (1, "Erin Editor"),
        (2, "Erin Editor"),
    ]
    one = client.get("/api/editor/articles/gift-wrap/versions/1").json()
    assert one["body"] == "We wrap gifts for 4 euros."
    diff = client.get("/api/editor/articles/gift-wrap/diff", params={"from": 1, "to": 2}).json()
    assert (diff["from"], diff["to"]) == (1, 2)
    assert "-title: Gift wrap\n" in diff["diff"] and "+title: Gift wrapping\n" in diff["diff"]
    assert "-We wrap gifts for 4 euros.\n" in diff["diff"]

    publish_and_wait(site, client, "gift-wrap")
    restored = client.post(
        "/api/editor/articles/gift-wrap/restore", json={"version": 1, "base_version": 2}
    )
    assert restored.status_code == 200, restored.text
    article = restored.json()
    assert (article["current_version"], article["published_version"]) == (3, 2)
    assert article["body"] == "We wrap gifts for 4 euros." and article["has_unpublished_changes"]
    assert "5 euros" in httpx.get(f"{site.url}/help/gift-wrap").text  # still v2 until published
    note = client.get("/api/editor/articles/gift-wrap/versions/3").json()["note"]
    assert note == "restored version 1"
    pinned = client.post("/api/editor/articles/gift-wrap/publish", json={"version": 3})
    assert pinned.status_code == 202 and pinned.json()["published_version"] == 3


def test_two_editors_second_save_is_refused_and_nothing_is_lost(
    site: Site, client: httpx.Client
) -> None:
    create(client, "store-hours", title="Store hours", body="Open 9 to 5.")
    loaded_by_erin = client.get("/api/editor/articles/store-hours").json()["current_version"]
    loaded_by_eddie = loaded_by_erin
    eddie = client.put(
        "/api/editor/articles/store-hours",
        json={"title": "Store hours", "body": "Open 8 to 6.", "base_version": loaded_by_eddie},
        headers=site.eddie,
    )
    assert eddie.status_code == 200
    erin = client.put(
        "/api/editor/articles/store-hours",
        json={"title": "Store hours", "body": "Open 10 to 4.", "base_version": loaded_by_erin},
    )
    assert erin.status_code == 409
    error = erin.json()
    assert error["error_code"] == "stale_version"
    assert "Eddie Admin saved version 2" in error["detail"] and "reload" in error["detail"]
    bodies = [
        v["body"]
        for v in client.get("/api/editor/articles/store-hours/versions").json()["versions"]
    ]
    assert bodies == ["Open 9 to 5.", "Open 8 to 6."]
    retried = client.put(
        "/api/editor/articles/store-hours",
        json={"title": "Store hours", "body": "Open 10 to 4.", "base_version": 2},
    )
    assert retried.status_code == 200 and retried.json()["current_version"] == 3


def test_publishing_a_deleted_or_empty_article_is_refused(client: httpx.Client) -> None:
    create(client, "empty-body", body="")
    empty = client.post("/api/editor/articles/empty-body/publish")
    assert empty.status_code == 422 and "no body" in empty.json()["detail"]
    client.delete("/api/editor/articles/empty-body")
    deleted = client.post("/api/editor/articles/empty-body/publish")
    assert deleted.status_code == 409 and deleted.json()["error_code"] == "article_deleted"


def test_indexing_left_pending_by_a_stopped_worker_resumes_at_start(
    site: Site, client: httpx.Client
) -> None:
    """A worker that stops between "published" and "indexed" leaves the state pending; the
    next start (every app's lifespan runs `resume_indexing`) finishes the job."""
    question = "what does the lantern mode of the camping lamp do?"
    store = site.services.editor.store

    async def published_but_never_indexed() -> tuple[int, StoredArticle]:
        await store.create(
            "camping-lamp-lantern",
            ArticleContent(
                "Camping lamp: lantern mode",
                "Lantern mode of the Brightcart camping lamp gives a soft 360 degree glow for "
                "up to 40 hours on one charge.",
                "devices",
            ),
            author="erin",
        )
        await store.publish("camping-lamp-lantern", 1, author="erin")
        resumed = await site.services.editor.resume_indexing()
        return resumed, await site.services.editor.wait_indexed("camping-lamp-lantern", 120)

    assert "/help/camping-lamp-lantern" not in cited(client, question)
    resumed, article = anyio.run(published_but_never_indexed)
    assert resumed == 1
    assert article.index_state is IndexState.INDEXED, article.index_error
    assert cited(client, question)[0] == "/help/camping-lamp-lantern"


def test_a_failed_indexing_is_shown_with_its_reason(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An index built with another embedding model refuses new vectors: the editor sees
    index state failed and the reason (re-ingest with --rebuild), not a silent pending."""
    services, live = start(api_settings(tmp_path_factory.mktemp("failing")), embedder)
    vectors = services.kb.vectors
    vectors.reset()
    vectors.bind_model("an-older-model", embedder.dimension)
    old = Chunk("old#0", "old", "Old", "", "old text", "", "en", "", 2, "h")
    vectors.upsert([old], embedder.embed_documents(["old text"]))

    async def account() -> None:
        await services.escalator.agents.add("erin", PASSWORD, AgentRole.EDITOR, "Erin Editor")

    anyio.run(account)
    with live, httpx.Client(base_url=live.url, timeout=60, headers=log_in(live.url, "erin")) as c:
        create(c, "lamp-care", title="Caring for the lamp", body="Wipe it with a dry cloth.")
        assert c.post("/api/editor/articles/lamp-care/publish").status_code == 202
        article = anyio.run(services.editor.wait_indexed, "lamp-care", 120)
        shown = c.get("/api/editor/articles/lamp-care").json()
    anyio.run(services.aclose)
    assert article.index_state is IndexState.FAILED
    assert shown["index_state"] == "failed"
    assert "an-older-model" in shown["index_error"] and "--rebuild" in shown["index_error"]


def test_unpublishing_again_removes_what_a_late_indexer_wrote(
    site: Site, client: httpx.Client
) -> None:
    """Two workers: one indexes the article while another unpublishes it; chunks written
    after the removal would be cited. Unpublishing again (it is idempotent) clears them."""
    question = "how long does the solar charger take to charge a phone?"
    create(
        client,
        "solar-charger",
        title="Charging a phone with the solar charger",
        body="In full sun the Brightcart solar charger fills a phone battery in about 3 hours.",
        category="devices",
    )
    publish_and_wait(site, client, "solar-charger")
    assert client.post("/api/editor/articles/solar-charger/unpublish").status_code == 200
    assert "/help/solar-charger" not in cited(client, question)

    async def late_write() -> None:
        version = await site.services.editor.version("solar-charger", 1)
        await anyio.to_thread.run_sync(
            site.services.kb.index_articles, [retrieval_article(version)]
        )

    anyio.run(late_write)
    assert cited(client, question)[0] == "/help/solar-charger"  # the hazard, reproduced
    again = client.post("/api/editor/articles/solar-charger/unpublish")
    assert again.status_code == 200 and again.json()["status"] == "unpublished"
    assert "/help/solar-charger" not in cited(client, question)


ENGRAVING_ID = "monogram-engraving"
ENGRAVING_BODY = (
    "Add monogram engraving to knives and cutting boards at checkout: it costs $9.50 per item "
    "and adds 2 business days to processing."
)
ENGRAVING_QUESTION = "how much is monogram engraving?"


def test_a_question_whose_article_was_unpublished_gets_a_refusal_with_suggestions(
    site: Site, client: httpx.Client
) -> None:
    """The help center stops covering engraving: the bot says so and suggests the closest
    articles as reading, instead of answering from a neighbouring one."""
    create(client, ENGRAVING_ID, title="Monogram engraving", body=ENGRAVING_BODY)
    publish_and_wait(site, client, ENGRAVING_ID)
    covered = Chat(client).ask(ENGRAVING_QUESTION)
    assert covered["kind"] == "answer" and "$9.50" in str(covered["text"])

    assert client.post(f"/api/editor/articles/{ENGRAVING_ID}/unpublish").status_code == 200
    reply = Chat(client).ask(ENGRAVING_QUESTION)
    text = str(reply["text"])
    assert reply["kind"] == "refusal", text
    assert "$9.50" not in text and "couldn't find that" in text
    suggestions: list[dict[str, Any]] = reply["citations"]  # type: ignore[assignment]
    assert suggestions, "a refusal suggests the closest articles"
    assert "These articles may help, though they don't answer it exactly:" in text
    for n, suggestion in enumerate(suggestions, start=1):
        assert f"- {suggestion['title']} [{n}]" in text
        assert suggestion["url"] != f"/help/{ENGRAVING_ID}"
