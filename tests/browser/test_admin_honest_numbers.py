"""The admin page shows the hand-computed figures of the honest-numbers seed (issue #17)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from bot.api.app import create_app
from bot.settings import Settings
from bot.wiring import build_services
from retrieval.interfaces import Embedder
from tests.api.test_honest_numbers import FAILURE_SIGNALS, GAPS, backdate, seed
from tests.browser.test_admin_page import ARTIFACTS, Site, in_thread, log_in
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("honest-page"))
    services = build_services(settings, embedder=embedder)
    ids = in_thread(seed, services)
    backdate(services.database.engine, ids, dt.datetime.now(dt.UTC).replace(microsecond=0))
    with LiveServer(create_app(settings, services)) as live:
        yield Site(live.url, services)
    in_thread(services.aclose)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    yield context.new_page()
    context.close()


def test_the_page_shows_the_hand_computed_figures(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    log_in(page, site, "admin")
    expect(page.locator("body[data-loaded='true']")).to_be_attached()
    kpis = page.locator("#kpis .kpi")
    expect(kpis.nth(0).locator(".kpi-value")).to_have_text("15")
    expect(kpis.nth(1).locator(".kpi-label")).to_have_text("Bot-resolved (with evidence)")
    expect(kpis.nth(1).locator(".kpi-value")).to_have_text("26.7%")  # 4 of 15
    expect(kpis.nth(2).locator(".kpi-value")).to_have_text("20%")  # 3 of 15
    expect(kpis.nth(3).locator(".kpi-value")).to_have_text("2 min")  # s6 only: 120 s
    gaps = page.locator("#content-gaps tbody tr")
    expect(gaps).to_have_count(len(GAPS))
    shown = {row.split("\t")[0] for row in gaps.evaluate_all("(r) => r.map((e) => e.innerText)")}
    assert shown == set(GAPS)
    expect(page.locator("#content-gaps")).not_to_contain_text("i want to talk to a person")
    expect(
        page.locator("#content-gaps tbody tr", has_text="do you ship to canada?")
    ).to_contain_text("asked again")
    expect(page.locator("#failure-signals tbody tr")).to_have_count(len(FAILURE_SIGNALS))
    expect(page.locator("#failure-signals tbody tr", has_text="complained")).to_contain_text("2")
    expect(page.locator("#definitions")).to_contain_text("30 min after a confident answer")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-honest-numbers.png"), full_page=True)
