"""Browser tests: Debian's Chromium driven by Playwright against a live server on the fixture KB.

Chromium comes from `apt-get install -y chromium` and Playwright from pip; `playwright install`
is never used. axe-core comes from `npm ci --prefix tests/browser`. Locally a missing piece
skips these tests; under CI=true it fails them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from bot.wiring import Services
from retrieval.interfaces import Embedder
from tests.api.conftest import api_settings, start
from tests.conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing(reason: str) -> None:
    """Skip locally, fail under CI: browser tests must run there."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def axe_violations(page: Any, context: object = None) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page (or in `context`, an axe context)."""
    if not AXE.exists():
        missing("axe-core is not installed: npm ci --prefix tests/browser")
    page.add_script_tag(path=str(AXE))
    result: list[dict[str, Any]] = page.evaluate(
        """async (context) => {
            const report = await axe.run(context || document, {
                runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
            });
            return report.violations
                .filter((v) => ['serious', 'critical'].includes(v.impact))
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.map((n) => n.target.join(' ')) }));
        }""",
        context,
    )
    return result


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module.

    Playwright's sync API runs an event loop in this thread while it is open; closing it after
    each module keeps that loop from leaking into the async tests that run later.
    """
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        missing("Playwright is not installed: .venv/bin/pip install playwright")
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: apt-get install -y chromium")
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


class PageServer:
    """Serves test host pages from another origin than the supportbot server, like a customer's
    site (a page faked with Playwright's route.fulfill has no address, so Chromium's local
    network checks would block its WebSocket to 127.0.0.1)."""

    def __init__(self) -> None:
        pages: dict[str, tuple[bytes, dict[str, str]]] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                body, headers = pages.get(self.path.split("?")[0], (b"", {}))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._pages = pages
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def add(self, path: str, html: str, headers: dict[str, str] | None = None) -> str:
        """Serve `html` at `path`; returns its URL."""
        self._pages[path] = (html.encode(), headers or {})
        return self.origin + path

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Live:
    """The server under test, its services, and a second origin for customer pages."""

    url: str
    services: Services
    database: Path
    pages: PageServer

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Rows from the server's SQLite database."""
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def live(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("browser")
    with PageServer() as pages:
        settings = api_settings(
            data_dir,
            # Every widget of a module comes from one address, and each opening asks for its
            # banner and suggestions too: the per-address limit is tested in tests/api.
            api={"cors_origins": [pages.origin], "rate_limit_per_ip": 100_000},
            escalation={"business_hours": ""},  # people answer at any hour in these tests
        )
        services, server = start(settings, embedder)
        with server:
            yield Live(server.url, services, data_dir / "supportbot.db", pages)
    # Playwright's sync API keeps an event loop running in this thread: close from another.
    closer = threading.Thread(target=anyio.run, args=(services.aclose,))
    closer.start()
    closer.join()


@dataclass
class Tab:
    """A page in a fresh browser context, with its uncaught errors recorded."""

    page: Page
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile: no storage shared between tests."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def tab(context: BrowserContext) -> Iterator[Tab]:
    """A page whose uncaught JavaScript errors fail the test."""
    tab = Tab(context.new_page())
    tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    assert tab.errors == [], tab.errors


def embed_tag(base_url: str, **data: str) -> str:
    """The script tag a customer pastes, with extra data-* attributes."""
    extra = "".join(f' data-{name.replace("_", "-")}="{value}"' for name, value in data.items())
    src = f"{base_url}/widget.js"
    return f'<script src="{src}" data-supportbot-url="{base_url}"{extra} async></script>'


class Widget:
    """The widget on a page, as a customer uses it (locators pierce its open shadow root)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator("support-bot .launcher")
        self.panel = page.locator("support-bot .panel")
        self.input = page.locator("support-bot #sb-input")
        self.status = page.locator("support-bot .status")
        self.banner = page.locator("support-bot .banner")
        self.answers = page.locator("support-bot .message.bot[data-turn-id]")
        self.customer_messages = page.locator("support-bot .message.customer")
        self.notices = page.locator("support-bot .notice")

    def ready(self) -> Widget:
        """Wait until the widget has loaded and restored any saved conversation.

        (No wait_for_function: it evaluates strings, which a strict CSP page forbids.)
        """
        from playwright.sync_api import expect

        expect(self.launcher).to_be_attached()
        self.page.evaluate("() => new Promise((done) => window.SupportBot.on('ready', done))")
        return self

    def open(self) -> Widget:
        from playwright.sync_api import expect

        self.launcher.click()
        expect(self.panel).to_be_visible()
        return self

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def ask(self, text: str) -> Locator:
        """Send `text` and return the bot's stored answer to it."""
        from playwright.sync_api import expect

        before = self.answers.count()
        self.send(text)
        expect(self.answers).to_have_count(before + 1)
        return self.answers.nth(before)

    def conversation(self) -> tuple[str, str]:
        """The (id, token) saved by the widget."""
        saved = self.page.evaluate("JSON.parse(localStorage.getItem('supportbot:session')).value")
        return saved["id"], saved["token"]

    def screenshot(self, name: str, *, full: bool = False) -> None:
        """Save test-artifacts/widget-<name>.png."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"), full_page=full)

    def axe_violations(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations inside the widget."""
        return axe_violations(self.page, {"include": [["support-bot"]]})
