"""Ticket transitions written with the conversation's mode (and an agent's reply) in one
transaction, on SQLite or PostgreSQL (issue 15).

Each transition locks the ticket row first, checks the ticket's status and holder, and writes
the ticket, the conversation's mode and any turn before it commits. So the mode always matches
the ticket's status, and an agent's reply is either stored while the agent holds the ticket
or refused: never stored after the chat was resolved or handed back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio.to_thread
from sqlalchemy.engine import Connection, Engine

from bot.backends.sql_conversations import append_turn, change_mode, client_turn, turn_values
from bot.backends.sql_database import ConstraintViolation, transaction
from bot.conversation import HANDBACK_NOTE, Mode, Role, Turn
from escalation.backends.sql_queue import SqlHandoffQueue
from escalation.backends.sql_tables import now, write_lock
from escalation.types import Priority, Ticket, TicketStatus

# Who answers the conversation while its ticket is in each status.
MODE_OF_STATUS = {
    TicketStatus.OPEN: Mode.WAITING,
    TicketStatus.CLAIMED: Mode.AGENT,
    TicketStatus.RESOLVED: Mode.CLOSED,
    TicketStatus.RETURNED: Mode.BOT,
    TicketStatus.CANCELLED: Mode.BOT,
}


class SqlTicketLifecycle:
    """`TicketLifecycle` on the database of `engine`, through the queue's in-transaction steps."""

    def __init__(self, engine: Engine, queue: SqlHandoffQueue) -> None:
        self._engine = engine
        self._queue = queue

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
        """Open the conversation's ticket (or return its active one) and set the mode to match."""
        values: dict[str, Any] = {
            "conversation_id": conversation_id,
            "priority": priority.value,
            "priority_rank": priority.rank,
            "reasons": list(reasons),
            "summary": summary,
            "context": dict(context),
            "customer_email": customer_email,
            "offline": offline,
        }
        return await anyio.to_thread.run_sync(self._open, values)

    async def claim(self, ticket_id: str, agent_id: str) -> Ticket:
        """Give the open ticket to the agent; the conversation goes to the agent."""
        return await self._transition(
            ticket_id, lambda conn: self._queue.claim_in(conn, ticket_id, agent_id)
        )

    async def transfer(self, ticket_id: str, agent_id: str, to_agent_id: str | None) -> Ticket:
        """Hand the held ticket to another agent, or back to the queue (the chat waits)."""
        return await self._transition(
            ticket_id, lambda conn: self._queue.transfer_in(conn, ticket_id, agent_id, to_agent_id)
        )

    async def resolve(self, ticket_id: str, agent_id: str) -> Ticket:
        """Close the held ticket as resolved; the conversation is closed."""
        return await self._transition(
            ticket_id,
            lambda conn: self._queue.close_in(conn, ticket_id, agent_id, TicketStatus.RESOLVED),
        )

    async def return_to_bot(
        self,
        ticket_id: str,
        agent_id: str,
        *,
        note: str = "",
        meta: Mapping[str, Any] | None = None,
    ) -> Ticket:
        """Close the held ticket; the bot answers the conversation again (a `note` for it is
        stored in the same transaction)."""
        values = dict(meta or {})
        return await self._transition(
            ticket_id, lambda conn: self._return_in(conn, ticket_id, agent_id, note, values)
        )

    async def cancel(
        self, ticket_id: str, notice: str, meta: Mapping[str, Any]
    ) -> tuple[Ticket, Turn]:
        """Cancel the open ticket at the customer's request; the bot answers again and the
        `notice` confirming it is stored as a system turn in the same transaction."""
        values = dict(meta)
        return await anyio.to_thread.run_sync(self._cancel, ticket_id, notice, values)

    async def reply(
        self,
        ticket_id: str,
        agent_id: str,
        text: str,
        *,
        meta: Mapping[str, Any],
        client_id: str | None = None,
    ) -> tuple[Ticket, Turn]:
        """Store the agent's reply if the agent holds the ticket (InvalidTransition otherwise).

        A `client_id` already stored in the conversation returns that turn, even when the
        ticket has closed since (the retry of a reply that was stored).
        """
        return await anyio.to_thread.run_sync(
            self._reply, ticket_id, agent_id, text, dict(meta), client_id
        )

    def _open(self, values: dict[str, Any]) -> Ticket:
        try:
            with transaction(self._engine) as conn:
                write_lock(conn)
                ticket = self._queue.enqueue_in(conn, values)
                change_mode(conn, ticket.conversation_id, MODE_OF_STATUS[ticket.status])
                return ticket
        except ConstraintViolation:
            # A concurrent open committed first; it set the mode too.
            return self._queue.active_after_race(values["conversation_id"])

    async def _transition(self, ticket_id: str, change: Callable[[Connection], Ticket]) -> Ticket:
        return await anyio.to_thread.run_sync(self._locked, ticket_id, change)

    def _locked(self, ticket_id: str, change: Callable[[Connection], Ticket]) -> Ticket:
        with transaction(self._engine) as conn:
            self._queue.lock_in(conn, ticket_id)
            ticket = change(conn)
            change_mode(conn, ticket.conversation_id, MODE_OF_STATUS[ticket.status])
            return ticket

    def _return_in(
        self, conn: Connection, ticket_id: str, agent_id: str, note: str, meta: dict[str, Any]
    ) -> Ticket:
        ticket = self._queue.close_in(conn, ticket_id, agent_id, TicketStatus.RETURNED)
        if note:
            values = turn_values(
                ticket.conversation_id, Role.AGENT, note, kind=HANDBACK_NOTE, meta=meta
            )
            append_turn(conn, values)
        return ticket

    def _cancel(self, ticket_id: str, notice: str, meta: dict[str, Any]) -> tuple[Ticket, Turn]:
        with transaction(self._engine) as conn:
            self._queue.lock_in(conn, ticket_id)
            ticket = self._queue.cancel_in(conn, ticket_id)
            change_mode(conn, ticket.conversation_id, MODE_OF_STATUS[ticket.status])
            values = turn_values(
                ticket.conversation_id, Role.SYSTEM, notice, kind="handoff_cancelled", meta=meta
            )
            return ticket, append_turn(conn, values)

    def _reply(
        self,
        ticket_id: str,
        agent_id: str,
        text: str,
        meta: dict[str, Any],
        client_id: str | None,
    ) -> tuple[Ticket, Turn]:
        with transaction(self._engine) as conn:
            ticket = self._queue.lock_in(conn, ticket_id)
            if client_id is not None:
                stored = client_turn(conn, ticket.conversation_id, client_id)
                if stored is not None:
                    return ticket, stored
            ticket = self._queue.held_change_in(
                conn, ticket_id, agent_id, "reply to", {"updated_at": now()}
            )
            values = turn_values(
                ticket.conversation_id, Role.AGENT, text, meta=meta, client_id=client_id
            )
            return ticket, append_turn(conn, values)
