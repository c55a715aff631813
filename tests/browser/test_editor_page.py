"""The help-center editor at /editor in Debian's Chromium: an editor writes an article with a live
preview, tries it beside the live help center, publishes it, and the widget then answers from it;
hostile HTML in an article stays inert; the agent role is refused; a stale save keeps the text.

Screenshots go to test-artifacts/editor-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from escalation.types import AgentRole
from tests.api.conftest import Chat
from tests.browser.conftest import ARTIFACTS, AXE, Live, Tab, Widget, axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
GIFT_QUESTION = "can you gift wrap my order?"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module")
def accounts(live: Live) -> Live:
    async def add() -> None:
        agents = live.services.escalator.agents
        await agents.add("erin", PASSWORD, AgentRole.EDITOR, "Erin Editor")
        await agents.add("alan", PASSWORD, AgentRole.AGENT, "Alan Agent")

    # Playwright's sync API keeps an event loop running in this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, add).result()
    return live


@pytest.fixture
def api(accounts: Live) -> Iterator[httpx.Client]:
    """The editor API as Erin (another editor's saves, hostile content)."""
    with httpx.Client(base_url=accounts.url, timeout=60) as http:
        login = http.post("/api/agent/login", json={"name": "erin", "password": PASSWORD})
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        yield http


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"editor-{name}.png"), full_page=True)


def submit_login(page: Page, live: Live, name: str) -> None:
    page.goto(f"{live.url}/editor")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def log_in(page: Page, live: Live, name: str) -> None:
    """Sign an editor in and wait until the page is ready: articles loaded, focus in the filter.

    Without the wait, a test's own focus or key press can land before the editor moves focus.
    """
    submit_login(page, live, name)
    expect(page.locator("#filter-q")).to_be_focused()


def open_article(page: Page, title: str) -> None:
    page.locator(".article-item", has_text=title).click()
    expect(page.locator("#edit-title")).to_have_text(title)


def test_write_preview_try_publish_then_the_widget_cites_it(tab: Tab, accounts: Live) -> None:
    page = tab.page
    log_in(page, accounts, "erin")
    expect(page.locator("#editor-view")).to_be_visible()
    expect(page.locator("#whoami")).to_have_text("Erin Editor")

    page.get_by_role("button", name="New article").click()
    page.locator("#f-id").fill("gift-wrapping")
    page.locator("#f-title").fill("Gift wrapping")
    page.locator("#f-category").fill("orders")
    body = page.get_by_label("Body (Markdown)")
    body.fill("We gift wrap any order.\n\n## How to ask for it\nChoose gift wrapping at checkout.")
    expect(page.locator("#preview h2")).to_have_text("How to ask for it")  # live preview
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#edit-info")).to_have_text("Saved as draft version 1.")
    expect(page.locator(".article-item", has_text="Gift wrapping")).to_contain_text("Draft")

    body.fill(
        "We gift wrap any order for 4 euros.\n\n## How to ask for it\n"
        "Choose gift wrapping at checkout and write a card message of up to 200 characters."
    )
    expect(page.locator("#preview")).to_contain_text("4 euros")

    # Try it: the unsaved edit is saved as a draft, then answered beside the live help center.
    page.get_by_label("Question to try").fill(GIFT_QUESTION)
    page.get_by_role("button", name="Ask").click()
    draft, live = page.locator("#try-draft"), page.locator("#try-live")
    expect(draft).to_contain_text("4 euros")
    expect(draft.locator(".citation").first).to_contain_text("Gift wrapping")
    expect(draft).to_contain_text("Confidence")
    expect(live).not_to_contain_text("4 euros")
    expect(live.locator(".citation", has_text="Gift wrapping")).to_have_count(0)
    expect(page.locator("#article-state")).to_contain_text("version 2")
    shot(page, "try-it")

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#article-state")).to_contain_text("indexed: customers get it")
    expect(page.locator("#edit-info")).to_contain_text("published and indexed")
    expect(page.locator("#version-list .version")).to_have_count(2)
    shot(page, "published")

    page.goto(accounts.url + "/")
    widget = Widget(page).ready().open()
    answer = widget.ask(GIFT_QUESTION)
    expect(answer).to_contain_text("4 euros")
    expect(answer.locator(".sources")).to_contain_text("Gift wrapping")


