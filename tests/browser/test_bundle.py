"""The widget bundle and its routes, without a browser: budget, bundling rules, HTTP caching."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.api.routes.widget import WIDGET_DIR, BundleError, bundle_source, current_bundle
from tests.api.conftest import api_settings

BUDGET_GZIP_BYTES = 25 * 1024


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """The app without its lifespan: these routes need no services."""
    return TestClient(create_app(api_settings(tmp_path)))


def test_bundle_is_one_closure_within_budget() -> None:
    bundle = current_bundle()
    assert len(bundle.gzipped) <= BUDGET_GZIP_BYTES
    text = bundle.body.decode()
    assert "\nimport " not in text and "\nexport " not in text
    assert text.count("window.SupportBot =") == 1
    assert gzip.decompress(bundle.gzipped) == bundle.body
    assert current_bundle() is bundle, "cached while the sources are unchanged"


def test_bundle_parses_as_a_classic_script(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = tmp_path / "widget.js"
    script.write_bytes(current_bundle().body)
    result = subprocess.run([node, "--check", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_bundling_rules_are_enforced(tmp_path: Path) -> None:
    widget_dir = tmp_path / "web_widget"
    shutil.copytree(WIDGET_DIR, widget_dir, ignore=shutil.ignore_patterns("test", "node_*"))
    sse = widget_dir / "sse.js"
    sse.write_text("import { render } from './render.js';\n" + sse.read_text())
    with pytest.raises(BundleError, match="sse.js imports render.js"):
        bundle_source(widget_dir)
    sse.write_text("export default function parse() {}\n")
    with pytest.raises(BundleError, match="sse.js:1: unsupported"):
        bundle_source(widget_dir)
    sse.write_text("export function createApi() {}\n")
    with pytest.raises(
        BundleError, match="api.js declares 'createApi', already declared in sse.js"
    ):
        bundle_source(widget_dir)


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


def test_demo_page_embeds_the_widget_like_a_customer(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Brightcart" in page.text
    assert (
        '<script src="http://testserver/widget.js" '
        'data-supportbot-url="http://testserver" async></script>'
    ) in page.text
