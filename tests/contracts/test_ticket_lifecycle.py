"""`TicketLifecycle` on SQLite and PostgreSQL: each transition sets the conversation's mode with
the ticket's status, and an agent's reply is stored only while the agent holds the ticket."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from bot.conversations.models import (
    AgentTurnMeta,
    Channel,
    Customer,
    HandoffCancelledMeta,
    Mode,
    Role,
    TurnKind,
)
from bot.db.schema import escalation_tables
from bot.db.sql_conversations import SqlConversationStore
from bot.db.sql_lifecycle import SqlTicketLifecycle
from bot.db.sql_queue import SqlHandoffQueue
from escalation.errors import AlreadyClaimed, InvalidTransition, TicketNotFound
from escalation.types import Priority, TicketStatus

pytestmark = pytest.mark.anyio
ANA = AgentTurnMeta("ana", "Ana")
BEN = AgentTurnMeta("ben", "Ben")


class Desk:
    """The lifecycle and the conversation store on one migrated database."""

    def __init__(self, engine: Engine) -> None:
        self.store = SqlConversationStore(engine)
        self.queue = SqlHandoffQueue(engine, escalation_tables)
        self.lifecycle = SqlTicketLifecycle(engine, self.queue)

    async def opened(self) -> tuple[str, str]:
        """(conversation id, ticket id) of a new conversation handed to people."""
        conversation, _ = await self.store.create_conversation(
            Customer(id=""), channel=Channel.WIDGET, locale="en"
        )
        ticket = await self.lifecycle.open(
            conversation.id,
            priority=Priority.NORMAL,
            reasons=["explicit_request"],
            summary="",
            context={},
        )
        return conversation.id, ticket.id

    async def mode(self, conversation_id: str) -> Mode:
        return (await self.store.get(conversation_id)).mode


@pytest.fixture
def desk(engine: Engine) -> Desk:
    return Desk(engine)


async def test_each_transition_sets_the_mode_of_its_status(desk: Desk) -> None:
    conversation_id, ticket_id = await desk.opened()
    assert await desk.mode(conversation_id) is Mode.WAITING
    again = await desk.lifecycle.open(
        conversation_id, priority=Priority.URGENT, reasons=[], summary="", context={}
    )
    assert again.id == ticket_id  # the active ticket, not a second one

    assert (await desk.lifecycle.claim(ticket_id, "ana")).status is TicketStatus.CLAIMED
    assert await desk.mode(conversation_id) is Mode.AGENT
    with pytest.raises(AlreadyClaimed):
        await desk.lifecycle.claim(ticket_id, "ben")
    assert (await desk.lifecycle.transfer(ticket_id, "ana", "ben")).agent_id == "ben"
    assert await desk.mode(conversation_id) is Mode.AGENT
    assert (await desk.lifecycle.transfer(ticket_id, "ben", None)).status is TicketStatus.OPEN
    assert await desk.mode(conversation_id) is Mode.WAITING
    await desk.lifecycle.claim(ticket_id, "ana")
    assert (await desk.lifecycle.return_to_bot(ticket_id, "ana")).status is TicketStatus.RETURNED
    assert await desk.mode(conversation_id) is Mode.BOT

    _, other_id = await desk.opened()
    await desk.lifecycle.claim(other_id, "ana")
    resolved = await desk.lifecycle.resolve(other_id, "ana")
    assert resolved.status is TicketStatus.RESOLVED and resolved.resolved_at is not None
    assert await desk.mode(resolved.conversation_id) is Mode.CLOSED


async def test_a_refused_transition_changes_nothing(desk: Desk) -> None:
    conversation_id, ticket_id = await desk.opened()
    await desk.lifecycle.claim(ticket_id, "ana")
    for refused in (
        desk.lifecycle.resolve(ticket_id, "ben"),
        desk.lifecycle.return_to_bot(ticket_id, "ben"),
        desk.lifecycle.transfer(ticket_id, "ben", None),
    ):
        with pytest.raises(InvalidTransition, match="held by ana"):
            await refused
    ticket = await desk.queue.get(ticket_id)
    assert (ticket.status, ticket.agent_id) == (TicketStatus.CLAIMED, "ana")
    assert await desk.mode(conversation_id) is Mode.AGENT
    with pytest.raises(TicketNotFound):
        await desk.lifecycle.claim("no-such-ticket", "ana")


async def test_a_reply_is_stored_only_while_the_agent_holds_the_ticket(desk: Desk) -> None:
    conversation_id, ticket_id = await desk.opened()
    with pytest.raises(InvalidTransition, match="open, not claimed"):
        await desk.lifecycle.reply(ticket_id, "ana", "too early", meta=ANA)
    await desk.lifecycle.claim(ticket_id, "ana")
    with pytest.raises(InvalidTransition, match="held by ana"):
        await desk.lifecycle.reply(ticket_id, "ben", "not mine", meta=BEN)
    _, turn = await desk.lifecycle.reply(
        ticket_id, "ana", "Hi, checking now", meta=ANA, client_id="r-1"
    )
    assert (turn.role, turn.text) == (Role.AGENT, "Hi, checking now")
    assert turn.meta == {"agent_id": "ana", "agent_name": "Ana"}  # the stored JSON
    await desk.lifecycle.resolve(ticket_id, "ana")
    with pytest.raises(InvalidTransition, match="resolved, not claimed"):
        await desk.lifecycle.reply(ticket_id, "ana", "after the close", meta=ANA)

    # The retry of the stored reply returns it, although the ticket has closed since.
    _, retried = await desk.lifecycle.reply(
        ticket_id, "ana", "Hi, checking now", meta=ANA, client_id="r-1"
    )
    assert retried == turn
    agent_turns = [t for t in await desk.store.turns(conversation_id) if t.role is Role.AGENT]
    assert agent_turns == [turn]


async def test_a_hand_back_note_is_stored_with_the_hand_back_or_not_at_all(desk: Desk) -> None:
    conversation_id, ticket_id = await desk.opened()
    await desk.lifecycle.claim(ticket_id, "ana")
    with pytest.raises(InvalidTransition):
        await desk.lifecycle.return_to_bot(ticket_id, "ben", note="keep the mixer")
    assert await desk.store.turns(conversation_id) == []
    await desk.lifecycle.return_to_bot(ticket_id, "ana", note="keep the mixer", meta=ANA)
    (note,) = await desk.store.turns(conversation_id)
    assert (note.role, note.kind, note.text) == (
        Role.AGENT,
        TurnKind.HANDBACK_NOTE,
        "keep the mixer",
    )
    assert note.meta == {"agent_id": "ana", "agent_name": "Ana"}
    assert AgentTurnMeta.of(note.meta) == ANA and await desk.mode(conversation_id) is Mode.BOT

    other_id, other_ticket = await desk.opened()
    await desk.lifecycle.claim(other_ticket, "ana")
    await desk.lifecycle.return_to_bot(other_ticket, "ana")  # no note: no turn
    assert await desk.store.turns(other_id) == []


async def test_the_customer_cancels_an_unclaimed_request_only(desk: Desk) -> None:
    """Issue 17: 'never mind' closes an open ticket as cancelled, with its notice, atomically."""
    conversation_id, ticket_id = await desk.opened()
    ticket, notice = await desk.lifecycle.cancel(ticket_id, "Request cancelled.")
    assert ticket.status is TicketStatus.CANCELLED and ticket.resolved_at is not None
    assert await desk.mode(conversation_id) is Mode.BOT
    assert (notice.role, notice.kind, notice.text) == (
        Role.SYSTEM,
        TurnKind.HANDOFF_CANCELLED,
        "Request cancelled.",
    )
    assert notice.meta == {"ticket_id": ticket_id}  # the stored JSON
    assert HandoffCancelledMeta.of(notice.meta).ticket_id == ticket_id
    assert await desk.queue.active_for(conversation_id) is None
    with pytest.raises(InvalidTransition, match="it is cancelled, not open"):
        await desk.lifecycle.cancel(ticket_id, "again")

    other_conversation, other_id = await desk.opened()
    await desk.lifecycle.claim(other_id, "ana")
    with pytest.raises(InvalidTransition, match="it is claimed, not open"):
        await desk.lifecycle.cancel(other_id, "too late")
    assert await desk.mode(other_conversation) is Mode.AGENT
    kinds = [t.kind for t in await desk.store.turns(other_conversation)]
    assert TurnKind.HANDOFF_CANCELLED not in kinds
