"""Every integer a request carries is bounded: 2^63 gets a 422, never a 500 from an SQLite
overflow (issue #15, item 11)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from bot.api.app import create_app
from bot.api.schemas.chat import MAX_INT
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, Chat, api_settings, log_in, start

HUGE = 2**63
ARTICLE = "bounded-article"


@pytest.fixture(scope="module")
def client(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    services, live = start(api_settings(tmp_path_factory.mktemp("bounds")), embedder)
    anyio.run(services.escalator.agents.add, "erin", PASSWORD, AgentRole.EDITOR)
    with live, httpx.Client(base_url=live.url, timeout=120) as http:
        http.headers.update(log_in(live.url, "erin"))
        article = {"id": ARTICLE, "title": "Bounded", "body": "Some text."}
        assert http.post("/api/editor/articles", json=article).status_code == 201
        yield http
    anyio.run(services.aclose)


EDITOR_CALLS = [
    ("PUT", f"/api/editor/articles/{ARTICLE}", {"title": "t", "base_version": "{n}"}),
    ("POST", f"/api/editor/articles/{ARTICLE}/publish", {"version": "{n}"}),
    ("POST", f"/api/editor/articles/{ARTICLE}/restore", {"version": "{n}", "base_version": 1}),
    ("POST", f"/api/editor/articles/{ARTICLE}/restore", {"version": 1, "base_version": "{n}"}),
    ("GET", f"/api/editor/articles/{ARTICLE}/versions/{{n}}", None),
    ("GET", f"/api/editor/articles/{ARTICLE}/diff?from={{n}}&to=1", None),
    ("GET", f"/api/editor/articles/{ARTICLE}/diff?from=1&to={{n}}", None),
]


def call(client: httpx.Client, method: str, path: str, body: Any, n: int) -> httpx.Response:
    """The call with the number `n` put where "{n}" is."""
    if body is not None:
        body = {key: n if value == "{n}" else value for key, value in body.items()}
    return client.request(method, path.replace("{n}", str(n)), json=body)


@pytest.mark.parametrize(("method", "path", "body"), EDITOR_CALLS)
@pytest.mark.parametrize("n", [HUGE, MAX_INT + 1, -HUGE])
def test_huge_version_numbers_get_a_422(
    client: httpx.Client, method: str, path: str, body: Any, n: int
) -> None:
    response = call(client, method, path, body, n)
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "invalid_request"


@pytest.mark.parametrize(("method", "path", "body"), EDITOR_CALLS)
def test_the_largest_version_number_is_looked_up(
    client: httpx.Client, method: str, path: str, body: Any
) -> None:
    """MAX_INT is a valid number: unknown version (404) or not the current one (409)."""
    response = call(client, method, path, body, MAX_INT)
    assert response.status_code in (404, 409), response.text


def test_any_customer_sending_a_huge_turn_id_gets_a_422(client: httpx.Client) -> None:
    chat = Chat(client)
    url = f"/api/conversations/{chat.id}/feedback"
    huge = client.post(url, json={"turn_id": HUGE, "rating": "down"}, headers=chat.headers)
    assert huge.status_code == 422, huge.text
    assert "turn_id" in huge.json()["detail"]
    largest = client.post(url, json={"turn_id": MAX_INT, "rating": "down"}, headers=chat.headers)
    assert largest.status_code == 404, largest.text


def integers_without_maximum(schema: Any, where: str, spec: dict[str, Any]) -> Iterator[str]:
    """Where an integer in this request schema (references followed) has no maximum."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            yield from integers_without_maximum(spec["components"]["schemas"][name], name, spec)
            return
        if schema.get("type") == "integer" and "maximum" not in schema:
            yield where
        for key, value in schema.items():
            yield from integers_without_maximum(value, f"{where}.{key}", spec)
    elif isinstance(schema, list):
        for value in schema:
            yield from integers_without_maximum(value, where, spec)


def test_every_integer_a_request_may_carry_has_a_maximum(tmp_path: Path) -> None:
    """Walks the whole OpenAPI: parameters and request bodies of every operation."""
    spec = create_app(api_settings(tmp_path)).openapi()
    unbounded = [
        f"{method.upper()} {path}: {where}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for part in ("parameters", "requestBody")
        for where in integers_without_maximum(operation.get(part), part, spec)
    ]
    assert unbounded == []
