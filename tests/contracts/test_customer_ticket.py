"""One open ticket per customer (issue 17, item 5), through the HTTP API, on SQLite and PostgreSQL.

A customer's second request while their ticket is open joins it: the ticket moves to the newer
conversation, lists the earlier one (with its transcript) and every linked conversation follows
the ticket's status. Requests from several conversations at once still make one ticket.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest

from bot.conversation import Mode
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat
from tests.contracts.conftest import fresh_database, require_postgres
from tests.contracts.test_ticket_races import Desk, _desk

AT_ONCE = 6


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


def modes(desk: Desk, *conversation_ids: str) -> set[Mode]:
    async def read() -> set[Mode]:
        return {(await desk.services.store.get(c)).mode for c in conversation_ids}

    return anyio.run(read)


def active_tickets(desk: Desk, *conversation_ids: str) -> list[dict[str, Any]]:
    tickets = desk.client.get("/api/agent/tickets", headers=desk.headers["alice"]).json()
    wanted = set(conversation_ids)
    return [
        t
        for t in tickets
        if t["conversation_id"] in wanted
        or wanted & {c["conversation_id"] for c in detail(desk, t["id"])["linked"]}
    ]


def test_a_second_request_joins_the_customers_open_ticket(desk: Desk) -> None:
    first = Chat(desk.client, name="Dana", email="dana@example.com", locale="en")
    assert first.send("My order #48213 never arrived.").status_code == 200
    ticket_id = hand_off(desk, first)

    second = Chat(desk.client, email="dana@example.com", locale="en")
    assert second.send("Hello again, any news about my parcel?").status_code == 200
    assert hand_off(desk, second) == ticket_id

    seen = detail(desk, ticket_id)
    assert seen["ticket"]["conversation_id"] == second.id  # replies go where Dana is now
    (linked,) = seen["linked"]
    assert linked["conversation_id"] == first.id
    assert linked["summary"].startswith("Request: My order #48213 never arrived.")
    assert "My order #48213 never arrived." in [t["text"] for t in linked["turns"]]
    assert seen["customer"]["said_in_chat"]["order_numbers"] == ["48213"]
    assert [t["id"] for t in active_tickets(desk, first.id, second.id)] == [ticket_id]
    assert modes(desk, first.id, second.id) == {Mode.WAITING}

    # Back in the first chat, Dana asks again: the ticket follows her there.
    assert hand_off(desk, first) == ticket_id
    seen = detail(desk, ticket_id)
    assert seen["ticket"]["conversation_id"] == first.id
    assert [c["conversation_id"] for c in seen["linked"]] == [second.id]

    assert desk.post("alice", f"/tickets/{ticket_id}/claim").status_code == 200
    assert modes(desk, first.id, second.id) == {Mode.AGENT}
    assert desk.post("alice", f"/tickets/{ticket_id}/resolve").status_code == 200
    assert modes(desk, first.id, second.id) == {Mode.CLOSED}

    third = Chat(desk.client, email="dana@example.com", locale="en")
    assert hand_off(desk, third) != ticket_id  # the earlier ticket is closed: a new one


def test_an_offline_request_with_an_email_joins_the_live_request_from_that_email(
    desk: Desk,
) -> None:
    offline = Chat(desk.client, locale="en")  # anonymous: only the email form names them
    ticket_id = hand_off(desk, offline, email="Lee@Example.com")
    live = Chat(desk.client, email="lee@example.com", locale="en")
    assert hand_off(desk, live) == ticket_id
    seen = detail(desk, ticket_id)
    assert seen["ticket"]["conversation_id"] == live.id
    assert [c["conversation_id"] for c in seen["linked"]] == [offline.id]


def test_requests_from_several_conversations_at_once_make_one_ticket(desk: Desk) -> None:
    chats = [Chat(desk.client, email="kim@example.com", locale="en") for _ in range(AT_ONCE)]
    barrier = threading.Barrier(AT_ONCE)

    def request(chat: Chat) -> str:
        barrier.wait(timeout=60)
        return hand_off(desk, chat)

    with ThreadPoolExecutor(AT_ONCE) as pool:
        ticket_ids = set(pool.map(request, chats))
    assert len(ticket_ids) == 1
    seen = detail(desk, ticket_ids.pop())
    joined = {seen["ticket"]["conversation_id"], *(c["conversation_id"] for c in seen["linked"])}
    assert joined == {chat.id for chat in chats}
    assert modes(desk, *joined) == {Mode.WAITING}
