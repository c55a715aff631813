"""`AgentStore` on SQLite or PostgreSQL: scrypt passwords and hashed session tokens."""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from bot.db.escalation_tables import EscalationTables
from bot.db.sql_support import ConstraintViolation, now, transaction
from escalation.errors import AuthError, DuplicateAgent
from escalation.passwords import hash_password, verify_password
from escalation.types import Agent, AgentRole

_WRONG_CREDENTIALS = "wrong name or password"
# last_seen (and console_seen) is written at most this often per agent: every authenticated
# request reads the session, and a write per request would serialize them on SQLite.
LAST_SEEN_RESOLUTION = dt.timedelta(seconds=10)
# Checked against when the name is unknown, so that a wrong name costs the same scrypt run
# as a wrong password (the password behind it was random and thrown away).
_DECOY_HASH = (
    "scrypt$16384$8$1$GmgyCzknBc9orb3caM7P5g==$dArfcc5zcbOtQeCQokZC1C2cPKnfPUxuNa2Dpm0ir/o="
)


class SqlAgentStore:
    """Agents and their sessions in the SQL database of `engine` (tables of `define_tables`).

    `clock` returns the current UTC time; tests pass a fake one to exercise expiry.
    """

    def __init__(
        self,
        engine: Engine,
        tables: EscalationTables,
        *,
        clock: Callable[[], dt.datetime] = now,
    ) -> None:
        self._engine = engine
        self._agents = tables.agents
        self._sessions = tables.agent_sessions
        self._clock = clock

    async def add(
        self,
        name: str,
        password: str,
        role: AgentRole,
        display_name: str = "",
        *,
        takes_chats: bool = False,
    ) -> Agent:
        """Create an account; DuplicateAgent if the name is taken.

        ValueError for an empty name or a password shorter than 8 characters.
        """
        name = name.strip()
        if not name:
            raise ValueError("an agent needs a name")
        return await anyio.to_thread.run_sync(
            self._add, name, password, AgentRole(role), display_name.strip(), takes_chats
        )

    async def set_takes_chats(self, agent_id: str, takes_chats: bool) -> Agent:
        """Opt an admin in to (or out of) answering chats; AuthError if unknown."""
        return await anyio.to_thread.run_sync(self._set_takes_chats, agent_id, takes_chats)

    async def authenticate(self, name: str, password: str) -> Agent:
        """The agent if the password is right (constant-time); AuthError otherwise.

        An unknown name and a wrong password raise the same error after the same work.
        """
        return await anyio.to_thread.run_sync(self._authenticate, name.strip(), password)

    async def open_session(self, agent_id: str, ttl_s: int) -> str:
        """A new session token valid for `ttl_s` seconds (only its sha256 is stored).

        AuthError if the agent is unknown; ValueError unless `ttl_s` is positive.
        """
        if ttl_s <= 0:
            raise ValueError(f"a session needs a positive lifetime, not {ttl_s} s")
        return await anyio.to_thread.run_sync(self._open_session, agent_id, ttl_s)

    async def agent_for_session(self, token: str, *, console: bool = False) -> Agent:
        """The agent of a live session (refreshes last_seen); AuthError if unknown/expired.

        `console`: the request comes from the agent console, which also refreshes console_seen.
        """
        return await anyio.to_thread.run_sync(self._agent_for_session, token, console)

    async def close_session(self, token: str) -> None:
        """Log out (an unknown token is not an error)."""
        await anyio.to_thread.run_sync(self._close_session, token)

    async def online(self, within_s: int) -> builtins.list[Agent]:
        """Agents, and admins who take chats, whose console was seen in the last `within_s` s."""
        return await anyio.to_thread.run_sync(self._online, within_s)

    async def get(self, agent_id: str) -> Agent:
        """One agent (AuthError if unknown)."""
        return await anyio.to_thread.run_sync(self._get, agent_id)

    async def list(self) -> builtins.list[Agent]:
        """Every agent, by name."""
        return await anyio.to_thread.run_sync(self._list)

    async def aclose(self) -> None:
        """Release connections."""
        await anyio.to_thread.run_sync(self._engine.dispose)

    def _add(
        self, name: str, password: str, role: AgentRole, display_name: str, takes_chats: bool
    ) -> Agent:
        agents = self._agents
        password_hash = hash_password(password)  # slow on purpose: outside the transaction
        try:
            with transaction(self._engine) as conn:
                if self._named(conn, name) is not None:
                    raise DuplicateAgent(f"an agent named {name!r} exists")
                row = (
                    conn.execute(
                        agents.insert()
                        .values(
                            id=uuid.uuid4().hex,
                            name=name,
                            display_name=display_name,
                            role=role.value,
                            password_hash=password_hash,
                            created_at=self._clock(),
                            last_seen=None,
                            takes_chats=takes_chats,
                        )
                        .returning(*agents.c)
                    )
                    .mappings()
                    .one()
                )
        except ConstraintViolation as exc:  # a concurrent add with the same name won
            raise DuplicateAgent(f"an agent named {name!r} exists") from exc
        return _agent(row)

    def _authenticate(self, name: str, password: str) -> Agent:
        with transaction(self._engine) as conn:
            row = self._named(conn, name)
        stored = _DECOY_HASH if row is None else row["password_hash"]
        if not verify_password(password, stored) or row is None:
            raise AuthError(_WRONG_CREDENTIALS)
        with transaction(self._engine) as conn:
            # Logging in as an agent is opening the console; admins count once they use it.
            return self._touch(conn, row, console=row["role"] == AgentRole.AGENT.value)

    def _set_takes_chats(self, agent_id: str, takes_chats: bool) -> Agent:
        agents = self._agents
        with transaction(self._engine) as conn:
            self._row(conn, agent_id)
            conn.execute(
                sa.update(agents).where(agents.c.id == agent_id).values(takes_chats=takes_chats)
            )
            return _agent(self._row(conn, agent_id))

    def _open_session(self, agent_id: str, ttl_s: int) -> str:
        token = secrets.token_urlsafe(32)
        sessions = self._sessions
        stamp = self._clock()
        with transaction(self._engine) as conn:
            self._row(conn, agent_id)
            # Housekeeping: expired sessions are useless, drop them while we write anyway.
            conn.execute(sa.delete(sessions).where(sessions.c.expires_at <= stamp))
            conn.execute(
                sessions.insert().values(
                    token_hash=_token_hash(token),
                    agent_id=agent_id,
                    created_at=stamp,
                    expires_at=stamp + dt.timedelta(seconds=ttl_s),
                )
            )
        return token

    def _agent_for_session(self, token: str, console: bool) -> Agent:
        sessions, agents = self._sessions, self._agents
        stamp = self._clock()
        with transaction(self._engine) as conn:
            row = (
                conn.execute(
                    sa.select(agents)
                    .join(sessions, sessions.c.agent_id == agents.c.id)
                    .where(
                        sessions.c.token_hash == _token_hash(token),
                        sessions.c.expires_at > stamp,
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise AuthError("unknown or expired session: log in again")
            return self._touch(conn, row, console=console)

    def _close_session(self, token: str) -> None:
        sessions = self._sessions
        with transaction(self._engine) as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.token_hash == _token_hash(token)))

    def _online(self, within_s: int) -> builtins.list[Agent]:
        agents = self._agents
        since = self._clock() - dt.timedelta(seconds=within_s)
        with transaction(self._engine) as conn:
            rows = (
                conn.execute(
                    sa.select(agents)
                    .where(
                        sa.or_(
                            agents.c.role == AgentRole.AGENT.value,
                            sa.and_(agents.c.role == AgentRole.ADMIN.value, agents.c.takes_chats),
                        ),
                        agents.c.console_seen >= since,
                    )
                    .order_by(agents.c.name)
                )
                .mappings()
                .all()
            )
        return [_agent(row) for row in rows]

    def _get(self, agent_id: str) -> Agent:
        with transaction(self._engine) as conn:
            return _agent(self._row(conn, agent_id))

    def _list(self) -> builtins.list[Agent]:
        with transaction(self._engine) as conn:
            rows = conn.execute(sa.select(self._agents).order_by(self._agents.c.name))
            return [_agent(row) for row in rows.mappings().all()]

    def _touch(self, conn: Connection, row: RowMapping, *, console: bool) -> Agent:
        """The agent of `row` with last_seen (and console_seen if `console`) refreshed, each
        unless it was within the resolution."""
        agents = self._agents
        stamp = self._clock()
        names = ("last_seen", "console_seen") if console else ("last_seen",)
        stale = [
            name for name in names if row[name] is None or stamp - row[name] >= LAST_SEEN_RESOLUTION
        ]
        for name in stale:
            column = agents.c[name]
            # Conditional, so concurrent requests of one agent write it once.
            conn.execute(
                sa.update(agents)
                .where(
                    agents.c.id == row["id"],
                    sa.or_(column.is_(None), column <= stamp - LAST_SEEN_RESOLUTION),
                )
                .values({name: stamp})
            )
        return _agent(self._row(conn, row["id"]) if stale else row)

    def _named(self, conn: Connection, name: str) -> RowMapping | None:
        agents = self._agents
        return conn.execute(sa.select(agents).where(agents.c.name == name)).mappings().first()

    def _row(self, conn: Connection, agent_id: str) -> RowMapping:
        agents = self._agents
        row = conn.execute(sa.select(agents).where(agents.c.id == agent_id)).mappings().first()
        if row is None:
            raise AuthError(f"no agent {agent_id!r}")
        return row


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _agent(row: RowMapping) -> Agent:
    return Agent(
        id=row["id"],
        name=row["name"],
        role=AgentRole(row["role"]),
        created_at=row["created_at"],
        last_seen=row["last_seen"],
        display_name=row["display_name"],
        takes_chats=bool(row["takes_chats"]),
    )
