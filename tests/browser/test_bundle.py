"""The widget bundle and its routes, without a browser: budget, freshness, HTTP caching."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.api.routes.widget import BUNDLE_PATH, WIDGET_DIR, current_bundle
from tests.api.conftest import api_settings

BUDGET_GZIP_BYTES = 25 * 1024


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """The app without its lifespan: these routes need no services."""
    return TestClient(create_app(api_settings(tmp_path)))


def _node() -> str:
    node = shutil.which("node")
    assert node is not None, "node is needed to build and check the widget (see the README)"
    return node


def test_bundle_is_one_minified_script_within_budget() -> None:
    bundle = current_bundle()
    assert len(bundle.gzipped) <= BUDGET_GZIP_BYTES
    text = bundle.body.decode()
    assert "\nimport " not in text and "\nexport " not in text
    assert text.count("window.SupportBot=") == 1
    assert gzip.decompress(bundle.gzipped) == bundle.body
    assert current_bundle() is bundle, "cached while the file is unchanged"


def test_committed_bundle_is_what_esbuild_builds_from_the_sources(tmp_path: Path) -> None:
    assert (WIDGET_DIR / "node_modules" / "esbuild").is_dir(), (
        "esbuild is not installed: run `make widget-deps`"
    )
    fresh = tmp_path / "widget.js"
    subprocess.run([_node(), str(WIDGET_DIR / "build.mjs"), str(fresh)], check=True)
    assert fresh.read_bytes() == BUNDLE_PATH.read_bytes(), (
        "web_widget/dist/widget.js is stale: run `make widget` and commit it"
    )


def test_bundle_parses_as_a_classic_script(tmp_path: Path) -> None:
    result = subprocess.run([_node(), "--check", str(BUNDLE_PATH)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_widget_script_is_served_cached_and_compressed(client: TestClient) -> None:
    plain = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in plain.headers
    assert plain.content == current_bundle().body
    zipped = client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # decoded by the client
    again = client.get("/widget.js", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_demo_page_embeds_the_widget_like_a_customer(tmp_path: Path) -> None:
    with TestClient(create_app(api_settings(tmp_path))) as client:  # the page reads settings
        page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Brightcart" in page.text
    assert (
        '<script src="http://testserver/widget.js" '
        'data-supportbot-url="http://testserver" async></script>'
    ) in page.text
