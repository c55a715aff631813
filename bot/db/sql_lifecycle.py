"""Ticket transitions written with the conversation's mode (and an agent's reply) in one
transaction, on SQLite or PostgreSQL (issue 15).

Each transition locks the ticket row first, checks the ticket's status and holder, and writes
the ticket, the conversation's mode and any turn before it commits. So the mode always matches
the ticket's status, and an agent's reply is either stored while the agent holds the ticket
or refused: never stored after the chat was resolved or handed back.

Each conversation gets its own ticket. Emails are not verified, so a request never joins another
conversation's ticket by itself: active tickets with the same customer record or email are only
hints ("possibly the same customer"), and an agent merges one into the other (issue 17, item 5).
A merge locks both tickets, checks them and moves the source's conversation into the target's
links in one transaction; linked conversations follow the target's status from then on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.conversations.models import (
    AgentTurnMeta,
    HandoffCancelledMeta,
    Mode,
    Role,
    TicketLink,
    Turn,
    TurnKind,
)
from bot.db.engine import ConstraintViolation, transaction
from bot.db.escalation_tables import ACTIVE_STATUSES
from bot.db.schema import conversations, escalation_tables, ticket_links
from bot.db.sql_conversations import append_turn, change_mode, client_turn, turn_values
from bot.db.sql_queue import SqlHandoffQueue
from bot.db.sql_support import now, write_lock
from escalation.errors import InvalidTransition
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
        """Open the conversation's ticket (or return its active one) and set the mode to match.

        A conversation an agent merged into an active ticket gets that ticket back; any other
        conversation gets its own, whatever its customer record or email (never verified).
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
        return await anyio.to_thread.run_sync(self._open, values)

    async def links(self, ticket_id: str) -> list[TicketLink]:
        """The conversations agents merged into the ticket, oldest first."""
        return await anyio.to_thread.run_sync(self._links, ticket_id)

    async def possibly_same(self, ticket_id: str) -> list[Ticket]:
        """The other active tickets with the ticket's customer record or email (unverified
        hints for agents), oldest first; TicketNotFound."""
        return await anyio.to_thread.run_sync(self._possibly_same, ticket_id)

    async def merge(self, ticket_id: str, into_id: str, agent_id: str) -> tuple[Ticket, Ticket]:
        """Close the ticket as merged into `into_id` and link its conversation there; the
        (source, target) tickets. InvalidTransition unless both are active, the source is open
        or held by the agent, and a "possibly the same customer" hint links them."""
        return await anyio.to_thread.run_sync(self._merge, ticket_id, into_id, agent_id)

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
        meta: AgentTurnMeta | None = None,
    ) -> Ticket:
        """Close the held ticket; the bot answers the conversation again (a `note` for it is
        stored in the same transaction)."""
        values = {} if meta is None else meta.as_json()
        return await self._transition(
            ticket_id, lambda conn: self._return_in(conn, ticket_id, agent_id, note, values)
        )

    async def cancel(self, ticket_id: str, notice: str) -> tuple[Ticket, Turn]:
        """Cancel the open ticket at the customer's request; the bot answers again and the
        `notice` confirming it is stored as a system turn in the same transaction."""
        return await anyio.to_thread.run_sync(self._cancel, ticket_id, notice)

    async def reply(
        self,
        ticket_id: str,
        agent_id: str,
        text: str,
        *,
        meta: AgentTurnMeta,
        client_id: str | None = None,
    ) -> tuple[Ticket, Turn]:
        """Store the agent's reply if the agent holds the ticket (InvalidTransition otherwise).

        A `client_id` already stored in the conversation returns that turn, even when the
        ticket has closed since (the retry of a reply that was stored).
        """
        return await anyio.to_thread.run_sync(
            self._reply, ticket_id, agent_id, text, meta.as_json(), client_id
        )

    def _open(self, values: dict[str, Any]) -> Ticket:
        conversation_id = values["conversation_id"]
        try:
            with transaction(self._engine) as conn:
                write_lock(conn)
                own = self._queue.active_in(conn, conversation_id)
                ticket = self._active_locked(conn, own.id if own else None)
                if ticket is None:
                    ticket = self._active_locked(conn, _merged_into(conn, conversation_id))
                if ticket is None:
                    ticket = self._queue.enqueue_in(conn, values)
                self._set_modes(conn, ticket)
                return ticket
        except ConstraintViolation:
            # A concurrent open committed first; it set the mode too.
            return self._queue.active_after_race(conversation_id)

    def _active_locked(self, conn: Connection, ticket_id: str | None) -> Ticket | None:
        """The ticket, locked (the write lock is taken), if it is still active then."""
        if ticket_id is None:
            return None
        ticket = self._queue.lock_in(conn, ticket_id, write_locked=True)
        return ticket if ticket.status.value in ACTIVE_STATUSES else None

    def _possibly_same(self, ticket_id: str) -> list[Ticket]:
        with transaction(self._engine) as conn:
            ticket = self._queue.get_in(conn, ticket_id)
            tickets = escalation_tables.tickets.c
            matches = _same_customer(conn, ticket)
            if matches is None:
                return []
            rows = conn.execute(
                sa.select(tickets.id)
                .where(tickets.status.in_(ACTIVE_STATUSES), tickets.id != ticket.id, matches)
                .order_by(tickets.created_at, tickets.id)
            ).all()
            return [self._queue.get_in(conn, row.id) for row in rows]

    def _merge(self, ticket_id: str, into_id: str, agent_id: str) -> tuple[Ticket, Ticket]:
        if ticket_id == into_id:
            raise InvalidTransition("a ticket cannot be merged into itself")
        with transaction(self._engine) as conn:
            write_lock(conn)
            # Both rows locked in one order, so crosswise merges wait instead of deadlocking.
            locked = {
                i: self._queue.lock_in(conn, i, write_locked=True)
                for i in sorted({ticket_id, into_id})
            }
            source, target = locked[ticket_id], locked[into_id]
            for ticket in (source, target):
                if ticket.status.value not in ACTIVE_STATUSES:
                    raise InvalidTransition(
                        f"cannot merge: ticket {ticket.id} is {ticket.status.value}; "
                        "only open or claimed tickets can be merged"
                    )
            if source.status is TicketStatus.CLAIMED and source.agent_id != agent_id:
                raise InvalidTransition(
                    f"cannot merge ticket {source.id}: another agent holds it, and only they "
                    "or nobody (an open ticket) can let it go"
                )
            if not self._hinted(conn, source, target):
                raise InvalidTransition(
                    f"cannot merge ticket {source.id} into {target.id}: they share no customer "
                    "record or email, so nothing suggests they are the same customer"
                )
            stamp = now()
            source = self._queue.update_in(
                conn, source.id, {"status": TicketStatus.RESOLVED.value, "resolved_at": stamp}
            )
            _move_links(conn, source, target, stamp)
            conn.execute(
                escalation_tables.ticket_notes.insert().values(
                    ticket_id=source.id,
                    agent_id=agent_id,
                    text=f"Merged into ticket {target.id}: the customer is answered there.",
                    created_at=stamp,
                )
            )
            self._set_modes(conn, target)
            return source, target

    def _hinted(self, conn: Connection, source: Ticket, target: Ticket) -> bool:
        """Whether a "possibly the same customer" hint links the two tickets."""
        matches = _same_customer(conn, source)
        if matches is None:
            return False
        tickets = escalation_tables.tickets.c
        found = conn.execute(sa.select(tickets.id).where(tickets.id == target.id, matches))
        return found.first() is not None

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
                ticket.conversation_id, Role.AGENT, note, kind=TurnKind.HANDBACK_NOTE, meta=meta
            )
            append_turn(conn, values)
        return ticket

    def _cancel(self, ticket_id: str, notice: str) -> tuple[Ticket, Turn]:
        with transaction(self._engine) as conn:
            self._queue.lock_in(conn, ticket_id)
            ticket = self._queue.cancel_in(conn, ticket_id)
            change_mode(conn, ticket.conversation_id, MODE_OF_STATUS[ticket.status])
            values = turn_values(
                ticket.conversation_id,
                Role.SYSTEM,
                notice,
                kind=TurnKind.HANDOFF_CANCELLED,
                meta=HandoffCancelledMeta(ticket.id).as_json(),
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


def _merged_into(conn: Connection, conversation_id: str) -> str | None:
    """The id of the active ticket an agent merged this conversation into, if any."""
    tickets = escalation_tables.tickets.c
    row = conn.execute(
        sa.select(tickets.id)
        .join_from(escalation_tables.tickets, ticket_links, ticket_links.c.ticket_id == tickets.id)
        .where(
            ticket_links.c.conversation_id == conversation_id, tickets.status.in_(ACTIVE_STATUSES)
        )
        .limit(1)
    ).first()
    return None if row is None else str(row.id)


def _same_customer(conn: Connection, ticket: Ticket) -> sa.ColumnElement[bool] | None:
    """Tickets with this ticket's customer record or email (None: it has neither)."""
    tickets = escalation_tables.tickets.c
    customer_id = conn.execute(
        sa.select(conversations.c.customer_id).where(conversations.c.id == ticket.conversation_id)
    ).scalar()
    email = ticket.customer_email.strip().lower()
    matches: list[sa.ColumnElement[bool]] = []
    if customer_id:
        mine = sa.select(conversations.c.id).where(conversations.c.customer_id == customer_id)
        matches.append(tickets.conversation_id.in_(mine))
    if email:
        matches.append(sa.func.lower(tickets.customer_email) == email)
    return sa.or_(*matches) if matches else None


def _move_links(conn: Connection, source: Ticket, target: Ticket, stamp: dt.datetime) -> None:
    """Link the source's conversation, and those merged into it before, to the target."""
    links = ticket_links.c
    already = sa.select(links.conversation_id).where(links.ticket_id == target.id)
    conn.execute(
        sa.delete(ticket_links).where(
            links.ticket_id == source.id,
            sa.or_(
                links.conversation_id.in_(already), links.conversation_id == target.conversation_id
            ),
        )
    )
    conn.execute(
        sa.update(ticket_links).where(links.ticket_id == source.id).values(ticket_id=target.id)
    )
    if source.conversation_id != target.conversation_id:
        conn.execute(
            ticket_links.insert().values(
                ticket_id=target.id,
                conversation_id=source.conversation_id,
                summary=source.summary,
                linked_at=stamp,
            )
        )
