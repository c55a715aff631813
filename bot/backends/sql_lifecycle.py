"""Ticket transitions written with the conversation's mode (and an agent's reply) in one
transaction, on SQLite or PostgreSQL (issue 15).

Each transition locks the ticket row first, checks the ticket's status and holder, and writes
the ticket, the conversation's mode and any turn before it commits. So the mode always matches
the ticket's status, and an agent's reply is either stored while the agent holds the ticket
or refused: never stored after the chat was resolved or handed back.

A customer has one active ticket at a time (issue 17, item 5): a request from another of their
conversations joins it, checked and written in one transaction that holds the customer's lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.backends.sql_conversations import append_turn, change_mode, client_turn, turn_values
from bot.backends.sql_database import ConstraintViolation, transaction
from bot.backends.sql_schema import conversations, escalation_tables, ticket_links
from bot.conversation import HANDBACK_NOTE, Mode, Role, TicketLink, Turn
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
_ACTIVE = (TicketStatus.OPEN.value, TicketStatus.CLAIMED.value)


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
        customer_id: str = "",
    ) -> Ticket:
        """Open the conversation's ticket (or return its active one) and set the mode to match.

        When the customer (`customer_id`, or a ticket with the same `customer_email`) already
        has an active ticket for another conversation, this request joins it: the ticket moves
        to this conversation, keeps the earlier one as a link, and no second ticket is opened.
        """
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
        return await anyio.to_thread.run_sync(self._open, values, customer_id)

    async def links(self, ticket_id: str) -> list[TicketLink]:
        """The ticket's earlier conversations, oldest first."""
        return await anyio.to_thread.run_sync(self._links, ticket_id)

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

    def _open(self, values: dict[str, Any], customer_id: str) -> Ticket:
        email = str(values["customer_email"]).strip().lower()
        try:
            with transaction(self._engine) as conn:
                write_lock(conn)
                _lock_customer(conn, customer_id, email)
                conversation_id = values["conversation_id"]
                ticket = self._queue.active_in(conn, conversation_id)
                if ticket is None:
                    joined = _customer_ticket(conn, customer_id, email)
                    ticket = self._join(conn, joined, values) if joined is not None else None
                if ticket is None:
                    ticket = self._queue.enqueue_in(conn, values)
                self._set_modes(conn, ticket)
                return ticket
        except ConstraintViolation:
            # A concurrent open committed first; it set the mode too.
            return self._queue.active_after_race(values["conversation_id"])

    def _join(self, conn: Connection, ticket_id: str, values: Mapping[str, Any]) -> Ticket | None:
        """Move the customer's active ticket to this conversation, linking the one it left;
        None if the ticket closed before it was locked."""
        ticket = self._queue.lock_in(conn, ticket_id, write_locked=True)
        if ticket.status.value not in _ACTIVE:
            return None
        links = ticket_links.c
        conn.execute(  # the ticket comes back to a conversation it had left
            sa.delete(ticket_links).where(
                links.ticket_id == ticket.id, links.conversation_id == values["conversation_id"]
            )
        )
        conn.execute(
            ticket_links.insert().values(
                ticket_id=ticket.id,
                conversation_id=ticket.conversation_id,
                summary=ticket.summary,
                linked_at=now(),
            )
        )
        priority = min(Priority(values["priority"]), ticket.priority, key=lambda p: p.rank)
        changes = {
            **values,
            "reasons": list(dict.fromkeys([*ticket.reasons, *values["reasons"]])),
            "customer_email": values["customer_email"] or ticket.customer_email,
            "priority": priority.value,
            "priority_rank": priority.rank,
        }
        return self._queue.update_in(conn, ticket.id, changes)

    def _set_modes(self, conn: Connection, ticket: Ticket) -> None:
        """The ticket's conversation, and its earlier ones, follow the ticket's status."""
        mode = MODE_OF_STATUS[ticket.status]
        change_mode(conn, ticket.conversation_id, mode)
        for (linked,) in conn.execute(
            sa.select(ticket_links.c.conversation_id).where(ticket_links.c.ticket_id == ticket.id)
        ):
            change_mode(conn, linked, mode)

    def _links(self, ticket_id: str) -> list[TicketLink]:
        with transaction(self._engine) as conn:
            rows = conn.execute(
                sa.select(ticket_links)
                .where(ticket_links.c.ticket_id == ticket_id)
                .order_by(ticket_links.c.linked_at)
            ).mappings()
            return [TicketLink(r["conversation_id"], r["summary"], r["linked_at"]) for r in rows]

    async def _transition(self, ticket_id: str, change: Callable[[Connection], Ticket]) -> Ticket:
        return await anyio.to_thread.run_sync(self._locked, ticket_id, change)

    def _locked(self, ticket_id: str, change: Callable[[Connection], Ticket]) -> Ticket:
        with transaction(self._engine) as conn:
            self._queue.lock_in(conn, ticket_id)
            ticket = change(conn)
            self._set_modes(conn, ticket)
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


def _lock_customer(conn: Connection, customer_id: str, email: str) -> None:
    """Serialize opens for one customer: SQLite's write lock (taken) already serializes every
    writer; PostgreSQL takes a transaction-scoped advisory lock per key, in a fixed order."""
    if conn.dialect.name != "postgresql":
        return
    keys = [f"customer:{customer_id}"] if customer_id else []
    keys += [f"email:{email}"] if email else []
    for key in sorted(keys):
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(key))))


def _customer_ticket(conn: Connection, customer_id: str, email: str) -> str | None:
    """The id of the customer's active ticket (by customer, or by the email left on it)."""
    tickets = escalation_tables.tickets
    matches: list[sa.ColumnElement[bool]] = []
    if customer_id:
        mine = sa.select(conversations.c.id).where(conversations.c.customer_id == customer_id)
        matches.append(tickets.c.conversation_id.in_(mine))
    if email:
        matches.append(sa.func.lower(tickets.c.customer_email) == email)
    if not matches:
        return None
    row = conn.execute(
        sa.select(tickets.c.id)
        .where(tickets.c.status.in_(_ACTIVE), sa.or_(*matches))
        .order_by(tickets.c.created_at)
        .limit(1)
    ).first()
    return None if row is None else str(row.id)
