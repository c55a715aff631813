"""Citations link to this app's help-center pages, or to an external help center when the
articles' `url` front matter is chosen (issue 20, `answer.citation_links`)."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from retrieval.interfaces import Embedder
from tests.api.conftest import api_settings, start


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ("help_center", "/help/reset-password"),
        ("article_url", "https://help.example/articles/reset-password"),
    ],
)
def test_citations_link_where_the_setting_says(
    embedder: Embedder, tmp_path: Path, links: str, expected: str
) -> None:
    settings = api_settings(tmp_path, answer={"citation_links": links})
    services, live = start(settings, embedder)
    try:
        with live:
            chat = httpx.post(f"{live.url}/api/conversations", json={}).json()
            reply = httpx.post(
                f"{live.url}/api/conversations/{chat['id']}/messages",
                json={"text": "how do I reset my password?"},
                headers={"Authorization": f"Bearer {chat['token']}"},
                timeout=60,
            ).json()["reply"]
    finally:
        anyio.run(services.aclose)
    urls = [c["url"] for c in reply["citations"]]
    assert urls and urls[0] == expected
    if links == "help_center":
        assert all(url.startswith("/help/") for url in urls)
