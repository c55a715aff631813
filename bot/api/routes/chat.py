"""Customer chat endpoints: conversations, messages (JSON, SSE, WebSocket), feedback."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Response, WebSocket, WebSocketDisconnect, status
from fastapi.responses import StreamingResponse

from bot.api.deps import ConversationDep, MetricsDep, ServicesDep, limit_ip
from bot.api.errors import close_live, describe, error_event
from bot.api.metrics import Metrics
from bot.api.plain_text import not_text_at, not_text_detail
from bot.api.schemas.chat import (
    CancelOut,
    ConversationCreated,
    ConversationOut,
    CustomerIn,
    FeedbackIn,
    HandoffIn,
    HandoffOut,
    MessageIn,
    ReplyOut,
)
from bot.api.socket_auth import FORBIDDEN, NOT_FOUND, reject, socket_token
from bot.conversations.events import conversation_channel
from bot.conversations.replies import Outcome, outcomes
from bot.errors import BotError, InvalidInput
from bot.runtime.realtime import Event
from bot.wiring import Services

router = APIRouter(prefix="/api", tags=["chat"], dependencies=[Depends(limit_ip)])
ws_router = APIRouter(tags=["chat"])
_sockets: set[asyncio.Task[None]] = set()  # tasks that report a reply's failure to a socket


async def _report_failures(websocket: WebSocket, queue: asyncio.Queue[Outcome]) -> None:
    """Send a WebSocket-started reply's failure to that socket (its events come live)."""
    async for outcome in outcomes(queue):
        if isinstance(outcome, Exception):
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await websocket.send_json(error_event(outcome))


@router.post(
    "/conversations", status_code=status.HTTP_201_CREATED, response_model=ConversationCreated
)
async def create_conversation(
    services: ServicesDep, customer: CustomerIn | None = None
) -> ConversationCreated:
    """Start a conversation; keep the returned token, every later call needs it. A signed
    `identity` that checks out makes the customer verified (else they are anonymous)."""
    started = await services.conversations.start((customer or CustomerIn()).new_conversation())
    return ConversationCreated.model_validate(started)


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
async def get_conversation(conversation: ConversationDep, services: ServicesDep) -> ConversationOut:
    """The conversation and its whole history."""
    return ConversationOut.model_validate(await services.conversations.view(conversation))


@router.post("/conversations/{conversation_id}/messages", response_model=ReplyOut)
async def post_message(
    conversation: ConversationDep, message: MessageIn, services: ServicesDep, metrics: MetricsDep
) -> ReplyOut:
    """Send a message; the answer comes back when complete (see /messages/stream)."""
    answered = await services.replies.answer(
        conversation.id, message.text, client_id=message.client_id, on_answer=metrics.record_answer
    )
    return ReplyOut.model_validate(answered)


@router.post(
    "/conversations/{conversation_id}/messages/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_message(
    conversation: ConversationDep, message: MessageIn, services: ServicesDep, metrics: MetricsDep
) -> StreamingResponse:
    """Send a message; the answer streams as Server-Sent Events.

    Events: `message` (the stored customer turn), `token` (text as it is approved), `reply`
    (the stored bot turn with citations and confidence), `handoff`, `notice` (a stored system
    turn, e.g. the request for a person cancelled), or `error`.
    """
    queue = await _reply(services, metrics, conversation.id, message)

    async def body() -> AsyncIterator[str]:
        async for outcome in outcomes(queue):
            event = error_event(outcome) if isinstance(outcome, Exception) else outcome.payload()
            data = {k: v for k, v in event.items() if k != "type"}
            yield f"event: {event['type']}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _reply(
    services: Services, metrics: Metrics, conversation_id: str, message: MessageIn
) -> asyncio.Queue[Outcome]:
    """The reply to `message` (checked and rate-limited first), its answers counted."""
    return await services.replies.start(
        conversation_id, message.text, client_id=message.client_id, on_answer=metrics.record_answer
    )


