"""Tickets of possibly the same customer (issue 17, item 5), through the HTTP API, on SQLite and
PostgreSQL.

Emails are not verified, so a request never joins another conversation's ticket by itself:
someone typing a victim's email gets their own ticket, and the victim's chat keeps its ticket,
its replies and its mode. Both tickets show the other as "possibly the same customer", and an
agent who confirms it merges one into the other: one transaction, exactly one outcome when two
agents merge crosswise at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from bot.conversations.models import Mode, Role
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat
from tests.contracts.conftest import fresh_database, require_postgres
from tests.contracts.test_ticket_races import Desk, _desk, at_once

CROSSWISE_ROUNDS = 8


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def desk(
    request: pytest.FixtureRequest, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    data_dir = tmp_path_factory.mktemp(f"customer-ticket-{request.param}")
    if request.param == "sqlite":
        yield from _desk(embedder, data_dir, f"sqlite:///{data_dir / 'bot.db'}")
    else:
        with fresh_database(require_postgres()) as url:
            yield from _desk(embedder, data_dir, url)


def hand_off(desk: Desk, chat: Chat, email: str = "") -> str:
    """Ask for a person in `chat`; the ticket id."""
    body = {"email": email} if email else {}
    response = desk.client.post(
        f"/api/conversations/{chat.id}/handoff", json=body, headers=chat.headers
    )
    assert response.status_code == 202, response.text
    return str(response.json()["ticket_id"])


def detail(desk: Desk, ticket_id: str) -> dict[str, Any]:
    response = desk.client.get(f"/api/agent/tickets/{ticket_id}", headers=desk.headers["alice"])
    assert response.status_code == 200, response.text
    return dict(response.json())


def hinted(desk: Desk, ticket_id: str) -> list[str]:
    """The ids of the tickets shown as possibly the same customer's."""
    return [t["id"] for t in detail(desk, ticket_id)["possibly_same"]]


def mode(desk: Desk, conversation_id: str) -> Mode:
    return anyio.run(desk.services.store.get, conversation_id).mode


def agent_texts(desk: Desk, conversation_id: str) -> list[str]:
    turns = anyio.run(desk.services.store.turns, conversation_id)
    return [t.text for t in turns if t.role is Role.AGENT]


def test_someone_typing_the_victims_email_never_gets_the_victims_chat(desk: Desk) -> None:
    victim = Chat(desk.client, name="Dana", email="dana@example.com", locale="en")
    assert victim.send("My order #48213 never arrived.").status_code == 200
    victim_ticket = hand_off(desk, victim)

    attacker = Chat(desk.client, email="DANA@example.com", locale="en")
    assert attacker.send("Please send my parcel to another address.").status_code == 200
    attacker_ticket = hand_off(desk, attacker)
    offline = Chat(desk.client, locale="en")  # the offline form's email is free text too
    offline_ticket = hand_off(desk, offline, email="dana@example.com")
    assert len({victim_ticket, attacker_ticket, offline_ticket}) == 3

    seen = detail(desk, victim_ticket)
    assert seen["ticket"]["conversation_id"] == victim.id
    assert seen["linked"] == []
    assert hinted(desk, victim_ticket) == [attacker_ticket, offline_ticket]
    assert hinted(desk, attacker_ticket) == [victim_ticket, offline_ticket]
    assert detail(desk, attacker_ticket)["linked"] == []
    assert {mode(desk, c) for c in (victim.id, attacker.id, offline.id)} == {Mode.WAITING}

    assert desk.post("alice", f"/tickets/{victim_ticket}/claim").status_code == 200
    reply = desk.post("alice", f"/tickets/{victim_ticket}/messages", {"text": "On its way."})
    assert reply.status_code == 200, reply.text
    assert agent_texts(desk, victim.id) == ["On its way."]
    assert agent_texts(desk, attacker.id) == agent_texts(desk, offline.id) == []

    # The attacker's chat is resolved, and they ask again: the victim's chat is untouched.
    assert desk.post("bob", f"/tickets/{attacker_ticket}/claim").status_code == 200
    assert desk.post("bob", f"/tickets/{attacker_ticket}/resolve").status_code == 200
    assert mode(desk, attacker.id) is Mode.CLOSED
    assert mode(desk, victim.id) is Mode.AGENT
    assert hand_off(desk, attacker) not in {victim_ticket, attacker_ticket}
    assert mode(desk, victim.id) is Mode.AGENT
    assert detail(desk, victim_ticket)["ticket"]["conversation_id"] == victim.id

    assert desk.post("bob", f"/tickets/{offline_ticket}/claim").status_code == 200
    assert desk.post("bob", f"/tickets/{offline_ticket}/return").status_code == 200
    assert mode(desk, offline.id) is Mode.BOT
    assert mode(desk, victim.id) is Mode.AGENT
    assert desk.post("alice", f"/tickets/{victim_ticket}/resolve").status_code == 200


