"""Announcements in the widget, in a real browser (issue 21): the banner for the page appears
before the customer types, the bot cites the announcement, and both stop once it has ended."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import anyio
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from bot.helpcenter.announcements import new_announcement
from escalation.types import AgentRole
from tests.api.conftest import PASSWORD
from tests.browser.conftest import Live, Tab, Widget, embed_tag

pytestmark = pytest.mark.browser

OUTAGE_TEXT = "Payments are failing at checkout; our team is investigating. Your cart is **saved**."


@pytest.fixture(autouse=True)
def nothing_announced(live: Live) -> Iterator[None]:
    """Each test ends its announcements."""
    yield
    for announcement in live.services.announcements.current():
        live.services.announcements.end(announcement.id)


def shop_page(live: Live, path: str) -> str:
    return live.pages.add(path, f"<!doctype html><title>Shop</title>{embed_tag(live.url)}")


def test_banner_appears_is_cited_and_goes_away_once_ended(tab: Tab, live: Live) -> None:
    outage = live.services.announcements.post(
        new_announcement(title="Checkout <b>outage</b>", text=OUTAGE_TEXT, kind="incident")
    )
    live.services.announcements.post(
        new_announcement(title="Account news", text="New profile page.", page_pattern="/account*")
    )
    live.services.announcements.post(
        new_announcement(title="Pro plan news", text="Pro customers only.", plan="pro")
    )
    tab.page.goto(shop_page(live, "/checkout"))
    widget = Widget(tab.page).ready().open()
    banners = tab.page.locator("support-bot .announcement")
    expect(banners).to_have_count(1)  # not the other page's, not the plan's
    expect(banners.locator("strong").first).to_have_text("Checkout <b>outage</b>")  # as text
    expect(banners.locator("div strong")).to_have_text("saved")  # the markdown subset
    assert tab.page.locator("support-bot .announcement b").count() == 0
    expect(widget.input).to_be_empty()  # shown before the customer typed anything
    widget.screenshot("announcement-banner")

    answer = widget.ask("is checkout broken?")
    expect(answer).to_contain_text("Payments are failing at checkout")
    expect(answer.locator(".sources li")).to_have_text(["Announcement: Checkout <b>outage</b>"])

    live.services.announcements.end(outage.id)
    tab.page.evaluate("localStorage.removeItem('supportbot:session')")  # a new chat
    tab.page.reload()
    Widget(tab.page).ready().open()
    expect(banners).to_have_count(0)
    expect(tab.page.locator("support-bot .announcements")).to_be_hidden()
    later = Widget(tab.page).ask("is checkout broken?")
    expect(later).not_to_contain_text("Payments are failing at checkout")
    expect(later.locator(".sources li", has_text="Announcement:")).to_have_count(0)


def test_a_dismissed_banner_stays_dismissed(tab: Tab, live: Live) -> None:
    notice = live.services.announcements.post(
        new_announcement(title="Holiday hours", text="We answer until 14:00 on Friday.")
    )
    tab.page.goto(shop_page(live, "/home"))
    Widget(tab.page).ready().open()
    banner = tab.page.locator("support-bot .announcement")
    expect(banner).to_have_count(1)
    expect(banner).to_have_attribute("data-announcement", notice.id)
    banner.get_by_role("button", name="Dismiss announcement").click()
    expect(banner).to_have_count(0)
    tab.page.reload()
    Widget(tab.page).ready().open()
    expect(tab.page.locator("support-bot .message.bot[data-greeting]")).to_be_visible()
    expect(banner).to_have_count(0)


def add_account(live: Live, name: str, role: AgentRole) -> None:
    """A staff account, made in another thread (Playwright's sync API runs a loop in this one)."""
    worker = threading.Thread(
        target=anyio.run, args=(live.services.escalator.agents.add, name, PASSWORD, role, name)
    )
    worker.start()
    worker.join()


def sign_in(page: Page, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_admin_page_posts_and_ends_the_agent_console_lists(
    context: BrowserContext, tab: Tab, live: Live
) -> None:
    add_account(live, "ada", AgentRole.ADMIN)
    add_account(live, "sam", AgentRole.AGENT)
    sign_in(tab.page, f"{live.url}/admin", "ada")
    tab.page.get_by_label("Title").fill("Planned maintenance")
    tab.page.get_by_label("Text").fill("Orders placed on Sunday 02:00-04:00 UTC ship a day later.")
    tab.page.get_by_label("Kind").select_option("maintenance")
    tab.page.get_by_role("button", name="Post announcement").click()
    rows = tab.page.locator("#announcements tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Planned maintenance")
    expect(rows.first).to_contain_text("everyone")

    console = context.new_page()
    sign_in(console, f"{live.url}/agent", "sam")
    listed = console.locator("#announcement-list li")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Planned maintenance")
    expect(listed.first).to_contain_text("maintenance · active")

    rows.first.get_by_role("button", name="End").click()
    expect(rows).to_have_count(0)
    expect(tab.page.locator("#announcements-empty")).to_be_visible()
    console.reload()
    expect(console.locator("#console-view")).to_be_visible()
    expect(console.locator("#announcements")).to_be_hidden()
