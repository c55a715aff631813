"""The ticket lifecycle protocol: transitions that also set who answers the conversation."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.conversations.models import AgentTurnMeta, TicketLink, Turn
from escalation.types import Priority, Ticket


class TicketLifecycle(Protocol):
    """Ticket transitions that also set who answers the conversation, each one atomic.

    Every method checks the ticket's state and writes the ticket, the conversation's mode
    (open: waiting, claimed: agent, resolved: closed, returned: bot) and any turn in one
    transaction, so concurrent transitions on one ticket, from any process, apply one at a
    time. Raises `TicketNotFound`, `AlreadyClaimed` (another agent won the claim),
    `InvalidTransition` (the ticket's status or holder does not allow it; the message says
    which), `NotFound` for an unknown conversation and `StorageError`.
    """

    async def open(
        self,
        conversation_id: str,
        *,
        priority: Priority,
        reasons: Sequence[str],
        summary: str,
        context: Mapping[str, Any],
        customer_email: str = "",
        offline: bool = False,
    ) -> Ticket:
        """Open a ticket (or return the conversation's active one); the mode follows it.

        Every conversation gets its own ticket (emails are not verified), except one an agent
        merged into an active ticket (`merge`): it gets that ticket back.
        """
        ...

    async def links(self, ticket_id: str) -> builtins.list[TicketLink]:
        """The conversations agents merged into the ticket, oldest first."""
        ...

    async def possibly_same(self, ticket_id: str) -> builtins.list[Ticket]:
        """The other active tickets with the ticket's customer record or email: a hint for
        agents (nothing the customer typed is verified), never a change to any chat."""
        ...

    async def merge(self, ticket_id: str, into_id: str, agent_id: str) -> tuple[Ticket, Ticket]:
        """An agent confirms two tickets are one customer's: the ticket closes (resolved) and
        its conversation joins `into_id`'s links, following that ticket's status from then on;
        the (source, target) tickets. Both must be active and linked by `possibly_same`, the
        source open or held by the agent (InvalidTransition otherwise)."""
        ...

    async def claim(self, ticket_id: str, agent_id: str) -> Ticket:
        """Give an open ticket to the agent (re-claiming one's own ticket returns it)."""
        ...

    async def transfer(self, ticket_id: str, agent_id: str, to_agent_id: str | None) -> Ticket:
        """Hand a held ticket to another agent, or back to the open queue (None)."""
        ...

    async def resolve(self, ticket_id: str, agent_id: str) -> Ticket:
        """Close a held ticket as resolved."""
        ...

    async def return_to_bot(
        self,
        ticket_id: str,
        agent_id: str,
        *,
        note: str = "",
        meta: AgentTurnMeta | None = None,
    ) -> Ticket:
        """Close a held ticket and let the bot answer again; a `note` for the bot is stored
        with it as an agent turn of kind `TurnKind.HANDBACK_NOTE` (with `meta`)."""
        ...

    async def cancel(self, ticket_id: str, notice: str) -> tuple[Ticket, Turn]:
        """Close an open ticket as cancelled by the customer (InvalidTransition once claimed
        or closed); the bot answers again, and `notice` is stored as a system turn (its meta
        a `HandoffCancelledMeta`)."""
        ...

    async def reply(
        self,
        ticket_id: str,
        agent_id: str,
        text: str,
        *,
        meta: AgentTurnMeta,
        client_id: str | None = None,
    ) -> tuple[Ticket, Turn]:
        """Store an agent turn while the agent holds the ticket.

        A `client_id` already stored in the conversation returns that turn and writes nothing
        (the retry of a stored reply succeeds even if the ticket has closed since).
        """
        ...
