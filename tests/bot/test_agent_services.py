"""Issue 19: what agents read and do as services the agent routes only call (real SQLite
store, Chroma and the in-process broadcaster): the queue and a ticket's detail
(`TicketView`), staff sessions and who takes chats (`Staff`), and a reply delivered live
(`TicketDesk`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest

from bot.conversations.events import QUEUE_CHANNEL, conversation_channel
from bot.conversations.models import Channel, Conversation, Role
from bot.conversations.service import NewConversation
from bot.errors import Conflict, NotFound
from bot.handoff.staff import takes_chats
from bot.runtime.realtime import Event
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.errors import AuthError
from escalation.types import Agent, AgentRole, Ticket
from retrieval.interfaces import Embedder
from tests.conftest import KB_FIXTURE

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def services(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Services on SQLite, always open for handoffs, with the fixture KB."""
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("agents")),
        escalation={"business_hours": ""},  # type: ignore[arg-type]
    )
    built = build_services(settings, embedder=embedder)
    built.kb.ingest_path(KB_FIXTURE)
    yield built
    anyio.run(built.aclose)


def _agent(services: Services, name: str, role: AgentRole = AgentRole.AGENT) -> Agent:
    return anyio.run(services.escalator.agents.add, name, PASSWORD, role, name.title())


def _waiting(services: Services, said: str, email: str = "") -> tuple[Conversation, Ticket]:
    """A conversation whose customer said `said`, then asked for a person."""

    async def main() -> tuple[Conversation, Ticket]:
        people = services.conversations
        started = await people.start(NewConversation(channel=Channel.API, email=email))
        conversation = await services.store.get(started.id)
        await services.store.append(conversation.id, Role.CUSTOMER, said)
        requested = await people.request_person(conversation)
        return conversation, await services.escalator.queue.get(requested.ticket_id)

    return anyio.run(main)


async def _heard(live: AsyncIterator[Event], seconds: float = 1.0) -> list[Event]:
    """What `live` delivers within `seconds`."""
    heard: list[Event] = []
    with anyio.move_on_after(seconds):
        async for event in live:
            heard.append(event)
    return heard


def test_the_queue_lists_by_status_owner_and_priority(services: Services) -> None:
    ana = _agent(services, "ana")
    _, mine = _waiting(services, "My parcel never arrived.")
    _, waiting = _waiting(services, "How do refunds work?")

    async def main() -> None:
        await services.desk.claim(mine.id, ana)
        view = services.tickets
        assert {t.id for t in await view.tickets(ana, "mine")} == {mine.id}
        assert waiting.id in {t.id for t in await view.tickets(ana, "open")}
        assert mine.id not in {t.id for t in await view.tickets(ana, "open")}
        active = {t.id for t in await view.tickets(ana)}
        assert {mine.id, waiting.id} <= active
        others = {p for p in ("urgent", "high", "normal") if p != waiting.priority.value}
        for priority in others:
            assert waiting.id not in {t.id for t in await view.tickets(ana, "open", priority)}
        picked = await view.tickets(ana, "open", waiting.priority.value)
        assert waiting.id in {t.id for t in picked}

    anyio.run(main)


def test_a_ticket_detail_has_what_an_agent_needs_to_answer(services: Services) -> None:
    ben = _agent(services, "ben")
    said = "My name is Ola. My order 123456 has not arrived. How long does a refund take?"
    conversation, ticket = _waiting(services, said, email="ola@example.com")
    _, earlier = _waiting(services, "Also this one.", email="ola@example.com")

    async def main() -> None:
        await services.escalator.queue.add_note(ticket.id, ben.id, "called her")
        detail = await services.tickets.detail(ticket.id, "https://support.example/")
        assert detail.ticket.id == ticket.id and detail.conversation.id == conversation.id
        assert [t.text for t in detail.turns if t.role is Role.CUSTOMER] == [said]
        assert detail.said.name == "Ola" and "123456" in detail.said.order_numbers
        assert detail.identity == {} and detail.lookup is None  # anonymous: nothing looked up
        assert [n.text for n in detail.notes] == ["called her"]
        assert detail.suggestions  # articles found for what the customer said
        assert [t.id for t in detail.possibly_same] == [earlier.id]  # the same email
        assert [p.conversation.id for p in detail.history] == [earlier.conversation_id]
        assert detail.linked == [] and detail.attachments == []
        with pytest.raises(NotFound):
            await services.tickets.attachment(ticket.id, 1)

    anyio.run(main)


def test_an_agent_reply_is_stored_once_and_delivered_live(services: Services) -> None:
    cleo = _agent(services, "cleo")
    conversation, ticket = _waiting(services, "Is anyone there?")

    async def main() -> None:
        await services.desk.claim(ticket.id, cleo)
        channel = conversation_channel(conversation.id)
        async with services.broadcaster.subscribe(channel) as live:
            turn = await services.desk.reply(ticket.id, cleo, "Yes, I am here.", "k1")
            again = await services.desk.reply(ticket.id, cleo, "Yes, I am here.", "k1")
            heard = await _heard(live)
        assert again.id == turn.id
        replies = [e for e in heard if e["type"] == "agent_message"]
        assert replies and replies[0]["turn"]["id"] == turn.id
        assert replies[0]["agent"] == {"name": "Cleo"}
        agent_turns = [
            t for t in await services.store.turns(conversation.id) if t.role is Role.AGENT
        ]
        assert [t.id for t in agent_turns] == [turn.id]

    anyio.run(main)


def test_logging_in_and_out_tells_the_consoles_who_takes_chats(services: Services) -> None:
    _agent(services, "dana")
    _agent(services, "eddie", AgentRole.EDITOR)

    async def main() -> None:
        staff = services.staff
        async with services.broadcaster.subscribe(QUEUE_CHANNEL) as live:
            session = await staff.log_in("dana", PASSWORD, "10.0.0.1")
            editor = await staff.log_in("eddie", PASSWORD, "10.0.0.1")
            heard = await _heard(live)
        assert [e["type"] for e in heard] == ["availability"]  # editors never take chats
        assert (session.agent.name, session.agent.display_name) == ("dana", "Dana")
        assert session.agent.online and session.agent.takes_chats
        assert not editor.agent.takes_chats
        dana = await services.escalator.agents.agent_for_session(session.token, console=True)
        online = {a.name: a.online for a in await staff.accounts()}
        assert online["dana"] and not online["eddie"]
        async with services.broadcaster.subscribe(QUEUE_CHANNEL) as live:
            await staff.log_out(session.token, dana)
            heard = await _heard(live)
        assert [e["type"] for e in heard] == ["availability"]
        with pytest.raises(AuthError):
            await services.escalator.agents.agent_for_session(session.token)
        with pytest.raises(AuthError):
            await staff.log_in("dana", "wrong password", "10.0.0.1")

    anyio.run(main)


def test_only_admins_choose_whether_they_take_chats(services: Services) -> None:
    fay = _agent(services, "fay", AgentRole.ADMIN)
    gus = _agent(services, "gus")
    assert not takes_chats(fay) and takes_chats(gus)

    async def main() -> None:
        staff = services.staff
        async with services.broadcaster.subscribe(QUEUE_CHANNEL) as live:
            account = await staff.set_takes_chats(fay.id, True)
            heard = await _heard(live)
        assert account.id == fay.id and account.takes_chats
        assert [e["type"] for e in heard] == ["availability"]
        with pytest.raises(Conflict):
            await staff.set_takes_chats(gus.id, False)
        with pytest.raises(NotFound):
            await staff.set_takes_chats("nobody", True)

    anyio.run(main)
