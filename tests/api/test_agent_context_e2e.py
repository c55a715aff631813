"""After an agent hands a chat back, the bot answers from what the agent said (issue 16).

Real server, embedder, Chroma and SQLite on the fixture KB, whose return policy ("return most
items within 30 days") conflicts with the exception the agent grants.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from bot.conversations.models import Role
from bot.wiring import Services
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat, agent_site, log_in
from tests.live_server import LiveServer

REFUND = (
    "I've refunded the $89 for the mixer to your card, reference RF-20931. It should reach your "
    "card by 12 March."
)
KEEP = "No need to send the mixer back, you can keep it."
NOTE = "Customer keeps the broken mixer, no return. Refund reference RF-20931."


@pytest.fixture(scope="module")
def site(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, LiveServer]]:
    yield from agent_site(embedder, tmp_path_factory.mktemp("agent-context"))


def handed_back(client: httpx.Client, url: str, note: dict[str, Any] | None) -> Chat:
    """A chat where the customer asked for a person, Sam refunded and waived the return, and
    handed the chat back (with `note` as the hand-back body)."""
    chat = Chat(client, locale="en")
    assert chat.send("my stand mixer arrived broken, I want to talk to a person").status_code == 200
    agent = log_in(url, "sam")
    tickets = client.get("/api/agent/tickets", params={"status": "open"}, headers=agent).json()
    (ticket,) = [t for t in tickets if t["conversation_id"] == chat.id]
    base = f"/api/agent/tickets/{ticket['id']}"
    assert client.post(f"{base}/claim", headers=agent).status_code == 200
    for text in (REFUND, KEEP):
        sent = client.post(f"{base}/messages", json={"text": text}, headers=agent)
        assert sent.status_code == 200, sent.text
    returned = client.post(f"{base}/return", json=note, headers=agent)
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    return chat


def stored(services: Services, chat: Chat, turn_id: object) -> dict[str, Any]:
    turns = anyio.run(services.store.turns, chat.id)
    return dict(next(t for t in turns if t.id == turn_id).meta)


def test_follow_ups_after_a_hand_back_are_answered_from_the_agent(
    site: tuple[Services, LiveServer],
) -> None:
    services, live = site
    with httpx.Client(base_url=live.url, timeout=60) as client:
        chat = handed_back(client, live.url, None)
        agent_turns = {t.text: t.id for t in anyio.run(services.store.turns, chat.id)}

        label = chat.ask("do I need to print a return label to send the mixer back?")
        assert str(label["text"]).startswith(f'Earlier in this chat, our agent Sam wrote: "{KEEP}"')
        assert "Talk to a person" in str(label["text"])
        assert "30 days" not in str(label["text"]) and label["citations"] == []
        assert stored(services, chat, label["id"])["from_agent_turn"] == agent_turns[KEEP]

        reference = chat.ask("what was the refund reference again?")
        assert "RF-20931" in str(reference["text"]) and "Sam" in str(reference["text"])
        assert stored(services, chat, reference["id"])["from_agent_turn"] == agent_turns[REFUND]

        # Questions about something else still go to the help center.
        other = chat.ask("how long is the password reset link valid?")
        assert other["kind"] == "answer" and "30 minutes" in str(other["text"])
        assert "from_agent_turn" not in stored(services, chat, other["id"])


def test_a_hand_back_note_is_context_for_the_bot_only(site: tuple[Services, LiveServer]) -> None:
    services, live = site
    with httpx.Client(base_url=live.url, timeout=60) as client:
        chat = handed_back(client, live.url, {"note": NOTE})
        view = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()
        assert [t["role"] for t in view["turns"]].count("agent") == 2
        assert NOTE not in str(view)

        turns = anyio.run(services.store.turns, chat.id)
        (note,) = [t for t in turns if t.text == NOTE]
        assert note.role is Role.AGENT and note.meta["agent_name"] == "Sam"
        answer = chat.ask("do I have to return the mixer?")
        assert answer["kind"] == "answer" and "30 days" not in str(answer["text"])
        assert stored(services, chat, answer["id"])["from_agent_turn"] in {
            note.id,
            next(t.id for t in turns if t.text == KEEP),
        }
