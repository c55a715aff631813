"""Request dependencies: services, rate limits, conversation access by token, staff roles.

Every staff endpoint takes exactly one of `StaffDep`, `AgentDep`, `EditorDep` or `AdminDep`
(or the matching `*_role` function as a route dependency): the roles each group of endpoints
allows are declared here and nowhere else, and tests/api/test_route_roles.py checks every
route of the app against a table of role -> status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from bot.api.metrics import Metrics
from bot.conversations.models import Conversation
from bot.errors import Forbidden
from bot.wiring import Services
from escalation.errors import AuthError
from escalation.types import Agent, AgentRole

# Tickets, queues, customers' conversations and the agent WebSocket: people who answer
# customers. Editors never see customer data (issue 15).
AGENT_ROLES = (AgentRole.AGENT, AgentRole.ADMIN)
# The help center's articles, gaps, imports and "try it".
EDITOR_ROLES = (AgentRole.EDITOR, AgentRole.ADMIN)
# Analytics and the webhook log.
ADMIN_ROLES = (AgentRole.ADMIN,)


def get_services(request: Request) -> Services:
    """The app's services."""
    services: Services = request.app.state.services
    return services


def get_metrics(request: Request) -> Metrics:
    """The app's metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


ServicesDep = Annotated[Services, Depends(get_services)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def client_ip(request: Request) -> str:
    """The caller's address (the proxy's X-Forwarded-For is handled by uvicorn's options)."""
    return request.client.host if request.client else "unknown"


async def limit_ip(request: Request, services: ServicesDep) -> None:
    """Per-IP rate limit on every API call."""
    await services.ip_limiter.hit(client_ip(request), "requests from your address")


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    """The token from `Authorization: Bearer <token>`."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Forbidden("send the conversation token as 'Authorization: Bearer <token>'")
    return authorization[7:].strip()


async def authorized_conversation(
    conversation_id: str, services: ServicesDep, token: Annotated[str, Depends(bearer_token)]
) -> Conversation:
    """The conversation, if the token grants access to it."""
    return await services.store.check_token(conversation_id, token)


ConversationDep = Annotated[Conversation, Depends(authorized_conversation)]


async def staff_for_token(
    services: Services, token: str, roles: tuple[AgentRole, ...], *, console: bool = False
) -> Agent:
    """The account of a live session if it has one of `roles`; AuthError or Forbidden.

    `console`: a request of the agent console, which keeps its account online for handoffs.
    """
    staff = await services.escalator.agents.agent_for_session(token, console=console)
    if staff.role not in roles:
        raise Forbidden(f"this needs the {' or '.join(r.value for r in roles)} role")
    return staff


async def current_staff(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Agent:
    """Any logged-in account (session token as `Authorization: Bearer <token>`)."""
    return await staff_for_token(services, _session_token(authorization), tuple(AgentRole))


async def agent_role(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Agent:
    """The logged-in account, if it may answer customers (agent or admin)."""
    return await staff_for_token(services, _session_token(authorization), AGENT_ROLES, console=True)


async def editor_role(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Agent:
    """The logged-in account, if it may edit the help center (editor or admin)."""
    return await staff_for_token(services, _session_token(authorization), EDITOR_ROLES)


async def admin_role(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Agent:
    """The logged-in account, if it is an admin."""
    return await staff_for_token(services, _session_token(authorization), ADMIN_ROLES)


def _session_token(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AuthError("log in first: send 'Authorization: Bearer <session token>'")
    return authorization[7:].strip()


StaffDep = Annotated[Agent, Depends(current_staff)]
AgentDep = Annotated[Agent, Depends(agent_role)]
EditorDep = Annotated[Agent, Depends(editor_role)]
AdminDep = Annotated[Agent, Depends(admin_role)]
