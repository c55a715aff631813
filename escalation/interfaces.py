"""Protocols at the seams of the escalation package."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from escalation.types import Agent, AgentRole, Note, Priority, Ticket, TicketStatus, WebhookDelivery


class HandoffQueue(Protocol):
    """Persisted tickets. Claims are atomic across processes: exactly one claimer wins.

    Raises `TicketNotFound`, `AlreadyClaimed`, `InvalidTransition`.
    """

    async def enqueue(
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
        """Open a ticket, or return the conversation's ticket that is already open/claimed."""
        ...

    async def get(self, ticket_id: str) -> Ticket:
        """One ticket."""
        ...

    async def active_for(self, conversation_id: str) -> Ticket | None:
        """The conversation's open or claimed ticket, if any."""
        ...

    async def list(
        self,
        *,
        statuses: Sequence[TicketStatus] = (TicketStatus.OPEN,),
        agent_id: str | None = None,
    ) -> builtins.list[Ticket]:
        """Tickets by priority (urgent first), then oldest first."""
        ...

    async def waits(self, since: dt.datetime) -> builtins.list[float]:
        """Seconds from opening to claim of the tickets claimed since `since` (not offline)."""
        ...

    async def claim(self, ticket_id: str, agent_id: str) -> Ticket:
        """Give an open ticket to the agent; AlreadyClaimed if someone else won."""
        ...

    async def transfer(self, ticket_id: str, agent_id: str, to_agent_id: str | None) -> Ticket:
        """Hand a claimed ticket to another agent, or back to the open queue (None)."""
        ...

    async def resolve(self, ticket_id: str, agent_id: str) -> Ticket:
        """Close a claimed ticket as resolved."""
        ...

    async def return_to_bot(self, ticket_id: str, agent_id: str) -> Ticket:
        """Close a claimed ticket and let the bot answer again."""
        ...

    async def update(
        self, ticket_id: str, *, customer_email: str | None = None, offline: bool | None = None
    ) -> Ticket:
        """Record the customer's email or the offline flag."""
        ...

    async def add_note(self, ticket_id: str, agent_id: str, text: str) -> Note:
        """An internal note."""
        ...

    async def notes(self, ticket_id: str) -> builtins.list[Note]:
        """Notes, oldest first."""
        ...


class AgentStore(Protocol):
    """Agent accounts, password check (a memory-hard KDF) and session tokens.

    Raises `AuthError`, `DuplicateAgent`.
    """

    async def add(
        self,
        name: str,
        password: str,
        role: AgentRole,
        display_name: str = "",
        *,
        takes_chats: bool = False,
    ) -> Agent:
        """Create an account (`takes_chats`: an admin who answers chats too)."""
        ...

    async def set_takes_chats(self, agent_id: str, takes_chats: bool) -> Agent:
        """Opt an admin in to (or out of) answering chats; AuthError if unknown."""
        ...

    async def authenticate(self, name: str, password: str) -> Agent:
        """The agent if the password is right (constant-time); AuthError otherwise."""
        ...

    async def open_session(self, agent_id: str, ttl_s: int) -> str:
        """A new session token (only its hash is stored)."""
        ...

    async def agent_for_session(self, token: str, *, console: bool = False) -> Agent:
        """The agent of a live session (refreshes last_seen); AuthError if unknown/expired.

        `console=True` for the agent console's requests and heartbeat: only those refresh
        console_seen, which is what `online` reads.
        """
        ...

    async def close_session(self, token: str) -> None:
        """Log out."""
        ...

    async def online(self, within_s: int) -> builtins.list[Agent]:
        """Accounts that take chats whose console was seen in the last `within_s` s, by name.

        Agents, and admins who opted in (`takes_chats`); never editors. Only the agent
        console counts (and an agent's login): someone saving an article is not answering
        chats (issue 17).
        """
        ...

    async def get(self, agent_id: str) -> Agent:
        """One agent (AuthError if unknown)."""
        ...

    async def list(self) -> builtins.list[Agent]:
        """Every agent."""
        ...


class WebhookLog(Protocol):
    """Persisted webhook deliveries, so failures are visible."""

    async def record(self, event: str, url: str, payload: Mapping[str, Any]) -> WebhookDelivery:
        """A pending delivery."""
        ...

    async def mark(self, delivery_id: int, *, status: str, attempts: int, error: str) -> None:
        """Update after an attempt (`delivered` or `failed`, or `retrying`)."""
        ...

    async def recent(self, limit: int = 100) -> builtins.list[WebhookDelivery]:
        """Newest first."""
        ...

    async def unfinished(self, limit: int = 1000) -> builtins.list[WebhookDelivery]:
        """Deliveries still `pending` or `retrying`, oldest first."""
        ...

    async def claim(self, delivery_id: int, updated_at: dt.datetime) -> bool:
        """Mark an unfinished delivery as updated now if it still has this `updated_at`.

        True for exactly one of several callers: the worker that resumes the delivery.
        """
        ...


class EmotionScorer(Protocol):
    """Probability that a customer message is negatively charged, from its text alone.

    Synchronous and CPU-bound (one encoder forward pass per call). Raises `EmotionModelError`
    only when its weights cannot be used; never for an odd text (an empty one scores too).
    """

    def probability(self, text: str) -> float:
        """A probability in [0, 1]; the same text always gets the same value."""
        ...

    def probabilities(self, texts: Sequence[str]) -> builtins.list[float]:
        """`probability` of each text, in input order (batched: cheaper per text)."""
        ...