def test_hostile_html_in_an_article_stays_inert(browser: Browser, accounts: Live, api: Any) -> None:
    created = api.post(
        "/api/editor/articles",
        json={"id": "hostile", "title": f"Hostile {HOSTILE}", "body": f"Hello\n\n{HOSTILE}"},
    )
    assert created.status_code == 201, created.text
    # Without the page's Content-Security-Policy: escaping and sanitising alone must hold.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, accounts, "erin")
        item = page.locator(".article-item", has_text="Hostile")
        expect(item.locator(".item-title")).to_have_text(f"Hostile {HOSTILE}")
        item.click()
        expect(page.locator("#f-body")).to_have_value(f"Hello\n\n{HOSTILE}")
        expect(page.locator("#preview")).to_contain_text("Hello")
        assert page.locator("#preview script").count() == 0
        assert page.locator("#preview [onerror]").count() == 0
        assert page.locator(".article-item script, .article-item img").count() == 0
        assert page.evaluate("window.__pwned") is None
        assert errors == []
    finally:
        context.close()


def test_the_agent_role_is_refused(tab: Tab, accounts: Live) -> None:
    submit_login(tab.page, accounts, "alan")
    refusal = tab.page.get_by_role("alert")
    expect(refusal).to_contain_text("Alan Agent has the agent role")
    expect(refusal).to_contain_text("editor role")
    expect(tab.page.locator("#editor-view")).to_be_hidden()


def test_a_stale_save_keeps_the_text_and_offers_their_version(
    tab: Tab, accounts: Live, api: Any
) -> None:
    created = api.post(
        "/api/editor/articles",
        json={"id": "store-hours", "title": "Store hours", "body": "We open at 9."},
    )
    assert created.status_code == 201, created.text
    page = tab.page
    log_in(page, accounts, "erin")
    open_article(page, "Store hours")
    theirs = api.put(
        "/api/editor/articles/store-hours",
        json={"title": "Store hours", "body": "We open at 10.", "base_version": 1},
    )
    assert theirs.status_code == 200, theirs.text

    page.get_by_label("Body (Markdown)").fill("We open at 8.")
    page.get_by_role("button", name="Save draft").click()
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text("Someone saved a newer version")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("We open at 8.")
    page.get_by_role("button", name="Show the differences").click()
    expect(page.locator("#conflict-diff-view .diff-del")).to_have_text("-We open at 10.\n")
    expect(page.locator("#conflict-diff-view .diff-add")).to_have_text("+We open at 8.\n")
    page.get_by_role("button", name="Load their version (keep mine below)").click()
    expect(page.get_by_label("Body (Markdown)")).to_have_value("We open at 10.")
    expect(page.get_by_label("Your unsaved text")).to_have_value("We open at 8.")
    shot(page, "conflict")
    page.get_by_role("button", name="Save mine over theirs").click()
    expect(page.locator("#edit-info")).to_have_text("Saved your text as version 3.")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("We open at 8.")
    expect(conflict).to_be_hidden()


def test_versions_diff_restore_unpublish_and_delete(tab: Tab, accounts: Live, api: Any) -> None:
    path = "/api/editor/articles/pickup-points"
    created = api.post(
        "/api/editor/articles",
        json={"id": "pickup-points", "title": "Pickup points", "body": "Collect within 7 days."},
    )
    assert created.status_code == 201, created.text
    saved = api.put(
        path, json={"title": "Pickup points", "body": "Collect within 5 days.", "base_version": 1}
    )
    assert saved.status_code == 200, saved.text
    assert api.post(f"{path}/publish", json={}).status_code == 202
    page = tab.page
    log_in(page, accounts, "erin")
    open_article(page, "Pickup points")
    expect(page.locator("#article-state")).to_contain_text("Published")

    page.get_by_role("button", name="Differences between version 1 and the current version").click()
    expect(page.locator("#version-diff .diff-del")).to_have_text("-Collect within 7 days.\n")
    expect(page.locator("#version-diff .diff-add")).to_have_text("+Collect within 5 days.\n")
    page.get_by_role("button", name="Restore version 1 as a new draft").click()
    expect(page.locator("#edit-info")).to_contain_text("restored as draft version 3")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("Collect within 7 days.")
    expect(page.locator("#article-state")).to_contain_text("has unpublished changes")

    page.get_by_role("button", name="Unpublish", exact=True).click()
    expect(page.locator("#edit-info")).to_contain_text("customers no longer get this article")
    expect(page.locator("#article-state")).to_contain_text("Unpublished")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator("#edit-placeholder")).to_contain_text('"Pickup points" was deleted.')
    expect(page.locator(".article-item", has_text="Pickup points")).to_have_count(0)


