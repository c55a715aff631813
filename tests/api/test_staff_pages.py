"""The staff pages load their scripts as native ES modules: one module entry per page, no
inline script, every module it imports served as JavaScript and revalidated on use."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from bot.api.routes.console import CONTENT_SECURITY_POLICY, STATIC_DIR

# `import ... from '...'`, `export ... from '...'`, `import '...'` (the modules quote singly).
IMPORT = re.compile(r"""^\s*(?:(?:import|export)\b[^'"]*?from\s+|import\s+)'([^']+)'""", re.M)


class Scripts(HTMLParser):
    """The attributes and text of every <script> in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


def module_graph(client: httpx.Client, entry: str) -> dict[str, httpx.Response]:
    """Every module reachable from `entry` (a URL path) by its static imports."""
    seen: dict[str, httpx.Response] = {}
    todo = [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response
        assert response.status_code == 200, path
        base = httpx.URL(f"http://page{path}")
        for found in IMPORT.finditer(response.text):
            target = base.join(found.group(1))
            todo.append(target.path)
    return seen


@pytest.mark.parametrize("page", ["agent", "editor", "admin"])
def test_a_staff_page_loads_one_module_and_all_it_imports(client: httpx.Client, page: str) -> None:
    response = client.get(f"/{page}")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    parser = Scripts()
    parser.feed(response.text)
    assert parser.inline == []
    assert [s.get("type") for s in parser.scripts] == ["module"]
    src = parser.scripts[0]["src"] or ""
    assert re.fullmatch(rf"/static/{page}/main\.js\?v=[0-9a-f]{{12}}", src), src

    graph = module_graph(client, src.split("?")[0])
    assert f"/static/{page}/main.js" in graph and "/static/shared/dom.js" in graph
    for path, module in graph.items():
        assert module.headers["content-type"].startswith("text/javascript"), path
        if path.startswith("/static/"):
            assert module.headers["cache-control"] == "no-cache", path
    expected = {f"/static/{page}/{p.name}" for p in (STATIC_DIR / page).glob("*.js")}
    assert expected <= graph.keys()  # no module of the page is left unused
    if page == "agent":
        assert "/agent/render.js" in graph  # the widget's renderer, served by the console route
