"""What agents see (issue 17, item 5): a summary in whole sentences, the name and order numbers
the customer wrote (marked as said by them), and replies made from the articles the bot used.

Real server, embedder, Chroma and SQLite on the fixture KB.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.wiring import Services
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat, agent_site, log_in
from tests.live_server import LiveServer


@pytest.fixture(scope="module")
def site(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, LiveServer]]:
    yield from agent_site(embedder, tmp_path_factory.mktemp("agent-view"))


def escalated(client: httpx.Client, url: str) -> dict[str, Any]:
    """Dana asks about returns, says what went wrong and asks for a person; the detail."""
    chat = Chat(client, locale="en")
    assert chat.ask("hi, how are you?")["kind"] == "smalltalk"  # no request of the summary
    answer = chat.ask("How many days do I have to return an item?")
    assert answer["citations"], answer
    chat.send(
        "Hi, I'm Dana. My blender from order #48213 arrived cracked and I would like a refund "
        "instead of a replacement. The return form didn't work for me."
    )
    handoff = client.post(f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers)
    assert handoff.status_code == 202, handoff.text
    agent = log_in(url, "sam")
    detail = client.get(f"/api/agent/tickets/{handoff.json()['ticket_id']}", headers=agent)
    assert detail.status_code == 200, detail.text
    return dict(detail.json())


def test_the_agent_sees_the_request_in_whole_sentences_and_the_name_the_customer_gave(
    site: tuple[Services, LiveServer],
) -> None:
    _, live = site
    with httpx.Client(base_url=live.url, timeout=60) as client:
        detail = escalated(client, live.url)

    request, last, tried, wants, why = detail["ticket"]["summary"].splitlines()
    assert request == "Request: How many days do I have to return an item?"
    assert last.startswith("Last message: Hi, I'm Dana. My blender from order #48213")
    assert tried.startswith("Tried: the bot answered from “Return policy”")
    assert "the customer said “The return form didn't work for me.”" in tried
    assert wants == (
        "Wants: “My blender from order #48213 arrived cracked and I would like a refund instead "
        "of a replacement.”"
    )
    assert why.startswith("Escalated because: ")  # low confidence, or the person asked for

    customer = detail["customer"]
    assert customer["said_in_chat"] == {"name": "Dana", "order_numbers": ["48213"]}
    assert customer["verified"] == {}  # nothing the customer wrote is a verified fact
    assert customer["customer_supplied"]["name"] == ""


def test_suggested_replies_come_from_the_articles_the_bot_cited(
    site: tuple[Services, LiveServer],
) -> None:
    _, live = site
    with httpx.Client(base_url=live.url, timeout=60) as client:
        detail = escalated(client, live.url)
        cited = {c["article_id"] for t in detail["turns"] for c in t["citations"]}
        replies = detail["suggested_replies"]
        assert replies and {r["article_id"] for r in replies} <= cited
        first = replies[0]
        assert first["url"] == f"{live.url}/help/{first['article_id']}"
        assert first["passage"].endswith((".", "!", "?")) and first["passage"] in first["text"]
        assert first["title"] in first["text"] and first["url"] in first["text"]
