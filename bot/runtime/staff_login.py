"""Staff login with per-account and per-IP lockouts after wrong passwords (issue 15, item 7)."""

from __future__ import annotations

import logging

from bot.runtime.ratelimit import FailureLimiter
from escalation.errors import AuthError
from escalation.interfaces import AgentStore
from escalation.types import Agent

log = logging.getLogger(__name__)


class StaffLogin:
    """Checks a password unless the account or the address is locked out; counts failures.

    A success forgets the account's failures only: an address guessing at other accounts
    stays counted even when it also knows one valid password.
    """

    def __init__(
        self, agents: AgentStore, accounts: FailureLimiter, addresses: FailureLimiter
    ) -> None:
        self._agents = agents
        self._accounts = accounts
        self._addresses = addresses

    async def authenticate(self, name: str, password: str, ip: str) -> Agent:
        """The agent; RateLimited while locked out, AuthError (logged) for a wrong password."""
        account = name.strip().casefold()
        await self._addresses.check(ip, "failed logins from your address")
        await self._accounts.check(account, "failed logins for this account")
        try:
            agent = await self._agents.authenticate(name, password)
        except AuthError:
            locked = max(await self._accounts.fail(account), await self._addresses.fail(ip))
            log.warning(
                "failed staff login for account %r from %s%s",
                name,
                ip,
                f"; locked out for {locked:g} s" if locked else "",
            )
            raise
        await self._accounts.clear(account)
        return agent

    async def aclose(self) -> None:
        """Release the limiters' connections."""
        await self._accounts.aclose()
        await self._addresses.aclose()
