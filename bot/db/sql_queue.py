"""`HandoffQueue` on SQLite or PostgreSQL: sync SQLAlchemy Core run in worker threads.

Every status change is one conditional UPDATE (`... WHERE id = :id AND status = 'open'`):
the database serializes writers to the row, so exactly one of any number of concurrent
claimers, in any number of processes, changes it; the others match no row and then read
who won.

The `*_in` methods do the same inside a caller's transaction, so that the application can
write its own rows (the conversation's mode, an agent's reply) in the same transaction as the
ticket's change: call `lock_in` first, then the change.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from bot.db.escalation_tables import ACTIVE_STATUSES, EscalationTables
from bot.db.sql_support import ConstraintViolation, now, transaction, write_lock
from escalation.errors import AlreadyClaimed, EscalationError, InvalidTransition, TicketNotFound
from escalation.types import Note, Priority, Ticket, TicketStatus

_OPEN, _CLAIMED = TicketStatus.OPEN.value, TicketStatus.CLAIMED.value


class SqlHandoffQueue:
    """Tickets and their notes in the SQL database of `engine` (tables of `define_tables`)."""

    def __init__(self, engine: Engine, tables: EscalationTables) -> None:
        self._engine = engine
        self._tickets = tables.tickets
        self._notes = tables.ticket_notes
        self._agents = tables.agents

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
        values: dict[str, Any] = {
            "conversation_id": conversation_id,
            "priority": priority.value,
            "priority_rank": priority.rank,
            "reasons": [str(reason) for reason in reasons],
            "summary": summary,
            "context": dict(context),
            "customer_email": customer_email,
            "offline": offline,
        }
        return await anyio.to_thread.run_sync(self._enqueue, values)

    async def get(self, ticket_id: str) -> Ticket:
        """One ticket; TicketNotFound if there is none with that id."""
        return await anyio.to_thread.run_sync(self._get, ticket_id)

    async def active_for(self, conversation_id: str) -> Ticket | None:
        """The conversation's open or claimed ticket, if any."""
        return await anyio.to_thread.run_sync(self._active_for, conversation_id)

    async def claim(self, ticket_id: str, agent_id: str) -> Ticket:
        """Give an open ticket to the agent (atomic across processes).

        Claiming again a ticket the agent already holds returns it. AlreadyClaimed when
        another agent holds it, InvalidTransition when it is closed, TicketNotFound.
        """
        return await anyio.to_thread.run_sync(self._claim, ticket_id, agent_id)

    async def transfer(self, ticket_id: str, agent_id: str, to_agent_id: str | None) -> Ticket:
        """Hand a claimed ticket to another agent, or back to the open queue (None).

        Only the holding agent may; InvalidTransition otherwise, TicketNotFound.
        """
        return await anyio.to_thread.run_sync(self._transfer, ticket_id, agent_id, to_agent_id)

    async def resolve(self, ticket_id: str, agent_id: str) -> Ticket:
        """Close a claimed ticket as resolved (holding agent only; else InvalidTransition)."""
        return await anyio.to_thread.run_sync(
            self._close, ticket_id, agent_id, TicketStatus.RESOLVED
        )

    async def return_to_bot(self, ticket_id: str, agent_id: str) -> Ticket:
        """Close a claimed ticket and let the bot answer again (holding agent only)."""
        return await anyio.to_thread.run_sync(
            self._close, ticket_id, agent_id, TicketStatus.RETURNED
        )

    async def update(
        self, ticket_id: str, *, customer_email: str | None = None, offline: bool | None = None
    ) -> Ticket:
        """Record the customer's email or the offline flag (any status); TicketNotFound."""
        changes: dict[str, Any] = {}
        if customer_email is not None:
            changes["customer_email"] = customer_email
        if offline is not None:
            changes["offline"] = offline
        return await anyio.to_thread.run_sync(self._update, ticket_id, changes)

    async def add_note(self, ticket_id: str, agent_id: str, text: str) -> Note:
        """An internal note on an existing ticket (any status); TicketNotFound."""
        return await anyio.to_thread.run_sync(self._add_note, ticket_id, agent_id, text)

    async def notes(self, ticket_id: str) -> builtins.list[Note]:
        """The ticket's notes, oldest first; TicketNotFound."""
        return await anyio.to_thread.run_sync(self._list_notes, ticket_id)

    async def list(
        self,
        *,
        statuses: Sequence[TicketStatus] = (TicketStatus.OPEN,),
        agent_id: str | None = None,
    ) -> builtins.list[Ticket]:
        """Tickets in `statuses` (of `agent_id` if given) by priority, urgent first, then oldest."""
        wanted = [TicketStatus(status).value for status in statuses]
        return await anyio.to_thread.run_sync(self._list, wanted, agent_id)

    async def waits(self, since: dt.datetime) -> builtins.list[float]:
        """Seconds from opening to claim of the tickets claimed since `since` (not offline)."""
        return await anyio.to_thread.run_sync(self._waits, since)

    async def aclose(self) -> None:
        """Release connections."""
        await anyio.to_thread.run_sync(self._engine.dispose)

    def _enqueue(self, values: dict[str, Any]) -> Ticket:
        try:
            with transaction(self._engine) as conn:
                return self.enqueue_in(conn, values)
        except ConstraintViolation:
            # A concurrent enqueue for this conversation committed first (the partial unique
            # index refused ours): return its ticket.
            return self.active_after_race(values["conversation_id"])

    def enqueue_in(self, conn: Connection, values: Mapping[str, Any]) -> Ticket:
        """`enqueue` in the caller's transaction (the values as `enqueue` builds them).

        ConstraintViolation when a concurrent enqueue for the conversation won: roll back and
        call `active_after_race`.
        """
        existing = self._active_row(conn, values["conversation_id"])
        if existing is not None:
            return _ticket(existing)
        stamp = now()
        row = (
            conn.execute(
                self._tickets.insert()
                .values(
                    id=uuid.uuid4().hex, status=_OPEN, created_at=stamp, updated_at=stamp, **values
                )
                .returning(*self._tickets.c)
            )
            .mappings()
            .one()
        )
        return _ticket(row)

    def get_in(self, conn: Connection, ticket_id: str) -> Ticket:
        """`get` in the caller's transaction (no lock taken)."""
        return _ticket(self._row(conn, ticket_id))

    def active_in(self, conn: Connection, conversation_id: str) -> Ticket | None:
        """`active_for` in the caller's transaction."""
        row = self._active_row(conn, conversation_id)
        return None if row is None else _ticket(row)

    def update_in(self, conn: Connection, ticket_id: str, changes: Mapping[str, Any]) -> Ticket:
        """Write `changes` to the ticket (locked first with `lock_in`) in the caller's
        transaction; TicketNotFound."""
        row = self._change(conn, self._tickets.c.id == ticket_id, updated_at=now(), **changes)
        if row is None:
            raise TicketNotFound(f"no ticket {ticket_id!r}")
        return _ticket(row)

    def active_after_race(self, conversation_id: str) -> Ticket:
        """The active ticket that a concurrent enqueue committed."""
        with transaction(self._engine) as conn:
            existing = self._active_row(conn, conversation_id)
        if existing is None:
            raise EscalationError(
                f"the active ticket of conversation {conversation_id!r} vanished during enqueue"
            )
        return _ticket(existing)

    def lock_in(self, conn: Connection, ticket_id: str, *, write_locked: bool = False) -> Ticket:
        """The ticket, locked until the caller's transaction ends; first in the transaction
        (or `write_locked`: the caller took `write_lock` first).

        Later stamps of the transaction (claimed_at, resolved_at, a reply's time) then follow
        the order in which transactions on this ticket commit. TicketNotFound.
        """
        if not write_locked:
            write_lock(conn)
        row = (
            conn.execute(
                sa.select(self._tickets).where(self._tickets.c.id == ticket_id).with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None:
            raise TicketNotFound(f"no ticket {ticket_id!r}")
        return _ticket(row)

    def _get(self, ticket_id: str) -> Ticket:
        with transaction(self._engine) as conn:
            return _ticket(self._row(conn, ticket_id))

    def _active_for(self, conversation_id: str) -> Ticket | None:
        with transaction(self._engine) as conn:
            row = self._active_row(conn, conversation_id)
        return None if row is None else _ticket(row)

    def _claim(self, ticket_id: str, agent_id: str) -> Ticket:
        with transaction(self._engine) as conn:
            return self.claim_in(conn, ticket_id, agent_id)

    def claim_in(self, conn: Connection, ticket_id: str, agent_id: str) -> Ticket:
        """`claim` in the caller's transaction."""
        tickets = self._tickets
        stamp = now()
        won = self._change(
            conn,
            sa.and_(tickets.c.id == ticket_id, tickets.c.status == _OPEN),
            status=_CLAIMED,
            agent_id=agent_id,
            claimed_at=stamp,
            updated_at=stamp,
        )
        if won is not None:
            return _ticket(won)
        # Lost, or nothing to claim: the read sees the committed winner.
        current = _ticket(self._row(conn, ticket_id))
        holder = self._agent_label(conn, current.agent_id)
        if current.status is TicketStatus.CLAIMED:
            if current.agent_id == agent_id:
                return current
            raise AlreadyClaimed(f"ticket already claimed by {holder}")
        raise InvalidTransition(
            f"ticket {ticket_id} is {current.status.value}: only an open ticket can be claimed"
        )

    def _transfer(self, ticket_id: str, agent_id: str, to_agent_id: str | None) -> Ticket:
        with transaction(self._engine) as conn:
            return self.transfer_in(conn, ticket_id, agent_id, to_agent_id)

    def transfer_in(
        self, conn: Connection, ticket_id: str, agent_id: str, to_agent_id: str | None
    ) -> Ticket:
        """`transfer` in the caller's transaction."""
        stamp = now()
        changes: dict[str, Any]
        if to_agent_id is None:
            changes = {"status": _OPEN, "agent_id": None, "claimed_at": None}
        else:
            changes = {"agent_id": to_agent_id, "claimed_at": stamp}
        return self.held_change_in(
            conn, ticket_id, agent_id, "transfer", {"updated_at": stamp, **changes}
        )

    def _close(self, ticket_id: str, agent_id: str, status: TicketStatus) -> Ticket:
        with transaction(self._engine) as conn:
            return self.close_in(conn, ticket_id, agent_id, status)

    def close_in(
        self, conn: Connection, ticket_id: str, agent_id: str, status: TicketStatus
    ) -> Ticket:
        """`resolve` (RESOLVED) or `return_to_bot` (RETURNED) in the caller's transaction."""
        stamp = now()
        action = "resolve" if status is TicketStatus.RESOLVED else "return to the bot"
        changes = {"status": status.value, "resolved_at": stamp, "updated_at": stamp}
        return self.held_change_in(conn, ticket_id, agent_id, action, changes)

    def cancel_in(self, conn: Connection, ticket_id: str) -> Ticket:
        """Close an open (unclaimed) ticket as cancelled by the customer, in the caller's
        transaction; InvalidTransition once someone has claimed or closed it."""
        stamp = now()
        tickets = self._tickets
        changed = self._change(
            conn,
            sa.and_(tickets.c.id == ticket_id, tickets.c.status == _OPEN),
            status=TicketStatus.CANCELLED.value,
            resolved_at=stamp,
            updated_at=stamp,
        )
        if changed is not None:
            return _ticket(changed)
        current = _ticket(self._row(conn, ticket_id))
        raise InvalidTransition(
            f"cannot cancel ticket {ticket_id}: it is {current.status.value}, not open"
        )

    def held_change_in(
        self, conn: Connection, ticket_id: str, agent_id: str, action: str, changes: dict[str, Any]
    ) -> Ticket:
        """Apply `changes` if `agent_id` holds the claimed ticket; InvalidTransition (naming
        `action`) otherwise."""
        tickets = self._tickets
        changed = self._change(
            conn,
            sa.and_(
                tickets.c.id == ticket_id,
                tickets.c.status == _CLAIMED,
                tickets.c.agent_id == agent_id,
            ),
            **changes,
        )
        if changed is not None:
            return _ticket(changed)
        current = _ticket(self._row(conn, ticket_id))
        holder = self._agent_label(conn, current.agent_id)
        if current.status is not TicketStatus.CLAIMED:
            raise InvalidTransition(
                f"cannot {action} ticket {ticket_id}: it is {current.status.value}, not claimed"
            )
        raise InvalidTransition(
            f"cannot {action} ticket {ticket_id}: it is held by {holder}, "
            f"and only the holding agent can {action} it"
        )

    def _update(self, ticket_id: str, changes: dict[str, Any]) -> Ticket:
        with transaction(self._engine) as conn:
            if not changes:
                return _ticket(self._row(conn, ticket_id))
            row = self._change(conn, self._tickets.c.id == ticket_id, updated_at=now(), **changes)
        if row is None:
            raise TicketNotFound(f"no ticket {ticket_id!r}")
        return _ticket(row)

    def _add_note(self, ticket_id: str, agent_id: str, text: str) -> Note:
        notes = self._notes
        with transaction(self._engine) as conn:
            self._row(conn, ticket_id)
            row = (
                conn.execute(
                    notes.insert()
                    .values(ticket_id=ticket_id, agent_id=agent_id, text=text, created_at=now())
                    .returning(*notes.c)
                )
                .mappings()
                .one()
            )
        return _note(row)

    def _list_notes(self, ticket_id: str) -> builtins.list[Note]:
        notes = self._notes
        with transaction(self._engine) as conn:
            self._row(conn, ticket_id)
            rows = (
                conn.execute(
                    sa.select(notes)
                    .where(notes.c.ticket_id == ticket_id)
                    .order_by(notes.c.created_at, notes.c.id)
                )
                .mappings()
                .all()
            )
        return [_note(row) for row in rows]

    def _waits(self, since: dt.datetime) -> builtins.list[float]:
        tickets = self._tickets
        query = sa.select(tickets.c.created_at, tickets.c.claimed_at).where(
            tickets.c.claimed_at >= since, sa.not_(tickets.c.offline)
        )
        with transaction(self._engine) as conn:
            rows = conn.execute(query).all()
        return [(row.claimed_at - row.created_at).total_seconds() for row in rows]

    def _list(self, statuses: builtins.list[str], agent_id: str | None) -> builtins.list[Ticket]:
        tickets = self._tickets
        query = sa.select(tickets).where(tickets.c.status.in_(statuses))
        if agent_id is not None:
            query = query.where(tickets.c.agent_id == agent_id)
        query = query.order_by(tickets.c.priority_rank, tickets.c.created_at, tickets.c.id)
        with transaction(self._engine) as conn:
            rows = conn.execute(query).mappings().all()
        return [_ticket(row) for row in rows]

    def _change(
        self, conn: Connection, condition: sa.ColumnElement[bool], **values: Any
    ) -> RowMapping | None:
        """One conditional UPDATE: the changed row, or None when no row matched."""
        return (
            conn.execute(
                sa.update(self._tickets)
                .where(condition)
                .values(**values)
                .returning(*self._tickets.c)
            )
            .mappings()
            .first()
        )

    def _row(self, conn: Connection, ticket_id: str) -> RowMapping:
        row = (
            conn.execute(sa.select(self._tickets).where(self._tickets.c.id == ticket_id))
            .mappings()
            .first()
        )
        if row is None:
            raise TicketNotFound(f"no ticket {ticket_id!r}")
        return row

    def _active_row(self, conn: Connection, conversation_id: str) -> RowMapping | None:
        tickets = self._tickets
        return (
            conn.execute(
                sa.select(tickets)
                .where(
                    tickets.c.conversation_id == conversation_id,
                    tickets.c.status.in_(ACTIVE_STATUSES),
                )
                .order_by(tickets.c.created_at.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )

    def _agent_label(self, conn: Connection, agent_id: str | None) -> str:
        """The agent's display name, else name, else id (accounts may live elsewhere)."""
        if agent_id is None:
            return "nobody"
        agents = self._agents
        row = conn.execute(
            sa.select(agents.c.display_name, agents.c.name).where(agents.c.id == agent_id)
        ).first()
        if row is None:
            return agent_id
        return str(row.display_name or row.name or agent_id)


def _ticket(row: RowMapping) -> Ticket:
    return Ticket(
        id=row["id"],
        conversation_id=row["conversation_id"],
        status=TicketStatus(row["status"]),
        priority=Priority(row["priority"]),
        reasons=tuple(row["reasons"]),
        summary=row["summary"],
        context=row["context"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        agent_id=row["agent_id"],
        customer_email=row["customer_email"],
        offline=bool(row["offline"]),
        claimed_at=row["claimed_at"],
        resolved_at=row["resolved_at"],
    )


def _note(row: RowMapping) -> Note:
    return Note(
        id=row["id"],
        ticket_id=row["ticket_id"],
        agent_id=row["agent_id"],
        text=row["text"],
        created_at=row["created_at"],
    )