def test_an_agent_merges_a_ticket_of_the_same_customer(desk: Desk) -> None:
    offline = Chat(desk.client, locale="es")  # anonymous: only the email form names them
    assert offline.send("¿Dónde está mi pedido 55120?").status_code == 200
    source = hand_off(desk, offline, email="Lee@Example.com")
    live = Chat(desk.client, email="lee@example.com", locale="en")
    target = hand_off(desk, live)
    assert hinted(desk, target) == [source]

    assert desk.post("alice", f"/tickets/{target}/claim").status_code == 200
    merged = desk.post("alice", f"/tickets/{source}/merge", {"into": target})
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == target

    seen = detail(desk, target)
    assert seen["ticket"]["conversation_id"] == live.id  # replies stay with the target's chat
    (linked,) = seen["linked"]
    assert linked["conversation_id"] == offline.id
    assert "¿Dónde está mi pedido 55120?" in [t["text"] for t in linked["turns"]]
    assert seen["possibly_same"] == []
    assert detail(desk, source)["ticket"]["status"] == "resolved"
    assert any("Merged into ticket" in n["text"] for n in detail(desk, source)["notes"])
    assert mode(desk, offline.id) is mode(desk, live.id) is Mode.AGENT  # confirmed: it follows

    # The merged chat is told, in its language, that a person handles it; nothing else.
    turns = desk.client.get(f"/api/conversations/{offline.id}", headers=offline.headers).json()
    (notice,) = [t for t in turns["turns"] if t["kind"] == "merged"]
    assert notice["text"].startswith("Una persona de nuestro equipo")
    assert live.id not in notice["text"] and target not in notice["text"]

    # Asking again in the merged chat brings the same ticket, which stays with the target chat.
    assert hand_off(desk, offline) == target
    assert detail(desk, target)["ticket"]["conversation_id"] == live.id
    reply = desk.post("alice", f"/tickets/{target}/messages", {"text": "Found it."})
    assert reply.status_code == 200, reply.text
    assert agent_texts(desk, live.id) == ["Found it."]
    assert agent_texts(desk, offline.id) == []

    assert desk.post("alice", f"/tickets/{target}/resolve").status_code == 200
    assert mode(desk, offline.id) is mode(desk, live.id) is Mode.CLOSED


def test_merging_a_merged_ticket_on_brings_all_its_chats(desk: Desk) -> None:
    chats = [Chat(desk.client, email="ari@example.com", locale="en") for _ in range(3)]
    first, second, third = (hand_off(desk, chat) for chat in chats)
    assert desk.post("alice", f"/tickets/{first}/merge", {"into": second}).status_code == 200
    assert desk.post("bob", f"/tickets/{second}/merge", {"into": third}).status_code == 200
    seen = detail(desk, third)
    assert seen["ticket"]["conversation_id"] == chats[2].id
    assert [c["conversation_id"] for c in seen["linked"]] == [chats[0].id, chats[1].id]
    assert detail(desk, second)["linked"] == []
    assert desk.post("carol", f"/tickets/{third}/claim").status_code == 200
    assert {mode(desk, chat.id) for chat in chats} == {Mode.AGENT}
    assert hand_off(desk, chats[0]) == third


def test_a_merge_needs_two_active_tickets_linked_by_a_hint(desk: Desk) -> None:
    first = Chat(desk.client, email="noor@example.com", locale="en")
    other = Chat(desk.client, email="someone-else@example.com", locale="en")
    mine, unrelated = hand_off(desk, first), hand_off(desk, other)
    for source, into, why in [
        (mine, unrelated, "share no customer record or email"),
        (mine, mine, "cannot be merged into itself"),
    ]:
        refused = desk.post("alice", f"/tickets/{source}/merge", {"into": into})
        assert refused.status_code == 409, refused.text
        assert why in refused.json()["detail"]

    second = Chat(desk.client, email="noor@example.com", locale="en")
    held = hand_off(desk, second)
    assert desk.post("bob", f"/tickets/{held}/claim").status_code == 200
    refused = desk.post("alice", f"/tickets/{held}/merge", {"into": mine})
    assert refused.status_code == 409 and "another agent holds it" in refused.json()["detail"]
    assert desk.post("bob", f"/tickets/{held}/resolve").status_code == 200
    refused = desk.post("alice", f"/tickets/{mine}/merge", {"into": held})
    assert refused.status_code == 409 and "is resolved" in refused.json()["detail"]
    assert {mode(desk, first.id), mode(desk, second.id)} == {Mode.WAITING, Mode.CLOSED}


def test_two_agents_merging_crosswise_at_once_make_exactly_one_merge(desk: Desk) -> None:
    for n in range(CROSSWISE_ROUNDS):
        one = Chat(desk.client, email=f"pat{n}@example.com", locale="en")
        two = Chat(desk.client, email=f"pat{n}@example.com", locale="en")
        a, b = hand_off(desk, one), hand_off(desk, two)
        first, second = at_once(
            desk,
            ("alice", f"/tickets/{a}/merge", {"into": b}),
            ("bob", f"/tickets/{b}/merge", {"into": a}),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 409], (
            first.text,
            second.text,
        )
        alice_won = first.status_code == 200
        kept, gone, kept_chat, gone_chat = (b, a, two, one) if alice_won else (a, b, one, two)
        seen = detail(desk, kept)
        assert seen["ticket"]["status"] == "open"
        assert seen["ticket"]["conversation_id"] == kept_chat.id
        assert [c["conversation_id"] for c in seen["linked"]] == [gone_chat.id]
        assert detail(desk, gone)["ticket"]["status"] == "resolved"
        assert detail(desk, gone)["linked"] == []
        assert mode(desk, one.id) is mode(desk, two.id) is Mode.WAITING


def test_a_ticket_shows_the_customers_conversations_on_other_channels(desk: Desk) -> None:
    widget = Chat(desk.client, email="mo@example.com", channel="widget")
    assert widget.send("<b>where</b> is my parcel 7781?").status_code == 200
    stranger = Chat(desk.client, email="someone-else@example.com", channel="widget")
    assert stranger.send("not Mo's question").status_code == 200
    later = Chat(desk.client, email="MO@example.com")  # another channel: the API
    ticket = hand_off(desk, later)

    history = detail(desk, ticket)["history"]
    assert [(h["conversation_id"], h["channel"]) for h in history] == [(widget.id, "widget")]
    assert history[0]["opening"] == "<b>where</b> is my parcel 7781?"  # text; the page escapes
    assert history[0]["turns"] >= 2  # the question and the bot's answer
