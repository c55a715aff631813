"""The public help center (issue 20) in Debian's Chromium: the pages work without script (the
search form, the vote form), axe finds no serious violations on a phone-sized screen, and a
hostile article runs nothing even with the page's CSP bypassed (so the sanitiser alone is
what is tested). Screenshots: test-artifacts/help-home.png, help-article.png, help-hostile.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from bot.api.app import create_app
from bot.helpcenter.articles import ArticleContent, IndexState
from bot.wiring import build_services
from retrieval.interfaces import Embedder
from retrieval.loader import load_kb
from tests.api.conftest import api_settings
from tests.browser.conftest import ARTIFACTS, axe_violations
from tests.conftest import KB_FIXTURE
from tests.live_server import LiveServer
from tests.waiting import WAIT_S

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

HOSTILE_ID = "hostile-article"
HOSTILE_BODY = """Nothing on this page may run.

<script>window.__pwned = 'script'</script>
<img src="x" alt="broken" onerror="window.__pwned = 'onerror'">
<svg onload="window.__pwned = 'svg'"></svg>
<details open ontoggle="window.__pwned = 'ontoggle'"><summary>More</summary>Hidden</details>

## Links

[click me](javascript:window.__pwned='markdown-link')
<a href="JaVaScRiPt:window.__pwned='html-link'">or me</a>
<iframe src="javascript:window.top.__pwned='iframe'"></iframe>
"""


@pytest.fixture(scope="module")
def help_site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server whose article store holds the fixture KB and one hostile article."""
    settings = api_settings(tmp_path_factory.mktemp("help-browser"))
    services = build_services(settings, embedder=embedder)

    async def fill() -> None:
        editor = services.editor
        articles, problems = load_kb(KB_FIXTURE, settings.chunking.max_file_bytes)
        assert (await editor.sync_files(articles, problems)).ok
        hostile = ArticleContent("A hostile article", HOSTILE_BODY, "troubleshooting")
        await editor.create(HOSTILE_ID, hostile, author="test")
        await editor.publish(HOSTILE_ID, author="test")
        assert (await editor.wait_indexed(HOSTILE_ID, WAIT_S)).index_state is IndexState.INDEXED

    # Playwright's sync API may keep an event loop running in this thread: run in another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, fill).result()
        with LiveServer(create_app(settings, services)) as live:
            yield live.url
        pool.submit(anyio.run, services.aclose).result()


def watched(browser: Browser) -> tuple[Page, list[str]]:
    """A phone-sized page (CSP bypassed) whose errors and dialogs are recorded."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page, errors


def test_home_search_article_and_vote_without_script(browser: Browser, help_site: str) -> None:
    from playwright.sync_api import expect

    page, errors = watched(browser)
    page.goto(f"{help_site}/help")
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")
    expect(page.get_by_role("link", name="Account login")).to_be_visible()
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "help-home.png"), full_page=True)

    page.get_by_role("searchbox", name="Search the help center").fill("how long til my refund")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("ol.results a").first).to_have_attribute("href", "/help/refund-timing")

    page.goto(f"{help_site}/help/reset-password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "help-article.png"), full_page=True)
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Thanks for your feedback")).to_be_visible()
    assert errors == []
    page.context.close()


def test_hostile_article_runs_nothing(browser: Browser, help_site: str) -> None:
    from playwright.sync_api import expect

    page, errors = watched(browser)
    page.goto(f"{help_site}/help/{HOSTILE_ID}")
    expect(page.get_by_role("heading", level=1)).to_have_text("A hostile article")
    assert page.locator("script, iframe, svg, [onerror], [onload], [ontoggle]").count() == 0
    page.get_by_text("or me").click()
    page.locator("summary").click()  # toggles the <details>
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pwned") is None
    assert page.url == f"{help_site}/help/{HOSTILE_ID}"
    page.screenshot(path=str(ARTIFACTS / "help-hostile.png"), full_page=True)
    assert errors == []
    page.context.close()
