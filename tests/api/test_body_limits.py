"""Request bodies are limited by the bytes actually read, and customer metadata is bounded
(issue #15, item 9: a 5 MB chunked body was stored)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
import sqlalchemy as sa

from bot.db.schema import conversations
from bot.wiring import Services
from retrieval.interfaces import Embedder
from tests.api.conftest import api_settings, start

MB = 1_000_000


@pytest.fixture(scope="module")
def site(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, httpx.Client]]:
    services, live = start(api_settings(tmp_path_factory.mktemp("limits")), embedder)
    with live, httpx.Client(base_url=live.url, timeout=120) as client:
        yield services, client
    anyio.run(services.aclose)


def stored(services: Services) -> int:
    with services.database.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(conversations)).scalar_one())


def padded_json(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A valid JSON object of about `size` bytes (whitespace padding), sent in chunks."""
    yield b'{"name": "Ann"'
    for _ in range(size // chunk):
        yield b" " * chunk
    yield b"}"


def test_a_chunked_body_over_the_limit_is_refused_and_nothing_is_stored(
    site: tuple[Services, httpx.Client],
) -> None:
    services, client = site
    before = stored(services)
    response = client.post(
        "/api/conversations",
        content=padded_json(5 * MB),  # a generator: Transfer-Encoding chunked, no Content-Length
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json() == {
        "error_code": "payload_too_large",
        "detail": "the request body is over 65,536 bytes",
    }
    assert stored(services) == before


def test_a_chunked_body_under_the_limit_is_read_whole(
    site: tuple[Services, httpx.Client],
) -> None:
    services, client = site
    before = stored(services)
    response = client.post(
        "/api/conversations",
        content=padded_json(60_000, chunk=1_000),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert stored(services) == before + 1


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    site: tuple[Services, httpx.Client],
) -> None:
    _, client = site
    body = b"".join(padded_json(100_000))
    response = client.post(
        "/api/conversations", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error_code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("metadata", "detail"),
    [
        ({f"k{n}": "v" for n in range(21)}, "at most 20 items"),
        ({"k" * 65: "v"}, "a key has 65 characters; keys have 1 to 64"),
        ({"": "v"}, "a key has 0 characters"),
        ({"plan": "v" * 501}, "the value of 'plan' has 501 characters; the limit is 500"),
        ({f"key{n}": "v" * 400 for n in range(11)}, "characters in all; the limit is 4000"),
        ({"plan": {"tier": "pro"}}, "metadata.plan: Input should be a valid string"),
        ({"plan": ["pro"]}, "metadata.plan: Input should be a valid string"),
    ],
)
def test_metadata_over_its_bounds_gets_a_clear_422(
    site: tuple[Services, httpx.Client], metadata: dict[str, Any], detail: str
) -> None:
    services, client = site
    before = stored(services)
    response = client.post("/api/conversations", json={"metadata": metadata})
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "invalid_request"
    assert detail in response.json()["detail"]
    assert stored(services) == before


def test_metadata_at_its_bounds_is_accepted(site: tuple[Services, httpx.Client]) -> None:
    _, client = site
    metadata = {f"key{n:02d}": "v" * 195 for n in range(20)}  # 20 keys, 4,000 characters
    response = client.post("/api/conversations", json={"metadata": metadata})
    assert response.status_code == 201, response.text
