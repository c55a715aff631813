"""Page-aware help and the NPS survey in a real browser (issue 21): the demo store's home and
checkout pages suggest different questions, a suggestion is asked with a click, and a chat that
ends asks the NPS question once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from bot.wiring import Services
from retrieval.interfaces import Embedder
from retrieval.loader import load_kb
from tests.api.conftest import api_settings, start
from tests.browser.conftest import Widget
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

ARTICLES = {
    "payment-declined": (
        'title: Payment declined at checkout\npages: ["*/checkout*"]\n'
        'questions: ["Why was my payment declined?"]',
        "## Why a card is declined\nA declined card usually means the billing address on the "
        "order does not match the address your bank has for the card.",
    ),
    "create-account": (
        'title: Create an account\npages: ["/"]\nquestions: ["How do I create an account?"]',
        "## Sign up\nSelect Sign up at the top of any page and enter your email address.",
    ),
}


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("page-help")
    kb = data_dir / "kb"
    kb.mkdir()
    for slug, (meta, body) in ARTICLES.items():
        (kb / f"{slug}.md").write_text(f"---\n{meta}\n---\n{body}\n", encoding="utf-8")
    settings = api_settings(
        data_dir, escalation={"business_hours": ""}, page_help={"nudge_after_s": 1}
    )
    services, server = start(settings, embedder)
    # Playwright's sync API may already run an event loop in this thread: publish from another.
    publisher = threading.Thread(target=_publish, args=(services, kb))
    publisher.start()
    publisher.join()
    with server:
        yield server
    closer = threading.Thread(target=anyio.run, args=(services.aclose,))
    closer.start()
    closer.join()


def _publish(services: Services, kb: Path) -> None:
    articles, problems = load_kb(kb, services.settings.chunking.max_file_bytes)
    anyio.run(lambda: services.editor.sync_files(articles, problems))


def _visit(context: BrowserContext, url: str) -> Widget:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    widget = Widget(page).ready()
    assert errors == [], errors
    return widget


def test_the_demo_pages_suggest_their_own_questions(
    context: BrowserContext, site: LiveServer
) -> None:
    home = _visit(context, site.url + "/")
    home.open()
    card = home.page.locator("support-bot .suggestions")
    expect(card).to_be_visible()
    expect(card.locator(".suggestion")).to_have_text(["How do I create an account?"])
    checkout = _visit(context, site.url + "/demo/checkout")
    expect(checkout.page).to_have_title("Checkout · Brightcart")
    checkout.open()
    card = checkout.page.locator("support-bot .suggestions")
    expect(card.locator(".suggestion")).to_have_text(["Why was my payment declined?"])
    expect(card.get_by_role("link", name="Payment declined at checkout")).to_have_attribute(
        "href", site.url + "/help/payment-declined"
    )
    card.get_by_role("button", name="Why was my payment declined?").click()
    expect(card).to_have_count(0)
    expect(checkout.customer_messages).to_contain_text(["Why was my payment declined?"])
    expect(checkout.answers.first).to_contain_text("billing address")


def test_the_nudge_shows_once_per_page_and_opens_the_chat(
    context: BrowserContext, site: LiveServer
) -> None:
    widget = _visit(context, site.url + "/demo/checkout")
    nudge = widget.page.locator("support-bot .nudge")
    expect(nudge).to_be_visible()  # after the server's nudge_after_s (1 s here)
    nudge.get_by_role("button", name="Questions about this page? We can help.").click()
    expect(widget.panel).to_be_visible()
    expect(nudge).to_have_count(0)
    widget.page.reload()
    Widget(widget.page).ready()
    widget.page.wait_for_timeout(2500)
    expect(nudge).to_have_count(0)  # once per page per visitor


def test_a_finished_chat_asks_the_nps_question_once(
    context: BrowserContext, site: LiveServer
) -> None:
    widget = _visit(context, site.url + "/").open()
    widget.ask("How do I create an account?")
    widget.page.get_by_role("button", name="End chat").click()
    survey = widget.page.locator("support-bot .nps")
    expect(survey).to_be_visible()
    expect(survey.locator("#sb-nps-question")).to_have_text(
        "How likely are you to recommend us to a friend?"
    )
    survey.get_by_role("button", name="9", exact=True).click()
    survey.get_by_role("textbox").fill("Quick <b>answers</b>")
    survey.get_by_role("button", name="Send").click()
    expect(survey).to_have_text("Thank you for your answer!")
    conversation_id, token = widget.conversation()
    due = httpx.get(
        f"{site.url}/api/conversations/{conversation_id}/nps",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert due.json()["due"] is False  # stored for this customer
    # The same visitor's next chat is not asked again within the period.
    widget.page.get_by_role("button", name="Start a new chat").click()
    widget.ask("How do I create an account?")
    widget.page.get_by_role("button", name="End chat").click()
    expect(widget.page.locator("support-bot .csat")).to_be_visible()
    expect(survey).to_have_count(0)
    assert (conversation_id, token) != widget.conversation()
