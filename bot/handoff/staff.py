"""Staff sessions and who takes chats: logging in and out, the accounts with who is online,
and an admin's choice to answer chats (issue 19: the agent routes only call it)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversations.events import AvailabilityChanged, tell_queue
from bot.errors import Conflict, NotFound
from bot.handoff.ticket_desk import agent_name
from bot.runtime.realtime import Broadcaster
from bot.runtime.staff_login import StaffLogin
from escalation.interfaces import AgentStore
from escalation.types import Agent, AgentRole

SESSION_TTL_S = 12 * 3600


def takes_chats(agent: Agent) -> bool:
    """Whether the account answers chats: every agent, admins who opted in, never editors."""
    return agent.role is AgentRole.AGENT or agent.takes_chats


@dataclass(frozen=True, slots=True)
class Account:
    """A staff account as the consoles show it (never its password hash)."""

    id: str
    name: str
    display_name: str
    role: AgentRole
    online: bool
    takes_chats: bool

    @classmethod
    def of(cls, agent: Agent, online: bool) -> Account:
        """The account of `agent`, `online` when it takes chats with a live console."""
        return cls(agent.id, agent.name, agent_name(agent), agent.role, online, takes_chats(agent))


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in account and its session token."""

    token: str
    agent: Account


class Staff:
    """Staff sessions and availability; the agents' consoles hear every change of who takes
    chats (issue 17)."""

    def __init__(
        self,
        agents: AgentStore,
        login: StaffLogin,
        broadcaster: Broadcaster,
        online_s: int,
    ) -> None:
        self._agents = agents
        self._login = login
        self._broadcaster = broadcaster
        self._online_s = online_s

    async def log_in(self, name: str, password: str, ip: str) -> Session:
        """A session for the account (`RateLimited` after too many wrong passwords,
        `AuthError` for a wrong one)."""
        agent = await self._login.authenticate(name, password, ip)
        token = await self._agents.open_session(agent.id, SESSION_TTL_S)
        if takes_chats(agent):
            await self._availability_changed()
        return Session(token, Account.of(agent, online=True))

    async def log_out(self, token: str, agent: Agent) -> None:
        """End the session `token` of `agent`."""
        await self._agents.close_session(token)
        if takes_chats(agent):
            await self._availability_changed()

    async def accounts(self) -> list[Account]:
        """Every account, marked online when it takes chats with a live console."""
        online = {a.id for a in await self._agents.online(self._online_s)}
        return [Account.of(a, a.id in online) for a in await self._agents.list()]

    async def set_takes_chats(self, agent_id: str, takes: bool) -> Account:
        """Let an admin account answer chats, or stop; `NotFound` for an unknown account,
        `Conflict` for one that is not an admin's (agents always do, editors never)."""
        account = next((a for a in await self._agents.list() if a.id == agent_id), None)
        if account is None:
            raise NotFound(f"no account {agent_id!r}: list them with GET /api/agent/staff")
        if account.role is not AgentRole.ADMIN:
            raise Conflict(
                f"{account.name} is an {account.role.value}: only admins choose whether they "
                "take chats (agents always do, editors never)",
                code="not_an_admin",
            )
        await self._agents.set_takes_chats(agent_id, takes)
        await self._availability_changed()
        return next(a for a in await self.accounts() if a.id == agent_id)

    async def _availability_changed(self) -> None:
        """Tell the consoles to redraw who takes chats (issue 17)."""
        await tell_queue(self._broadcaster, AvailabilityChanged())
