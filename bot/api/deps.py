"""Request dependencies: services, rate limits, conversation access by token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from bot.api.metrics import Metrics
from bot.conversation import Conversation
from bot.errors import Forbidden
from bot.wiring import Services


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