def test_tabs_gaps_and_stale_by_keyboard(tab: Tab, accounts: Live) -> None:
    page = tab.page
    log_in(page, accounts, "erin")
    articles = page.get_by_role("tab", name="Articles")
    expect(articles).to_have_attribute("aria-selected", "true")
    articles.focus()
    page.keyboard.press("ArrowRight")
    gaps = page.get_by_role("tab", name="Content gaps")
    expect(gaps).to_be_focused()
    expect(gaps).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-gaps")).to_be_visible()
    expect(page.locator("#gaps-state")).to_have_text("")
    expect(page.locator("#gaps-error")).to_be_hidden()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Stale")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#stale-state")).to_have_text("")
    expect(page.locator("#stale-error")).to_be_hidden()
    expect(page.locator("#panel-articles")).to_be_hidden()
    page.keyboard.press("Home")
    expect(page.locator("#panel-articles")).to_be_visible()
    expect(page).to_have_title(re.compile("Help center editor"))


def test_content_gaps_can_be_covered(tab: Tab, accounts: Live, api: Any) -> None:
    with httpx.Client(base_url=accounts.url, timeout=60) as http:
        for question in ["do you price match amazon?", "do you price match amazon prices?"]:
            Chat(http).ask(question)
    created = api.post(
        "/api/editor/articles",
        json={"id": "price-match", "title": "Price matching", "body": "We do not price match."},
    )
    assert created.status_code == 201, created.text
    page = tab.page
    log_in(page, accounts, "erin")
    page.get_by_role("tab", name="Content gaps").click()
    gap = page.locator(".gap", has_text="do you price match amazon?")
    expect(gap).to_contain_text("2 questions")
    expect(gap.locator(".examples li")).to_have_count(2)
    expect(gap.locator(".gap-reasons")).to_contain_text("Refused 2")
    gap.get_by_label("Covered by article id").fill("price-match")
    gap.get_by_role("button", name="Mark covered").click()
    expect(page.locator(".gap", has_text="do you price match amazon?")).to_contain_text(
        "Covered by price-match"
    )
    shot(page, "gaps")


def test_import_and_export(tab: Tab, accounts: Live) -> None:
    page = tab.page
    log_in(page, accounts, "erin")
    page.get_by_text("Import and export").click()
    markdown = b"---\nid: loyalty-points\ntitle: Loyalty points\n---\nEvery euro earns a point.\n"
    upload = FilePayload(name="loyalty-points.md", mimeType="text/markdown", buffer=markdown)
    page.get_by_label("Import a file").set_input_files(files=[upload])
    page.get_by_label("Publish what is imported").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-result")).to_contain_text("Imported 1 new, updated 0.")
    expect(page.locator(".article-item", has_text="Loyalty points")).to_contain_text("Published")
    with page.expect_download() as download:
        page.get_by_role("link", name="JSONL").click()
    exported = download.value.path().read_text()
    assert '"loyalty-points"' in exported


def test_the_editor_is_accessible(browser: Browser, accounts: Live) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/browser")
    # axe is injected as an inline script, which the page's CSP rightly refuses.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{accounts.url}/editor")
        assert page.evaluate("document.activeElement.id") == "login-name"
        assert axe_violations(page) == []
        log_in(page, accounts, "erin")
        page.get_by_role("button", name="New article").click()
        expect(page.locator("#f-id")).to_be_focused()
        assert axe_violations(page) == []
        page.get_by_role("tab", name="Content gaps").click()
        assert axe_violations(page) == []
    finally:
        context.close()
