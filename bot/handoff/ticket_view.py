"""What agents read about tickets: the queue, and one ticket with everything needed to answer
it (issue 19: the agent routes only call it; `ticket_desk.py` has the actions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio

from bot.answering.customer_said import CustomerSaid, customer_said
from bot.conversations.channels.email.interfaces import EmailStore
from bot.conversations.channels.email.types import StoredAttachment
from bot.conversations.models import Conversation, PastConversation, Role, TicketLink, Turn
from bot.conversations.store import ConversationStore
from bot.customers.connector import Connector, Lookup
from bot.customers.identity import restored
from bot.handoff.interfaces import TicketLifecycle
from bot.handoff.suggested_replies import SuggestedReply, suggested_replies
from escalation.interfaces import HandoffQueue
from escalation.types import Agent, Note, Ticket, TicketStatus
from retrieval.knowledge_base import KnowledgeBase
from retrieval.types import SearchResult

HISTORY = 20  # conversations of the customer listed in a ticket (its timeline)
SUGGESTIONS = 3  # articles suggested for the agent's reply
SAID_CHARS = 500  # of the customer's latest words, searched for those articles


@dataclass(frozen=True, slots=True)
class TicketDetail:
    """A ticket with its conversation, what the customer said and is verified to be, the
    conversations merged into it and other tickets possibly theirs, notes, and help for the
    reply (articles, replies made from the articles the bot cited, email attachments)."""

    ticket: Ticket
    conversation: Conversation
    turns: list[Turn]
    said: CustomerSaid
    identity: Mapping[str, Any]
    lookup: Lookup | None
    linked: list[tuple[TicketLink, list[Turn]]]
    history: list[PastConversation]
    possibly_same: list[Ticket]
    notes: list[Note]
    suggested_replies: list[SuggestedReply]
    suggestions: list[SearchResult]
    attachments: list[StoredAttachment]


class TicketView:
    """Reads tickets for agents; changes nothing."""

    def __init__(
        self,
        queue: HandoffQueue,
        lifecycle: TicketLifecycle,
        store: ConversationStore,
        kb: KnowledgeBase,
        emails: EmailStore,
        connector: Connector | None,
    ) -> None:
        self._queue = queue
        self._lifecycle = lifecycle
        self._store = store
        self._kb = kb
        self._emails = emails
        self._connector = connector

    async def tickets(
        self, agent: Agent, status: str = "active", priority: str | None = None
    ) -> list[Ticket]:
        """The queue, urgent first, then longest waiting: tickets of a `TicketStatus`, or
        `active` ones (open or claimed), or `mine` (claimed by `agent`); `priority` keeps only
        that one."""
        statuses = {
            "active": [TicketStatus.OPEN, TicketStatus.CLAIMED],
            "mine": [TicketStatus.CLAIMED],
        }.get(status) or [TicketStatus(status)]
        found = await self._queue.list(
            statuses=statuses, agent_id=agent.id if status == "mine" else None
        )
        return [t for t in found if priority is None or t.priority.value == priority]

    async def detail(self, ticket_id: str, base_url: str) -> TicketDetail:
        """The ticket and everything an agent needs to answer it; `base_url` makes the
        suggested replies' help-center links absolute."""
        ticket = await self._queue.get(ticket_id)
        conversation = await self._store.get(ticket.conversation_id)
        turns = await self._store.turns(ticket.conversation_id)
        linked = [
            (link, await self._store.turns(link.conversation_id))
            for link in await self._lifecycle.links(ticket_id)
        ]
        everything = [t for _, earlier in linked for t in earlier] + turns
        said = " ".join(t.text for t in turns if t.role is Role.CUSTOMER)[-SAID_CHARS:]
        suggestions = await anyio.to_thread.run_sync(
            lambda: self._kb.search(said or ticket.summary, SUGGESTIONS)
        )
        identity = await self._store.identity(conversation.id)
        who = restored(identity)  # the connector is asked about a verified id only
        lookup = None
        if who is not None and self._connector is not None:
            lookup = await self._connector.lookup(who.user_id)
        past = await self._store.customer_conversations(conversation.customer_id, HISTORY + 1)
        return TicketDetail(
            ticket=ticket,
            conversation=conversation,
            turns=turns,
            said=customer_said([t.text for t in everything if t.role is Role.CUSTOMER]),
            identity=identity,
            lookup=lookup,
            linked=linked,
            history=[p for p in past if p.conversation.id != conversation.id][:HISTORY],
            possibly_same=await self._lifecycle.possibly_same(ticket_id),
            notes=await self._queue.notes(ticket_id),
            suggested_replies=suggested_replies(everything, base_url),
            suggestions=suggestions,
            attachments=await anyio.to_thread.run_sync(self._emails.attachments, conversation.id),
        )

    async def attachment(
        self, ticket_id: str, attachment_id: int
    ) -> tuple[StoredAttachment, bytes]:
        """An attachment of the ticket's email with its content; `NotFound` for one not in
        the ticket's conversation, or whose content was not kept."""
        ticket = await self._queue.get(ticket_id)
        return await anyio.to_thread.run_sync(
            self._emails.attachment_content, ticket.conversation_id, attachment_id
        )