@router.post("/conversations/{conversation_id}/feedback", status_code=204)
async def feedback(
    conversation: ConversationDep, body: FeedbackIn, services: ServicesDep
) -> Response:
    """Thumbs up/down on a bot turn (`turn_id` + `rating`), or CSAT 1-5 (`csat`).

    A thumbs-down while the bot answers hands the chat to a person.
    """
    if body.csat is not None:
        await services.conversations.rate_chat(conversation.id, body.csat, body.comment)
    else:
        assert body.turn_id is not None and body.rating is not None
        await services.conversations.rate_turn(
            conversation, body.turn_id, body.rating == "up", body.comment
        )
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/handoff", status_code=202, response_model=HandoffOut)
async def request_person(
    conversation: ConversationDep, body: HandoffIn, services: ServicesDep
) -> HandoffOut:
    """The customer asks for a person ("talk to a person"), or leaves an email when offline."""
    requested = await services.conversations.request_person(conversation, body.email)
    return HandoffOut.model_validate(requested)


@router.post("/conversations/{conversation_id}/handoff/cancel", response_model=CancelOut)
async def cancel_person(conversation: ConversationDep, services: ServicesDep) -> CancelOut:
    """The customer no longer needs a person ("the bot solved it"): the waiting request is
    cancelled and the bot answers again. Once an agent has taken the chat, nothing changes."""
    return CancelOut.model_validate(await services.conversations.cancel_person(conversation))


@ws_router.websocket("/ws/conversations/{conversation_id}")
async def live_events(websocket: WebSocket, conversation_id: str) -> None:
    """Live events of a conversation, after `{"type":"auth","token"}` as the first message.

    The client may also send `{"type":"message","text"}`. Closes with 4401 without a token,
    4403 with a wrong one, 4404 for an unknown conversation.
    """
    services: Services = websocket.app.state.services
    metrics: Metrics = websocket.app.state.metrics
    token = await socket_token(websocket, services.settings.api.ws_auth_timeout_s)
    if token is None:
        return
    try:
        await services.store.check_token(conversation_id, token)
    except BotError as exc:
        await reject(websocket, FORBIDDEN if describe(exc)[0] == 403 else NOT_FOUND, str(exc))
        return
    try:
        async with services.broadcaster.subscribe(conversation_channel(conversation_id)) as events:
            sender = asyncio.create_task(_forward(websocket, events))
            try:
                while True:
                    incoming = await websocket.receive_json()
                    await _handle_client(websocket, services, metrics, conversation_id, incoming)
            except (WebSocketDisconnect, RuntimeError):
                pass
            finally:
                sender.cancel()
    except BotError as exc:  # the live channel is down: say so; 1013 = try again later
        await close_live(websocket, exc)


async def _forward(websocket: WebSocket, events: AsyncIterator[Event]) -> None:
    try:
        async for event in events:
            await websocket.send_json(event)
    except BotError as exc:  # the live channel broke: say so, then close (1013: try again
        # later); the widget reconnects and re-reads the history it may have missed
        await close_live(websocket, exc)


async def _handle_client(
    websocket: WebSocket, services: Services, metrics: Metrics, conversation_id: str, data: Any
) -> None:
    if not isinstance(data, dict) or data.get("type") != "message":
        if isinstance(data, dict) and data.get("type") == "ping":
            await websocket.send_json({"type": "pong"})
            return
        await websocket.send_json(
            {
                "type": "error",
                "error_code": "invalid_request",
                "detail": "send {type: message, text}",
            }
        )
        return
    bad = not_text_at(data, "message")
    if bad is not None:
        await websocket.send_json(error_event(InvalidInput(not_text_detail(bad), "invalid_text")))
        return
    try:
        message = MessageIn(text=str(data.get("text", "")), client_id=data.get("client_id"))
        queue = await _reply(services, metrics, conversation_id, message)
    except BotError as exc:
        await websocket.send_json(error_event(exc))
        return
    except ValueError as exc:
        await websocket.send_json(error_event(InvalidInput(str(exc), "invalid_request")))
        return
    task = asyncio.create_task(_report_failures(websocket, queue))
    _sockets.add(task)
    task.add_done_callback(_sockets.discard)
