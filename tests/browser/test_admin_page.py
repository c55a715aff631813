"""The admin analytics page in Debian's Chromium: admin login, KPIs, SVG charts, tables.

Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import pytest

from bot.api.app import create_app
from bot.settings import Settings
from bot.wiring import Services, build_services
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD
from tests.api.test_analytics import backdate, seed
from tests.conftest import ROOT
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
T = TypeVar("T")
XSS = '<img src=x onerror="window.__pwned=1">'


def in_thread(func: Callable[..., Awaitable[T]], *args: Any) -> T:
    """anyio.run in another thread: Playwright's sync API keeps a loop running in this one."""
    box: list[T] = []
    worker = threading.Thread(target=lambda: box.append(anyio.run(func, *args)))
    worker.start()
    worker.join()
    if not box:
        raise RuntimeError(f"{func.__name__} failed (see the thread's traceback)")
    return box[0]


@dataclass
class Site:
    url: str
    services: Services


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("admin"))
    services = build_services(settings, embedder=embedder)
    ids = in_thread(seed, services)

    async def hostile() -> None:  # a customer question that is HTML must stay text
        from bot.conversations.models import Channel, Customer, Role

        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.WIDGET, locale="en"
        )
        await services.store.append(conversation.id, Role.CUSTOMER, XSS)

    in_thread(hostile)
    backdate(services.database.engine, ids, dt.datetime.now(dt.UTC).replace(microsecond=0))
    with LiveServer(create_app(settings, services)) as live:
        yield Site(live.url, services)
    in_thread(services.aclose)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors


def log_in(page: Any, site: Site, name: str) -> None:
    page.goto(f"{site.url}/admin")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_admin_sees_the_dashboard_with_charts(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    log_in(page, site, "admin")
    expect(page.locator("body[data-loaded='true']")).to_be_attached()
    expect(page.locator("#whoami")).to_have_text("Ada Admin")
    kpis = page.locator("#kpis .kpi")
    expect(kpis).to_have_count(9)  # with NPS, FCR and first response (issue 21)
    expect(kpis.nth(0).locator(".kpi-value")).to_have_text("7")  # six seeded + the hostile one
    expect(kpis.nth(6).locator(".kpi-label")).to_have_text("NPS")
    # Every chart is an SVG drawn in the page, with one mark per value.
    charts = ("conversations", "rates", "reasons", "csat", "nps", "fcr", "csat-trend")
    for name in (*charts, "first-response"):
        expect(page.locator(f"[data-chart='{name}'] svg.svg-chart")).to_be_visible()
    conversations = page.locator("[data-chart='conversations'] rect.bar[data-value]")
    total = sum(int(v) for v in conversations.evaluate_all("(n) => n.map((e) => e.dataset.value)"))
    assert total == 7
    reasons = page.locator("[data-chart='reasons'] rect.bar")
    expect(reasons).to_have_count(3)
    labels = set(reasons.evaluate_all("(n) => n.map((e) => e.dataset.label)"))
    assert labels == {"explicit request", "low confidence", "emotion"}
    csat = page.locator("[data-chart='csat'] rect.bar[data-value]")
    expect(csat).to_have_count(3)  # scores 2, 4 and 5
    assert page.locator("[data-chart='rates'] circle.dot").count() >= 2
    assert page.locator("[data-chart='csat-trend'] circle.dot").count() >= 1
    expect(page.locator("[data-chart='first-response'] rect.bar").first).to_be_visible()
    box = page.locator("[data-chart='conversations'] svg").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # Tables; customer text is shown as text, never as HTML.
    expect(page.locator("#top-questions tbody tr").first).to_contain_text(
        "how do i reset my password?"
    )
    expect(page.locator("#top-articles tbody tr").first).to_contain_text("Reset your password")
    expect(page.locator("#top-questions")).to_contain_text(XSS.lower())
    assert page.evaluate("() => window.__pwned") is None
    expect(page.locator("#daily tbody tr")).to_have_count(30)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)

    page.select_option("#days", "7")
    expect(page.locator("#daily tbody tr")).to_have_count(7)
    page.reload()  # the session survives a reload
    expect(page.locator("#daily tbody tr")).to_have_count(30)
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#login-view")).to_be_visible()


def test_admin_opts_in_to_taking_chats(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    log_in(page, site, "admin")
    expect(page.locator("body[data-loaded='true']")).to_be_attached()
    expect(page.locator("#staff tr[data-name='agent'] td").nth(2)).to_have_text("always")
    box = page.get_by_label("Ada Admin takes chats")
    expect(box).not_to_be_checked()
    box.check()
    expect(page.locator("#status")).to_have_text("Ada Admin now takes chats")
    expect(page.get_by_label("Ada Admin takes chats")).to_be_checked()
    admin = next(a for a in in_thread(site.services.escalator.agents.list) if a.name == "admin")
    assert admin.takes_chats
    page.get_by_label("Ada Admin takes chats").uncheck()
    expect(page.locator("#status")).to_have_text("Ada Admin no longer takes chats")


def test_non_admins_are_turned_away(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    log_in(page, site, "agent")
    expect(page.locator("#login-error")).to_have_text("This account is not an admin.")
    expect(page.locator("#dashboard-view")).to_be_hidden()
    log_in(page, site, "nobody")
    expect(page.locator("#login-error")).to_have_text("Wrong name or password.")
