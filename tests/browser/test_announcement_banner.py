"""Announcements in the widget, in a real browser (issue 21): the banner for the page appears
before the customer types, the bot cites the announcement, and both stop once it has ended."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot.announcements import new_announcement
from tests.browser.conftest import Live, Tab, Widget, embed_tag

pytestmark = pytest.mark.browser

OUTAGE_TEXT = "Payments are failing at checkout; our team is investigating. Your cart is **saved**."


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
    try:
        tab.page.goto(shop_page(live, "/home"))
        Widget(tab.page).ready().open()
        banner = tab.page.locator("support-bot .announcement")
        expect(banner).to_have_count(1)
        banner.get_by_role("button", name="Dismiss announcement").click()
        expect(banner).to_have_count(0)
        tab.page.reload()
        Widget(tab.page).ready().open()
        expect(tab.page.locator("support-bot .message.bot[data-greeting]")).to_be_visible()
        expect(banner).to_have_count(0)
    finally:
        live.services.announcements.end(notice.id)
