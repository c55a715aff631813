"""What agents do with tickets: claim, transfer, reply, resolve, hand back, merge (routes only
call it).

Each action is one atomic `TicketLifecycle` step; the live events and webhooks that follow
never fail an action that is stored (issue 15: a reply stored while Redis was down answered
503, and the agent's retry stored it twice).
"""

from __future__ import annotations

import logging

from bot.answering import messages
from bot.conversations.events import (
    AgentJoined,
    AgentMessage,
    Closed,
    Handoff,
    LiveEvent,
    ReturnedToBot,
    TicketChanged,
    Transferred,
    tell_conversation,
    tell_queue,
    tell_ticket,
)
from bot.conversations.models import AgentTurnMeta, Role, Turn, TurnKind
from bot.conversations.store import ConversationStore
from bot.errors import BotError
from bot.handoff.escalator import notice_locale
from bot.handoff.interfaces import TicketLifecycle
from bot.handoff.webhooks import WebhookEvent, WebhookSender
from bot.runtime.realtime import Broadcaster
from escalation.interfaces import AgentStore
from escalation.types import Agent, Ticket, TicketStatus

log = logging.getLogger(__name__)


def agent_name(agent: Agent) -> str:
    """How an agent is named to customers in live events."""
    return agent.display_name or agent.name


class TicketDesk:
    """Agent actions on tickets, each stored in one transaction, then announced."""

    def __init__(
        self,
        lifecycle: TicketLifecycle,
        agents: AgentStore,
        broadcaster: Broadcaster,
        webhooks: WebhookSender,
        store: ConversationStore,
        company: str,
    ) -> None:
        self._lifecycle = lifecycle
        self._agents = agents
        self._broadcaster = broadcaster
        self._webhooks = webhooks
        self._store = store
        self._company = company

    async def claim(self, ticket_id: str, agent: Agent) -> Ticket:
        """Take the chat; exactly one of several agents claiming at once wins."""
        ticket = await self._lifecycle.claim(ticket_id, agent.id)
        name = agent_name(agent)
        text = await self._notice(ticket, "agent_joined", name=name)
        await tell_ticket(self._broadcaster, ticket, AgentJoined(name, text))
        self._webhooks.fire(WebhookEvent.CLAIM, ticket)
        return ticket

    async def transfer(self, ticket_id: str, agent: Agent, to_agent_id: str | None) -> Ticket:
        """Give the chat to another agent (AuthError if unknown), or back to the queue."""
        if to_agent_id is not None:
            await self._agents.get(to_agent_id)
        ticket = await self._lifecycle.transfer(ticket_id, agent.id, to_agent_id)
        await tell_ticket(self._broadcaster, ticket, Transferred())
        return ticket

    async def reply(
        self, ticket_id: str, agent: Agent, text: str, client_id: str | None = None
    ) -> Turn:
        """Store the agent's reply (once per `client_id`: a resend returns the stored one),
        then deliver it live; a failed delivery is logged (the widget re-reads the history)."""
        meta = AgentTurnMeta(agent.id, agent_name(agent))
        _, turn = await self._lifecycle.reply(
            ticket_id, agent.id, text, meta=meta, client_id=client_id
        )
        await tell_conversation(
            self._broadcaster, turn.conversation_id, AgentMessage(turn, agent_name(agent))
        )
        return turn

    async def resolve(self, ticket_id: str, agent: Agent) -> Ticket:
        """Close the chat as resolved (the widget asks for CSAT)."""
        ticket = await self._lifecycle.resolve(ticket_id, agent.id)
        await tell_ticket(self._broadcaster, ticket, Closed(await self._locale(ticket)))
        self._webhooks.fire(WebhookEvent.RESOLVE, ticket)
        return ticket

    async def hand_back(self, ticket_id: str, agent: Agent, note: str = "") -> Ticket:
        """Hand the chat back to the bot, with an optional `note` for it (issue 16: the bot
        answers follow-ups from what agents said; the customer's view leaves the note out)."""
        meta = AgentTurnMeta(agent.id, agent_name(agent))
        ticket = await self._lifecycle.return_to_bot(ticket_id, agent.id, note=note, meta=meta)
        text = await self._notice(ticket, "returned_to_bot")
        await tell_ticket(self._broadcaster, ticket, ReturnedToBot(text))
        return ticket

    async def merge(self, ticket_id: str, into_id: str, agent: Agent) -> Ticket:
        """Merge the ticket into `into_id` (an agent confirmed one customer); the target.

        The merged chat's customer is told that a person handles their request, nothing about
        the other chat; replies keep going to the target's own conversation.
        """
        source, target = await self._lifecycle.merge(ticket_id, into_id, agent.id)
        text = await self._notice(source, "merged")
        try:
            if text is not None:
                await self._store.append(
                    source.conversation_id, Role.SYSTEM, text, kind=TurnKind.MERGED
                )
        except BotError:  # the merge is stored: the live notice below still tells the customer
            log.warning("merge notice not stored in %s", source.conversation_id, exc_info=True)
        # The widget's own events for the mode the chat now has (an agent's, or waiting).
        event: LiveEvent = (
            AgentJoined("", text)
            if target.status is TicketStatus.CLAIMED
            else Handoff("waiting", text or "")
        )
        await tell_conversation(self._broadcaster, source.conversation_id, event)
        for ticket in (source, target):
            await tell_queue(self._broadcaster, TicketChanged.of(ticket))
        return target

    async def _notice(self, ticket: Ticket, key: messages.Key, **values: object) -> str | None:
        """The notice in the conversation's notice language; None (the widget words it in the
        page's language) if that cannot be read: the action is already stored."""
        locale = await self._locale(ticket)
        if locale is None:
            return None
        return messages.text(key, locale, self._company, **values)

    async def _locale(self, ticket: Ticket) -> str | None:
        """The conversation's notice language (the widget's survey asks in it), or None if that
        cannot be read."""
        try:
            conversation = await self._store.get(ticket.conversation_id)
            return await notice_locale(self._store, conversation)
        except BotError:
            log.warning("no notice language for %s", ticket.conversation_id, exc_info=True)
            return None
